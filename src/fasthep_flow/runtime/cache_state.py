"""What a run would reuse, per stage, found without running anything: the editor's cache lenses.

The same decision a run makes (``PartitionCache.prepare``: keys, store entries, which nodes must run and why)
over the partitions the command line's ``run`` would cut (``execution.chunk_size``, else the default), in the
cache it would use (``execution.cache``, else the user's cache folder). Nothing is read but file identities,
entry counts and the cache's small index entries; no product is decoded. Only modules already imported (or
fasthep-flow's own) are hashed: code a workflow names is never imported here.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthep_flow.plan import ExecutionPlan
from fasthep_flow.runtime.bindings import Bindings, RegistryLike
from fasthep_flow.runtime.cache_store import cache_folder
from fasthep_flow.runtime.chain import compile_program, off_steps
from fasthep_flow.runtime.options import DEFAULT_CHUNK_SIZE
from fasthep_flow.runtime.partition_cache import CacheConfig, KeyBasis, PartitionCache
from fasthep_flow.runtime.partitions import make_partitions

MAX_PARTITIONS = 2000
"""Above this many partitions the lenses do not check (each costs a few small file reads)."""


@dataclass
class StageCacheState:
    """One stage over every partition it runs on: how many a run would reuse, and why the others would run."""

    stage: str
    total: int = 0
    cached: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        if self.total and self.cached == self.total:
            return f"✓ {self.cached}/{self.total} partitions cached"
        reason = max(self.reasons, key=lambda r: self.reasons[r]) if self.reasons else "not cached"
        left = self.total - self.cached
        return f"will recompute: {reason}" + (f" ({left}/{self.total} partitions)" if self.cached else "")


def stage_cache_states(plan: ExecutionPlan, registry: RegistryLike) -> dict[str, StageCacheState] | str:
    """Stage id -> its state; or a sentence saying why there is none (cache off, code not loaded...)."""
    execution: Mapping[str, Any] = plan.execution or {}
    folder = cache_folder(execution.get("cache"), plan.workflow_file)
    if folder is None:
        return "cache off"
    bindings = Bindings.from_registry(plan, registry)
    foreign = _unloaded(bindings)
    if foreign:
        return f"cache state unknown: '{foreign}' is not loaded"
    chunk = execution.get("chunk_size")
    chunk_size = chunk if isinstance(chunk, int) and not isinstance(chunk, bool) else DEFAULT_CHUNK_SIZE
    partitioning = make_partitions(plan, list(plan.datasets), bindings, chunk_size)
    if partitioning.problems:
        return "cache state unknown: " + partitioning.problems[0].message
    parts = partitioning.partitions
    if len(parts) > MAX_PARTITIONS:
        return f"cache state not checked: {len(parts)} partitions"
    if not Path(folder).is_dir():
        return _nothing_cached(plan)
    program = compile_program(plan, bindings)
    basis = KeyBasis.of(CacheConfig(Path(folder)), plan, program.steps, bindings)
    states: dict[str, StageCacheState] = {}
    for part in parts:
        dataset = program.datasets[part.dataset]
        off = off_steps(program, dataset)
        cache = PartitionCache.prepare(basis, dataset, part, off, decode=False)
        for step in program.steps:
            if step.id not in cache.keys or step.id != f"stage.{step.stage}":
                continue
            state = states.setdefault(step.stage, StageCacheState(step.stage))
            state.total += 1
            if step.id in cache.runs:
                reason = plain_reason(cache.runs[step.id])
                state.reasons[reason] = state.reasons.get(reason, 0) + 1
            else:
                state.cached += 1
    return states


def _nothing_cached(plan: ExecutionPlan) -> dict[str, StageCacheState]:
    return {n.stage: StageCacheState(n.stage) for n in plan.nodes if n.stage and n.id == f"stage.{n.stage}"}


def _unloaded(bindings: Bindings) -> str | None:
    """The first module of code the workflow names that is neither ours nor already imported."""
    refs = [*bindings.nodes.values(), *bindings.functions.values(), bindings.merge]
    for ref in refs:
        module = ref.split(":", 1)[0]
        if module.split(".", 1)[0] != "fasthep_flow" and module not in sys.modules:
            return module
    return None


def plain_reason(reason: str) -> str:
    """A run's reason, as a lens says it: ``changed: params`` -> ``params changed``."""
    if reason.startswith("changed: "):
        return reason.removeprefix("changed: ") + " changed"
    if reason.startswith("not cached"):
        return "not cached"
    if reason.startswith("its events are needed by "):
        return "needed by " + reason.removeprefix("its events are needed by ").removeprefix("stage.")
    if reason.startswith("cannot be cached"):
        return "not cacheable"
    return reason
