"""Input checksums in run.json are remembered across runs, and recomputed when the file changes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from fasthep_flow.runtime.record import cached_sha256


def test_checksum_is_cached_by_size_and_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "input.bin"
    data.write_bytes(b"x" * 10_000)
    first = cached_sha256(data)
    assert first == hashlib.sha256(b"x" * 10_000).hexdigest()
    stored = json.loads((tmp_path / "cache" / "fasthep-flow" / "checksums.json").read_text())
    assert list(stored.values()) == [first]

    # a cached entry is used as is (proved by planting a different value for the same key)
    key = next(iter(stored))
    (tmp_path / "cache" / "fasthep-flow" / "checksums.json").write_text(json.dumps({key: "planted"}))
    assert cached_sha256(data) == "planted"

    # the file changes (size differs): hashed again
    data.write_bytes(b"y" * 20_000)
    assert cached_sha256(data) == hashlib.sha256(b"y" * 20_000).hexdigest()


def test_unreadable_cache_still_gives_the_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    (cache / "fasthep-flow").mkdir(parents=True)
    (cache / "fasthep-flow" / "checksums.json").write_text("{not json")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    data = tmp_path / "input.bin"
    data.write_bytes(b"abc")
    assert cached_sha256(data) == hashlib.sha256(b"abc").hexdigest()
