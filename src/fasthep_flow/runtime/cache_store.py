"""The content-addressed cache on disk: key → entry (metadata and digests), digest → blob.

Two stores under one folder: ``keys/ab/<key>.json`` (small JSON entries: the digest of the product blob, the
digests of any files the node wrote, event counts, the key's ingredients for ``--explain``) and
``blobs/ab/<digest>`` (the bytes, addressed by their SHA-256 so equal products are stored once). Every write
is a temporary file in the same folder and then a rename, and the key entry is written last: a reader sees a
complete entry or none. Anything missing, unreadable or whose bytes do not hash to their name is a miss
("recompute"), never an error. Reading an entry touches its modification time, which ``gc`` uses as the
least-recently-used order.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_LIMIT = 5 * 1024**3
"""Default size limit of the cache folder (bytes); ``gc`` evicts the least recently used entries above it."""


def default_cache_dir() -> Path:
    """``$FASTHEP_FLOW_CACHE``, else ``$XDG_CACHE_HOME/fasthep-flow``, else ``~/.cache/fasthep-flow``."""
    env = os.environ.get("FASTHEP_FLOW_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "fasthep-flow"


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CacheInfo:
    folder: Path
    entries: int
    blobs: int
    bytes: int
    limit: int
    streams: int = 0


class CacheStore:
    """One cache folder. Safe to share between processes: every file appears whole, by rename."""

    def __init__(self, folder: Path, limit: int = DEFAULT_LIMIT) -> None:
        self.folder = Path(folder)
        self.limit = limit

    # -- paths -------------------------------------------------------------------------------------------
    def _key_path(self, key: str) -> Path:
        return self.folder / "keys" / key[:2] / f"{key}.json"

    def _blob_path(self, digest: str) -> Path:
        return self.folder / "blobs" / digest[:2] / digest

    def stream_path(self, key: str) -> Path:
        return self.folder / "streams" / key[:2] / f"{key}.stream"

    def _slot_path(self, slot: str) -> Path:
        return self.folder / "slots" / slot[:2] / f"{slot}.json"

    # -- writing -----------------------------------------------------------------------------------------
    def write_atomic(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def put_blob(self, data: bytes) -> str:
        """Store ``data`` under its digest (once; a damaged copy is replaced) and return the digest."""
        digest = digest_of(data)
        path = self._blob_path(digest)
        if _size(path) != len(data) or self.get_blob(digest) is None:
            self.write_atomic(path, data)
        return digest

    def put_stream(self, key: str, parts: Sequence[bytes | memoryview], columns: Mapping[str, Any]) -> None:
        """Store a node's event stream (the pieces of one file) under the node's key, then its column list
        (``{"all": [...], "stored": [...]}``), which commits it."""
        path = self.stream_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                for part in parts:
                    fh.write(part)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.write_atomic(path.with_suffix(".columns"), json.dumps(dict(columns)).encode())

    def stream_columns(self, key: str) -> dict[str, Any] | None:
        """The column list of a committed stream, or None (no stream, or one not committed)."""
        path = self.stream_path(key)
        try:
            data = json.loads(path.with_suffix(".columns").read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and path.is_file() else None

    def touch_stream(self, key: str) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.stream_path(key))

    def put_entry(self, key: str, entry: Mapping[str, Any]) -> None:
        """Commit ``key`` → ``entry``; call after every blob the entry names is stored."""
        self.write_atomic(self._key_path(key), json.dumps(entry, sort_keys=True).encode())

    def put_slot(self, slot: str, ingredients: Mapping[str, str]) -> None:
        """Remember the ingredients last used at a place in the plan (node × partition), for ``--explain``."""
        self.write_atomic(self._slot_path(slot), json.dumps(dict(ingredients), sort_keys=True).encode())

    # -- reading (a miss is None, never an exception) ----------------------------------------------------
    def get_entry(self, key: str) -> dict[str, Any] | None:
        path = self._key_path(key)
        try:
            entry = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict):
            return None
        digests = [entry.get("digest"), *dict(entry.get("files") or {}).values()]
        if any(d is not None and not self._blob_path(str(d)).is_file() for d in digests):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return entry

    def get_blob(self, digest: str) -> bytes | None:
        try:
            data = self._blob_path(digest).read_bytes()
        except OSError:
            return None
        return data if digest_of(data) == digest else None

    def get_slot(self, slot: str) -> dict[str, str] | None:
        try:
            data = json.loads(self._slot_path(slot).read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # -- housekeeping ------------------------------------------------------------------------------------
    def _files(self, sub: str) -> Iterator[Path]:
        root = self.folder / sub
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file() and not path.name.startswith(".tmp-"):
                    yield path

    def info(self) -> CacheInfo:
        entries = list(self._files("keys"))
        blobs = list(self._files("blobs"))
        streams = list(self._files("streams"))
        size = sum(_size(p) for p in (*entries, *blobs, *streams, *self._files("slots")))
        return CacheInfo(self.folder, len(entries), len(blobs), size, self.limit, len(streams))

    def gc(self, limit: int | None = None) -> int:
        """Evict least recently used entries until the folder fits ``limit``; drop unreferenced blobs.

        Returns the number of bytes freed.
        """
        limit = self.limit if limit is None else limit
        before = self.info().bytes
        total = before
        for stream in sorted(self._files("streams"), key=_mtime):  # the biggest files, and only a shortcut
            if total <= limit:
                break
            total -= _size(stream)
            with contextlib.suppress(OSError):
                stream.unlink()
        entries = sorted(self._files("keys"), key=_mtime)
        while entries and total > limit:
            victim = entries.pop(0)
            total -= _size(victim)
            with contextlib.suppress(OSError):
                victim.unlink()
            total = self._drop_unreferenced(entries)
        self._drop_unreferenced(entries)
        return before - self.info().bytes

    def _drop_unreferenced(self, entries: list[Path]) -> int:
        live: set[str] = set()
        for path in entries:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                entry = json.loads(path.read_bytes())
                live.add(str(entry.get("digest")))
                live.update(str(d) for d in dict(entry.get("files") or {}).values())
        for path in self._files("runs"):  # products kept for `runs diff`
            with contextlib.suppress(OSError, ValueError, AttributeError):
                live.update(
                    str(d) for d in dict(json.loads(path.read_bytes()).get("product_digests") or {}).values()
                )
        total = sum(_size(p) for p in entries)
        for blob in self._files("blobs"):
            if blob.name in live:
                total += _size(blob)
            else:
                with contextlib.suppress(OSError):
                    blob.unlink()
        return total + sum(_size(p) for p in (*self._files("slots"), *self._files("streams")))

    def clear(self) -> None:
        """Remove everything this store wrote (only its own sub-folders; the folder itself stays)."""
        for sub in ("keys", "blobs", "slots", "streams", "runs"):
            shutil.rmtree(self.folder / sub, ignore_errors=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def cache_folder(
    setting: Any, workflow_file: str | None, cli_dir: str | None = None, no_cache: bool = False
) -> Path | None:
    """Where a run's cache lives: ``--no-cache`` > ``--cache-dir`` > ``execution.cache`` > the user's cache.

    ``execution.cache`` may be ``false`` (no cache), ``true`` (the default folder) or a folder, relative to the
    workflow's own folder.
    """
    if no_cache:
        return None
    if cli_dir:
        return Path(cli_dir).expanduser()
    if setting is False:
        return None
    if isinstance(setting, str) and setting:
        folder = Path(setting).expanduser()
        if not folder.is_absolute() and workflow_file:
            folder = Path(workflow_file).parent / folder
        return folder
    return default_cache_dir()


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int | None:
    """``500M``, ``5G``, ``1024`` (bytes) → bytes; None when unreadable."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1:] if value[-1:] in _UNITS else ""
    try:
        number = float(value[: len(value) - len(unit)])
    except ValueError:
        return None
    return int(number * _UNITS[unit]) if number >= 0 else None
