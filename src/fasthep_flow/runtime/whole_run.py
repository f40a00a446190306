"""The "nothing changed" shortcut: a re-run whose every ingredient equals the last complete run's reuses that
run's outputs whole, without reading a single per-partition cache entry.

A run's *fingerprint* hashes the plan hash, every node key of every partition (``partition_keys``: op, code,
params, functions, inputs, the input files' identities and entry ranges, context, versions), the code of every
bound implementation (renders and dataset-level writes have no partition key), the merge function, the package
versions that decide results, and the datasets selected. A complete, successful run with a cache stamps its
``run.json`` with the fingerprint and the size and modification time of each output it wrote.

The next run into the same output folder computes its fingerprint first (keys only: no store is read). When
it equals the stamp, the outputs are still the ones stamped (same size, same mtime, regular files, no link on
the way) and the cache still holds that run's merged products, the run links those outputs into its staging
folder, writes a new ``plan.json``, ``events.jsonl`` (every node "reused") and ``run.json``, and promotes as
every run does (atomic swap). Anything different, missing or unreadable means "run normally" — the shortcut
never decides a result on its own, it only recognises one already made.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, Partition
from fasthep_flow.runtime.cache_key import canonical_json, code_hash, hash_text
from fasthep_flow.runtime.cache_store import CacheStore
from fasthep_flow.runtime.chain import Job, off_steps, program_for
from fasthep_flow.runtime.output_folder import OutputDir
from fasthep_flow.runtime.outputs import EVENTS_NAME, PLAN_NAME, RECORD_NAME, safe_relative
from fasthep_flow.runtime.partition_cache import REUSED, KeyBasis, partition_keys
from fasthep_flow.runtime.product_codec import decode_products
from fasthep_flow.runtime.record import package_versions

STAMP = "whole_run"
"""The key of ``run.json``'s ``cache`` section that holds the fingerprint and the outputs' identities."""
REWRITTEN = frozenset({RECORD_NAME, PLAN_NAME, EVENTS_NAME})
"""Files every run writes afresh: never reused, never stamped."""


@dataclass(frozen=True)
class Fingerprint:
    value: str
    partitions: dict[tuple[str, str], int] = field(default_factory=dict)
    """(node, dataset) -> partitions it has keys in: the ``--explain`` rows of a reused run."""


def fingerprint(job: Job, parts: Sequence[Partition], datasets: Sequence[DatasetPlan]) -> Fingerprint:
    """The run's fingerprint, from keys alone (the input files are stat'ed, their UUIDs read once)."""
    if job.cache is None:
        raise ValueError("a fingerprint needs the run's cache configuration")
    program = program_for(job)
    bindings = job.bindings
    basis = KeyBasis.of(job.cache, job.plan, program.steps, bindings)
    keys: list[tuple[int, str, str]] = []
    counts: dict[tuple[str, str], int] = {}
    off_by_dataset: dict[str, set[str]] = {}
    for part in parts:
        dataset = program.datasets[part.dataset]
        off = off_by_dataset.get(dataset.name)
        if off is None:
            off = off_by_dataset[dataset.name] = off_steps(program, dataset)
        found = partition_keys(basis, dataset, part, off)
        for node, key in found.items():
            keys.append((part.index, node, key.key))
            counts[(node, part.dataset)] = counts.get((node, part.dataset), 0) + 1
    code = {node: code_hash(impl) for node, impl in sorted(bindings.nodes.items())}
    data = {
        "plan": job.plan.hash,
        "keys": keys,
        "code": code,
        "merge": [bindings.merge, code_hash(bindings.merge)],
        "packages": package_versions(),
        "datasets": [d.name for d in datasets],
        "content_hash": job.cache.content_hash,
    }
    return Fingerprint(hash_text(canonical_json(data)), counts)


def stamp(value: str, staging: Path, files: Sequence[PurePosixPath]) -> dict[str, Any]:
    """What a complete run records for the next one to recognise it: its fingerprint and outputs."""
    seen: dict[str, list[int]] = {}
    for rel in files:
        if rel.as_posix() in REWRITTEN:
            continue
        st = os.lstat(staging / rel)
        seen[rel.as_posix()] = [st.st_size, st.st_mtime_ns]
    return {"fingerprint": value, "files": seen}


@dataclass
class Reusable:
    """A previous complete run whose outputs this run can take over as they are."""

    record: dict[str, Any]
    files: list[PurePosixPath]
    products: dict[tuple[str, str], dict[str, Any]]
    digests: dict[str, str]
    events: list[dict[str, Any]]


def find_reusable(
    out: OutputDir, store: CacheStore, value: str, warnings: Sequence[Mapping[str, Any]]
) -> Reusable | None:
    """The last run in ``out`` when it is complete, stamped with ``value`` and its outputs are untouched."""
    record = _read_json(out.root / RECORD_NAME)
    if not isinstance(record, dict) or record.get("status") != "ok" or record.get("errors"):
        return None
    if list(record.get("warnings") or ()) != list(warnings):
        return None  # a warning of that run would not be shown again: run normally
    stamped = (record.get("cache") or {}).get(STAMP) or {}
    if stamped.get("fingerprint") != value or not isinstance(stamped.get("files"), dict):
        return None
    files = _untouched(out, stamped["files"])
    if files is None:
        return None
    history = _read_json(store.folder / "runs" / f"{record.get('run_id')}.json")
    digests = history.get("product_digests") if isinstance(history, dict) else None
    if not isinstance(digests, dict):
        return None
    products: dict[tuple[str, str], dict[str, Any]] = {}
    for label, digest in digests.items():
        data = store.get_blob(str(digest))
        decoded = decode_products(data) if data is not None else None
        if decoded is None:
            return None
        node, _, dataset = str(label).partition("|")
        products[(node, dataset)] = decoded
    events = _previous_events(out.root / EVENTS_NAME)
    if events is None:
        return None
    return Reusable(record, files, products, {str(k): str(v) for k, v in digests.items()}, events)


def _untouched(out: OutputDir, stamped: Mapping[str, Any]) -> list[PurePosixPath] | None:
    """The stamped outputs, each still a regular file of the stamped size and mtime reached through no link."""
    files = []
    for text, ident in stamped.items():
        try:
            rel = safe_relative(text)
        except OpError:
            return None
        if rel.as_posix() != text or out.symlink_on(rel) is not None:
            return None
        try:
            st = os.lstat(out.root / rel)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or [st.st_size, st.st_mtime_ns] != list(ident):
            return None
        files.append(rel)
    return files


def _previous_events(path: Path) -> list[dict[str, Any]] | None:
    """The previous run's node events, each now "reused" (no time spent); None when unreadable."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
        events = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError):
        return None
    if not all(isinstance(e, dict) for e in events):
        return None
    return [{**e, "status": REUSED, "seconds": 0.0} for e in events]


