"""``run --from STAGE`` / ``--to STAGE``: the part of the plan a range of stages needs, and what it must find
in the cache.

The range is ``--from``'s stage, its attachments (writes, renders, inspections) and everything downstream of
them, cut at ``--to``'s stage and its attachments (everything ``--to`` needs); sibling branches are left out.
The sub-plan keeps the range and every node above it, since those make the range's inputs; with ``--from``
those nodes must be *reused*: before anything runs, each partition's cache decision (the same one a run
makes, ``partition_cache.py``) must reuse every one of them, or the run is refused with FF408 naming the first
that would have to run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic
from fasthep_flow.plan import ExecutionPlan, Partition
from fasthep_flow.runtime.chain import Job, off_steps, program_for
from fasthep_flow.runtime.errors import RunProblem
from fasthep_flow.runtime.partition_cache import KeyBasis, PartitionCache


@dataclass(frozen=True)
class PlanRange:
    plan: ExecutionPlan
    """The range and every node above it."""
    upstream: frozenset[str]
    """Nodes above the range (with ``--from``): read back from the cache, never run."""


def plan_range(plan: ExecutionPlan, first: str | None, last: str | None) -> PlanRange | Diagnostic:
    """The sub-plan from stage ``first`` to stage ``last`` (either may be None: the plan's start or end)."""
    import networkx as nx

    graph = plan.graph
    wanted: set[str] | None = None
    if first is not None:
        start = _stage_nodes(plan, first, "--from")
        if isinstance(start, Diagnostic):
            return start
        wanted = set(start)
        for node in start:
            wanted |= nx.descendants(graph, node)
    if last is not None:
        end = _stage_nodes(plan, last, "--to")
        if isinstance(end, Diagnostic):
            return end
        needed = set(end)
        for node in end:
            needed |= nx.ancestors(graph, node)
        wanted = needed if wanted is None else wanted & needed
        if not wanted:
            return RunProblem(
                codes.PARAM_VALUE,
                f"--to {last} is not downstream of --from {first}: the range holds no stage",
                plan.workflow_file,
                hint="--to names a stage that reads, directly or not, what the --from stage makes",
            ).diagnostic
    if wanted is None:
        return PlanRange(plan, frozenset())
    keep = set(wanted)
    for node in wanted:
        keep |= nx.ancestors(graph, node)
    nodes = tuple(n for n in plan.nodes if n.id in keep)
    upstream = frozenset(keep - wanted) if first is not None else frozenset()
    return PlanRange(dataclasses.replace(plan, nodes=nodes), upstream)


def _stage_nodes(plan: ExecutionPlan, stage: str, flag: str) -> list[str] | Diagnostic:
    """``stage.<id>`` and its attachments, or FF301 naming the stages there are."""
    node = f"stage.{stage}"
    if node not in plan.by_id:
        from fasthep_flow.ops.failures import did_you_mean

        stages = [n.stage for n in plan.nodes if n.id == f"stage.{n.stage}"]
        hint = (
            did_you_mean(stage, [s for s in stages if s])
            or f"the stages are: {', '.join(s for s in stages if s)}"
        )
        return RunProblem(
            codes.UNKNOWN_STAGE_REF, f"{flag} {stage}: no stage has this id", plan.workflow_file, hint
        ).diagnostic
    return [node, *(n.id for n in plan.nodes if n.stage == stage and n.id != node)]


def uncached(job: Job, parts: Sequence[Partition], upstream: frozenset[str], first: str) -> Diagnostic | None:
    """FF408 for the first node above the range that a partition would have to run (not reuse)."""
    if not upstream:
        return None
    if job.cache is None:
        return RunProblem(
            codes.NOT_CACHED,
            f"--from {first} reads the stages above it from the cache, and this run has none",
            job.plan.workflow_file,
            hint="drop --no-cache (or give --cache-dir)",
        ).diagnostic
    program = program_for(job)
    basis = KeyBasis.of(job.cache, job.plan, program.steps, job.bindings)
    for part in parts:
        dataset = program.datasets[part.dataset]
        off = off_steps(program, dataset)
        cache = PartitionCache.prepare(basis, dataset, part, off)
        for step in program.steps:
            if step.id in upstream and step.id in cache.runs:
                return RunProblem(
                    codes.NOT_CACHED,
                    f"--from {first}: '{step.id}' is not in the cache for {part.label} ({cache.runs[step.id]})",
                    job.plan.workflow_file,
                    hint=f"run once without --from into this cache, then use --from {first}",
                    extra={"node": step.id, "dataset": part.dataset, "partition": part.index},
                ).diagnostic
    return None
