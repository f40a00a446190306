"""Input files' metadata remembered on disk, so `check` of a ROOT-reading workflow does not import uproot.

Reading a tree's branch names and types needs uproot, whose import alone costs about half a second — more
than the whole of `check` may take in a pre-commit hook. What it reads depends only on the file, so it is
kept under the user cache folder (``$FASTHEP_FLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/fasthep-flow``, else
``~/.cache/fasthep-flow``) in one small JSON file per (real path, size, mtime, tree): a file that is
rewritten gets a new size or mtime, hence a new entry. A missing, unreadable or corrupt entry means "read
the file again"; writing is atomic and failures to write are ignored (a read-only home still works).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from fasthep_flow._cache import read_json, user_cache_dir, write_json

VERSION = 1
"""Bumped when what is stored changes: older entries are then ignored."""


def cache_dir() -> Path:
    return user_cache_dir() / "inputs"


def _entry(path: str, tree: str, size: int, mtime_ns: int, kind: str = "tree") -> Path:
    key = json.dumps(
        [VERSION, os.path.realpath(path), size, mtime_ns, tree] + ([kind] if kind != "tree" else [])
    )
    return cache_dir() / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")


def load(path: str, tree: str, size: int, mtime_ns: int) -> dict[str, Any] | None:
    """The stored metadata of this file identity, or None."""
    data = read_json(_entry(path, tree, size, mtime_ns))
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("branches"), dict)
    ):
        return None
    return data


def store(path: str, tree: str, size: int, mtime_ns: int, data: dict[str, Any]) -> None:
    write_json(_entry(path, tree, size, mtime_ns), {"version": VERSION, **data})


def load_entries(path: str, tree: str, size: int, mtime_ns: int) -> int | None:
    """The entry count stored alone for this file identity (``store_entries``), or None."""
    data = read_json(_entry(path, tree, size, mtime_ns, "entries"))
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("entries"), int)
    ):
        return None
    return int(data["entries"])


def store_entries(path: str, tree: str, size: int, mtime_ns: int, entries: int) -> None:
    """Remember a count read alone: planning a dataset of many files needs only these, and each costs reading
    the tree's whole header (megabytes for a NanoAOD file of a thousand branches) — once per file, not per run."""
    write_json(_entry(path, tree, size, mtime_ns, "entries"), {"version": VERSION, "entries": int(entries)})