def link_outputs(out: OutputDir, files: Sequence[PurePosixPath]) -> bool:
    """Hard-link (else copy) the reused outputs into the staging folder; False (nothing left) on failure."""
    done: list[Path] = []
    try:
        for rel in files:
            target = out.staged(rel)
            try:
                os.link(out.root / rel, target, follow_symlinks=False)
            except OSError:
                shutil.copy2(out.root / rel, target, follow_symlinks=False)
            done.append(target)
    except OSError:
        for path in done:
            with contextlib.suppress(OSError):
                path.unlink()
        return False
    return True


def events_jsonl(events: Sequence[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(dict(e), sort_keys=True) + "\n" for e in events)


def reused_stages(stages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The previous run's stage rows, every partition now reused (no call, no time)."""
    return [
        {**row, "seconds": 0.0, "calls": 0, "reused": int(row.get("calls", 0)) + int(row.get("reused", 0))}
        for row in stages
    ]


def explain_rows(found: Fingerprint, reused_run: str) -> dict[str, Any]:
    """``--explain`` for a reused run: every node reused in every partition, and why."""
    nodes = [
        {"node": node, "dataset": dataset, "reused": n, "recomputed": 0, "why": {}}
        for (node, dataset), n in found.partitions.items()
    ]
    return {
        "enabled": True,
        "reused": sum(found.partitions.values()),
        "recomputed": 0,
        "nodes": nodes,
        "reused_from": reused_run,
        "note": f"nothing changed since run {reused_run}: its outputs were reused whole",
    }


def _read_json(path: Path) -> Any:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
