"""``run.json``: what ran, on which inputs, with which software, how long it took and what it wrote.

Enough to tell later whether two result folders are comparable: the plan hash, every input file with its size
and SHA-256, package versions, Python and platform, timings per stage, the outputs and the final status.
Input checksums are computed in a background thread while the partitions run.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import platform
import stat
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RECORD_FORMAT = 1
PACKAGES = (
    "fasthep-flow",
    "numpy",
    "awkward",
    "uproot",
    "hist",
    "boost-histogram",
    "pyarrow",
    "dask",
    "distributed",
    "matplotlib",
    "mplhep",
)
"""Packages whose versions decide results; looked up by metadata, without importing them."""


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    """SHA-256 of a regular file, reading no more than the size it had when opened.

    A FIFO or a device (``/dev/zero``) named as an input would otherwise be read forever: it is refused
    (``OSError``) without blocking, and a file still growing is hashed up to its size at open time.
    """
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or folder)", str(path))
        left = st.st_size
        while left > 0 and (chunk := f.read(min(block, left))):
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def _checksum_cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fasthep-flow" / "checksums.json"


_CHECKSUMS_LOCK = threading.Lock()


def cached_sha256(path: Path) -> str:
    """SHA-256 of an input file, remembered by (real path, size, mtime) across runs.

    Re-running a workflow on the same multi-GB inputs should not re-read every byte just for ``run.json``;
    a file that changed gets a new size or mtime and is hashed again. The cache is a small JSON file in the
    user's cache folder, replaced atomically; if it cannot be read or written the hash is simply computed.
    """
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    cache_file = _checksum_cache_file()
    with _CHECKSUMS_LOCK:
        try:
            known = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if isinstance(known, dict) and isinstance(known.get(key), str):
            return known[key]
    digest = sha256_of(path)
    with _CHECKSUMS_LOCK, contextlib.suppress(OSError):
        try:
            known = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        known = known if isinstance(known, dict) else {}
        known[key] = digest
        if len(known) > 10_000:  # bounded: forget the oldest half
            known = dict(list(known.items())[len(known) // 2 :])
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known), encoding="utf-8")
        os.replace(tmp, cache_file)
    return digest


class InputHasher:
    """Sizes and checksums of the input files, computed off the main thread."""

    def __init__(self, files: Iterable[tuple[str, str]]) -> None:
        self._files = list(dict.fromkeys(files))
        self._result: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._work, name="fasthep-flow-hash", daemon=True)

    def start(self) -> InputHasher:
        self._thread.start()
        return self

    def _work(self) -> None:
        _lower_priority()
        for dataset, file in self._files:
            entry: dict[str, Any] = {"dataset": dataset, "path": file}
            path = Path(file)
            try:
                entry["size"] = path.stat().st_size
                entry["sha256"] = cached_sha256(path)
            except OSError as exc:
                entry["error"] = f"{type(exc).__name__}: {exc}"
            self._result.append(entry)

    def result(self) -> list[dict[str, Any]]:
        if self._thread.ident is not None:
            self._thread.join()
        return list(self._result)


def _lower_priority() -> None:
    """Checksums may use idle CPU only: on Linux a thread can be niced on its own (its id is a task id)."""
    if sys.platform.startswith("linux") and hasattr(os, "setpriority"):
        # Not permitted (some containers): the checksums then share the CPU evenly, which is still correct.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Installed versions, looked up once per process (reading package metadata costs ~3 ms a package, more
    than an unchanged re-run may take; a process does not see packages upgraded under it anyway, since the
    modules it imported stay the old ones)."""
    return dict(_package_versions(tuple(names)))


@functools.cache
def _package_versions(names: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return tuple(versions.items())


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
    }


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def previous_outputs(outdir: Path) -> list[str]:
    """The outputs the last run into ``outdir`` recorded (relative paths), so stale ones can be removed."""
    try:
        record = json.loads((outdir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    outputs = record.get("outputs") if isinstance(record, Mapping) else None
    if not isinstance(outputs, list):
        return []
    paths = []
    for item in outputs:
        path = item.get("path") if isinstance(item, Mapping) else item
        if isinstance(path, str):
            paths.append(path)
    return paths


def build_record(
    *,
    plan_hash: str,
    workflow_file: str | None,
    status: str,
    started: str,
    elapsed: float,
    options: Mapping[str, Any],
    inputs: list[dict[str, Any]],
    partitions: int,
    events: int,
    stages: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "format": RECORD_FORMAT,
        "status": status,
        "plan_hash": plan_hash,
        "workflow": workflow_file,
        "started": started,
        "finished": now(),
        "elapsed_seconds": round(elapsed, 6),
        "options": dict(options),
        "environment": environment(),
        "inputs": inputs,
        "partitions": partitions,
        "events": events,
        "stages": stages,
        "outputs": outputs,
        "errors": errors,
        "warnings": warnings,
    }


def record_json(record: Mapping[str, Any]) -> str:
    """One top-level key per line and one list item per line: readable, and encoded by the C encoder.

    ``json.dumps(indent=...)`` falls back to the pure-Python encoder, which for a plan of thousands of nodes
    costs more than running it.
    """
    return layered_json(record)


def plan_json(plan: Any) -> str:
    """``plan.json``: the content of ``fasthep_flow.plan.to_json`` (the plan and its hash), one node a line."""
    data = plan.to_dict()
    data["hash"] = plan.hash
    return layered_json(data)


def layered_json(data: Mapping[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        head = f"  {json.dumps(key)}: "
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {json.dumps(v, default=str)}" for v in value)
            lines.append(f"{head}[\n{items}\n  ]")
        else:
            lines.append(head + json.dumps(value, default=str))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def diagnostic_dict(diagnostic: Any) -> dict[str, Any]:
    """A diagnostic as ``run.json`` keeps it (1-based line and column, as people read them)."""
    span = diagnostic.span
    out: dict[str, Any] = {
        "code": diagnostic.code.id,
        "name": diagnostic.code.name,
        "severity": diagnostic.severity.label,
        "message": diagnostic.message,
        "file": span.file,
        "line": span.start.line + 1,
        "column": span.start.col + 1,
    }
    if diagnostic.hint:
        out["hint"] = diagnostic.hint
    if diagnostic.data:
        out["data"] = {k: v for k, v in diagnostic.data.items() if v is not None}
    return out
