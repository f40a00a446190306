"""One partition through the plan: read, every stage in order, partition-level writes and observers.

This is the unit every executor runs (in the calling thread, a thread pool, a process pool or a Dask worker).
It returns a ``Partial``: the products of each node, the stream chunks that dataset- and final-level writes
need, per-node counts and timings, and the failures. Partials of one dataset combine (``combine``) into the
dataset's result. A failing op never escapes as an exception: it becomes a ``StageError``; only a broken
invariant (``InternalError``) propagates.
"""

from __future__ import annotations

import functools
import gc
import re
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import perf_counter
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import (
    INPUT_NAMES,
    DatasetPlan,
    ExecutionPlan,
    NodeKind,
    Origin,
    Partition,
    PlanNode,
    dataset_label,
)
from fasthep_flow.runtime.bindings import Bindings, function_table, resolve
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.joins import input_names, is_join
from fasthep_flow.runtime.merge import merge_named
from fasthep_flow.runtime.node_events import NodeStats, node_event, node_span
from fasthep_flow.runtime.outputs import clean_key, safe_relative, with_tag
from fasthep_flow.runtime.partition_cache import (
    RECOMPUTED,
    REUSED,
    CacheConfig,
    CacheVanished,
    Explained,
    KeyBasis,
    PartitionCache,
)
from fasthep_flow.runtime.placement import placed


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run partitions of one run: plain, picklable data."""

    token: str
    """Unique per run: workers cache the compiled program under it."""
    plan: ExecutionPlan
    bindings: Bindings
    staging: Path
    """Where ops write (the run's staging folder inside --outdir)."""
    first: Mapping[str, int] = field(default_factory=dict)
    """Index of each dataset's first partition (``mode: first_partition`` observers run there only)."""
    keep_going: bool = False
    debug: bool = False
    part_names: Mapping[int, str] = field(default_factory=dict)
    """Partition index -> ``<file index>_<chunk index>`` in its dataset (where a per-partition write lands)."""
    cache: CacheConfig | None = None
    """The content-addressed cache to reuse and fill (None: every node runs)."""
    gpu_nodes: frozenset[str] = frozenset()
    """Stage nodes placed on a CUDA device (``runtime/gpu_placement.py``): they run on columns moved there."""


@dataclass
class Partial:
    """The result of one or more consecutive partitions of one dataset."""

    dataset: str
    partitions: int = 0
    events: int = 0
    generator_weights: float | None = None
    """Sum of the dataset's ``generator_weight`` column over every event read (before any selection); None
    when the dataset names none. The denominator of the luminosity scaling of simulation in plots."""
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Node id -> product name -> product."""
    chunks: dict[str, list[Events]] = field(default_factory=dict)
    """Node id -> the stream pieces a `when: dataset|final` write collects, in partition order."""
    written: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Node id -> the files its per-partition writes made: ``{path, partition, entries}`` (for the manifest)."""
    stats: dict[str, NodeStats] = field(default_factory=dict)
    """Node id -> events in and out, seconds and calls, summed over partitions."""
    explain: list[Explained] = field(default_factory=list)
    """With a cache: each node in each partition, reused or recomputed and why (partition order)."""
    log: list[dict[str, Any]] = field(default_factory=list)
    """The node events of these partitions (the run's ``events.jsonl``), in partition order."""
    failures: list[StageError] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    """Nodes that failed, or were skipped because something they depend on failed."""
    seconds: float = 0.0


@dataclass(frozen=True)
class PartitionInfo:
    """What the progress display needs from a finished partition (cheap to send back from a worker)."""

    events: int
    seconds: float
    failures: tuple[StageError, ...]


def partition_info(partial: Partial) -> PartitionInfo:
    return PartitionInfo(partial.events, partial.seconds, tuple(partial.failures))


class StageTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than its execution.timeout of {seconds:g} s")
        self.seconds = seconds


# --- the compiled program -----------------------------------------------------------------------------------

READ, TRANSFORM, SINK, WRITE, INSPECT = "read", "transform", "sink", "write", "inspect"


@dataclass(slots=True)
class Step:
    id: str
    node: PlanNode
    role: str
    fn: Callable[..., Any]
    src: str | None
    deps: tuple[str, ...]
    applies: AppliesTo | None
    when: str
    timeout: float | None
    retries: int
    params: dict[str, Any]
    stage: str
    source: str | None = None
    release: tuple[str, ...] = ()
    more: tuple[str, ...] = ()
    """A stage reading several streams (its plan params name them, ``INPUT_NAMES``): its inputs after
    ``src``."""
    names: tuple[str, ...] = ()
    """Such a stage's input names, ``src`` first: its op is called with a mapping name -> stream."""


@dataclass
class Program:
    steps: list[Step]
    datasets: dict[str, DatasetPlan]
    functions: Mapping[str, Callable[..., Any]]
    retries: dict[str, int]
    dataset_names: tuple[str, ...] = ()
    runs: Mapping[str, frozenset[str]] | None = None
    """With systematics: plan dataset -> the nodes its partitions run (``variation_nodes``); None: every node."""


_PROGRAMS: dict[str, Program] = {}
_PROGRAMS_LOCK = threading.Lock()


def program_for(job: Job) -> Program:
    """The job compiled to steps, once per process (thread pools share it)."""
    program = _PROGRAMS.get(job.token)
    if program is None:
        with _PROGRAMS_LOCK:
            program = _PROGRAMS.get(job.token)
            if program is None:
                program = compile_program(job.plan, job.bindings)
                if len(_PROGRAMS) > 8:
                    _PROGRAMS.clear()
                _PROGRAMS[job.token] = program
    return program


def compile_program(plan: ExecutionPlan, bindings: Bindings) -> Program:
    """The plan's partition-level nodes as ready-to-call steps.

    Garbage collection is paused meanwhile: a large plan allocates tens of thousands of small acyclic objects
    here, and collector passes over the whole heap would cost more than the compilation itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _compile_program(plan, bindings)
    finally:
        if was_enabled:
            gc.enable()


def _compile_program(plan: ExecutionPlan, bindings: Bindings) -> Program:
    steps: list[Step] = []
    partition_ids = {n.id for n in plan.nodes if n.kind is not NodeKind.RENDER and n.id not in bindings.once}
    defaults = (
        plan.execution or {}
    )  # the workflow's `execution.retries/timeout`: for stages without their own
    for node in plan.nodes:
        if node.kind is NodeKind.RENDER or node.id in bindings.once:
            continue  # after the partitions (runtime/finish.py)
        role = _role(node, bindings)
        src = node.inputs[0] if node.inputs else None
        if role != READ and src is None:
            raise InternalError(f"plan node {node.id!r} has no input stream")
        if src is not None and src not in partition_ids:
            raise InternalError(f"plan node {node.id!r} reads {src!r}, which is not a stream-producing node")
        deps = tuple(d for d in (*node.inputs, *node.after) if d in partition_ids)
        execution = node.execution or {}
        steps.append(
            Step(
                id=node.id,
                node=node,
                role=role,
                fn=resolve(bindings.nodes[node.id]),
                src=src,
                deps=deps,
                applies=applies_to_of(node.applies_to),
                when=node.when or "partition",
                timeout=parse_seconds(execution.get("timeout", defaults.get("timeout"))),
                retries=_int(execution.get("retries", defaults.get("retries"))),
                params=dict(node.params or {}),
                stage=node.stage or node.id,
                source=_source_of(node) if role == READ else None,
                more=node.inputs[1:] if role == TRANSFORM and INPUT_NAMES in node.params else (),
                names=tuple(node.params[INPUT_NAMES])
                if role == TRANSFORM and INPUT_NAMES in node.params
                else (),
            )
        )
    _plan_releases(steps)
    return Program(
        steps=steps,
        datasets={d.name: d for d in plan.datasets},
        functions=function_table(bindings),
        retries={s.id: s.retries for s in steps},
        dataset_names=plan.dataset_labels,
        runs=variation_nodes(plan) if plan.variations else None,
    )


def variation_nodes(plan: ExecutionPlan) -> dict[str, frozenset[str]]:
    """Plan dataset -> the nodes its partitions run, with systematics.

    A nominal dataset runs every nominal node (variations share them) and the copies of each variation whose
    changes apply to it; a dataset a variation reads in place of another runs that variation's view only.
    """
    copies = set(plan.varied_nodes)
    nominal = frozenset(n.id for n in plan.nodes if n.id not in copies)
    runs: dict[str, set[str]] = {d.name: set(nominal) for d in plan.datasets if d.name == dataset_label(d)}
    for view in plan.variations:
        for member in view.datasets:
            if member.run in runs and member.run == member.label:
                if member.varied:
                    runs[member.run].update(view.nodes.values())
            else:
                runs.setdefault(member.run, set()).update(view.node_for(n, member) for n in nominal)
    return {name: frozenset(ids) for name, ids in runs.items()}


def _role(node: PlanNode, bindings: Bindings) -> str:
    if node.kind is NodeKind.READ:
        return READ
    if node.kind is NodeKind.STAGE:
        return SINK if node.id in bindings.sinks else TRANSFORM
    if node.kind is NodeKind.WRITE:
        return WRITE
    if node.kind is NodeKind.INSPECT:
        return INSPECT
    raise InternalError(f"plan node {node.id!r} of kind {node.kind!r} cannot run on a partition")


def _source_of(node: PlanNode) -> str:
    from fasthep_flow.runtime.bindings import read_source_name

    return read_source_name(node)


def _plan_releases(steps: list[Step]) -> None:
    """Free each stream right after its last consumer, so a partition holds only the streams still needed."""
    last: dict[str, int] = {}
    for i, step in enumerate(steps):
        last[step.id] = i
        for src in (step.src, *step.more):
            if src is not None:
                last[src] = i
    free: dict[int, list[str]] = {}
    for node_id, i in last.items():
        free.setdefault(i, []).append(node_id)
    for i, step in enumerate(steps):
        step.release = tuple(free.get(i, ()))


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """``applies_to``: the eventtypes and/or dataset names a stage runs for (None = any)."""

    eventtypes: frozenset[str] | None = None
    datasets: frozenset[str] | None = None

    def __call__(self, dataset: DatasetPlan) -> bool:
        if self.eventtypes is not None and dataset.eventtype not in self.eventtypes:
            return False
        return self.datasets is None or dataset.name in self.datasets


def applies_to_of(applies_to: Mapping[str, Any] | None) -> AppliesTo | None:
    if not applies_to:
        return None
    eventtypes = _names(applies_to.get("eventtype", applies_to.get("eventtypes")))
    datasets = _names(applies_to.get("dataset", applies_to.get("datasets")))
    if eventtypes is None and datasets is None:
        return None
    return AppliesTo(eventtypes, datasets)


def _names(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(str(v) for v in value)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h)?\s*$")
_UNIT = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_seconds(value: Any) -> float | None:
    """``execution.timeout``: seconds as a number, or ``"500ms"``, ``"30s"``, ``"5m"``, ``"1h"``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    match = _DURATION.match(str(value))
    if not match:
        raise InternalError(f"execution.timeout {value!r} should have been refused by the compiler")
    seconds = float(match.group(1)) * _UNIT[match.group(2)]
    return seconds if seconds > 0 else None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else 0


# --- running one partition ----------------------------------------------------------------------------------


def run_partition(job: Job, part: Partition) -> Partial:
    """Run every partition-level node on ``part``; re-run the partition while failing stages have retries."""
    program = program_for(job)
    attempt = 0
    while True:
        attempt += 1
        partial = _run_once(program, job, part)
        if not partial.failures:
            return partial
        if not all(attempt <= program.retries.get(f.node, 0) for f in partial.failures):
            break
    for failure in partial.failures:
        failure.attempts = attempt
    return partial


DATASET_METADATA = ("xs", "n_unskimmed_events", "filter_efficiency")
"""Dataset keys upstream exposes to expressions, both bare and as ``dataset_<key>`` (LANGUAGE.md §17.4)."""


def context_symbols(dataset: DatasetPlan, part: Partition, names: Sequence[str] = ()) -> dict[str, Any]:
    """The context symbols expressions may use (DESIGN §2.1, LANGUAGE.md §17.4): the dataset's name, type,
    group and metadata, and this partition's file and entries (``entries`` counts this partition's).
    ``dataset_names`` lists every dataset of the run, in order (a dataset axis has one bin per dataset)."""
    meta = dataset.meta or {}
    label = dataset_label(dataset)  # a variation's stand-in for a dataset carries that dataset's name
    out: dict[str, Any] = {
        "dataset_names": tuple(names),
        "dataset": label,
        "dataset_name": label,
        "dataset_eventtype": dataset.eventtype,
        "dataset_group": str(meta.get("group") or dataset.name),
        "dataset_is_data": dataset.eventtype == "data",
        "dataset_nevents": dataset.nevents,
        "file": part.file or "",
        "entries": (part.stop - part.start) if part.stop is not None else None,
        "start": part.start,
        "stop": part.stop,
    }
    for key in DATASET_METADATA:
        value = _number(meta.get(key))
        out[key] = out[f"dataset_{key}"] = value
    return out


def _number(value: Any) -> Any:
    """Metadata as a float when it reads as one (YAML may give `xs: "2.5"`); anything else as it is."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _run_once(program: Program, job: Job, part: Partition) -> Partial:
    t_start = perf_counter()
    dataset = program.datasets.get(part.dataset)
    if dataset is None:
        raise InternalError(f"partition of unknown dataset {part.dataset!r}")
    off = off_steps(program, dataset)
    cache = None
    if job.cache is not None:
        basis = KeyBasis.of(job.cache, job.plan, program.steps, job.bindings)
        cache = PartitionCache.prepare(basis, dataset, part, off)
    try:
        partial = _run_steps(program, job, part, dataset, off, cache, t_start)
        if not partial.failures or cache is None or not cache.loads:
            return partial
        # A stage failed on a stream read back from the cache: run the partition from its inputs, so a cached
        # stream can never be the reason of a failure (e.g. an op reading a field it does not declare).
        cache.loads.clear()
        cache.run_all("a stage failed on cached events; recomputed from the inputs")
        return _run_steps(program, job, part, dataset, off, cache, t_start)
    except CacheVanished:
        if cache is None:
            raise InternalError("a cache entry vanished from a run without a cache") from None
        cache.run_all("its cache entry vanished while running")
        return _run_steps(program, job, part, dataset, off, cache, t_start)


def _run_steps(
    program: Program,
    job: Job,
    part: Partition,
    dataset: DatasetPlan,
    off: set[str],
    cache: PartitionCache | None,
    t_start: float,
) -> Partial:
    state = _PartitionState.new(program, job, part, dataset)
    if cache is not None:
        state.partial.explain.extend(cache.explain(part.index))
    dead = state.partial.dead
    for step in program.steps:
        if step.id in off:
            continue
        if dead and any(d in dead for d in step.deps):
            dead.add(step.id)
            continue
        if not run_node(step, state, cache) and not job.keep_going:
            break
        for freed in step.release:
            state.streams.pop(freed, None)
    state.partial.seconds = perf_counter() - t_start
    return state.partial


def off_steps(program: Program, dataset: DatasetPlan) -> set[str]:
    """Steps that do not apply to this dataset's source (a read of another source, and all below it)."""
    off: set[str] = set()
    runs = program.runs.get(dataset.name) if program.runs is not None else None
    for step in program.steps:
        if (
            (step.role == READ and step.source != dataset.source)
            or (step.src is not None and step.src in off)
            or (runs is not None and step.id not in runs)
        ):
            off.add(step.id)
    return off


@dataclass(slots=True)
class _PartitionState:
    job: Job
    part: Partition
    dataset: DatasetPlan
    symbols: dict[str, Any]
    partial: Partial
    functions: Mapping[str, Callable[..., Any]]
    streams: dict[str, Events] = field(default_factory=dict)

    @classmethod
    def new(cls, program: Program, job: Job, part: Partition, dataset: DatasetPlan) -> _PartitionState:
        """The state of a partition about to run: its context symbols, an empty partial, no streams yet."""
        symbols = {**job.bindings.constants, **context_symbols(dataset, part, program.dataset_names)}
        return cls(job, part, dataset, symbols, Partial(dataset.name, partitions=1), program.functions)


@dataclass(slots=True)
class _Outcome:
    n_in: int
    n_out: int
    products: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)
    counted: bool = True
    generator_weights: float | None = None
    """A read node: the sum of the dataset's generator weights over the partition (kept in the cache too)."""
    """False for a stage that does not apply to this dataset: cached, but not in the stage statistics."""


def run_node(step: Step, state: _PartitionState, cache: PartitionCache | None) -> bool:
    """The one per-node step: cache reuse or the op's call, then timings, cache store and events.

    Returns False when the node failed (the failure is recorded in the partial).
    """
    partial, part = state.partial, state.part
    with node_span(step.id, step.stage, state.dataset.name, part.index) as span:
        t0 = perf_counter()
        if cache is not None and step.id not in cache.runs:
            products, n_in, n_out, weights = cache.restore(step.id, state.job.staging)
            if weights is not None:
                partial.generator_weights = weights
            if step.id in cache.loads:
                state.streams[step.id] = cache.load_stream(step.id)
            if products:
                partial.products[step.id] = products
            if step.role == READ:
                partial.events += n_out
            applies = step.applies is None or step.applies(state.dataset)
            if step.role in (SINK, WRITE) and step.when == "partition" and applies:
                params = _placed_params(step, state.job, dataset_label(state.dataset), part)
                _record_written(step, state, params, n_out)  # restored from the cache into the same place
            if applies:
                partial.stats.setdefault(step.id, NodeStats()).add_run(n_in, n_out, 0.0, reused=True)
            partial.log.append(node_event(step.id, part.index, REUSED, perf_counter() - t0, n_in, n_out))
            span.set(REUSED, n_in, n_out)
            return True
        try:
            outcome = _ROLES[step.role](step, state)
        except InternalError:
            raise
        except Exception as exc:  # an op's failure is reported, never allowed to crash the run
            partial.dead.add(step.id)
            partial.failures.append(
                failure_of(state.job, step.node, step.role, exc, state.dataset.name, part)
            )
            partial.log.append(node_event(step.id, part.index, "failed", perf_counter() - t0, 0, 0))
            span.set("failed", 0, 0)
            return False
        seconds = perf_counter() - t0
        if outcome is None:
            return True
        if outcome.products:
            partial.products[step.id] = outcome.products
        if outcome.counted:
            stats = partial.stats.get(step.id)
            if stats is None:
                stats = partial.stats[step.id] = NodeStats()
            stats.add_run(outcome.n_in, outcome.n_out, seconds)
        if cache is not None:
            cache.save(
                step.id,
                outcome.products,
                outcome.files,
                state.job.staging,
                outcome.n_in,
                outcome.n_out,
                outcome.generator_weights,
            )
            if outcome.products and step.src is not None:
                cache.save_stream(step.src, _input(step, state))
        partial.log.append(node_event(step.id, part.index, RECOMPUTED, seconds, outcome.n_in, outcome.n_out))
        span.set(RECOMPUTED, outcome.n_in, outcome.n_out)
        return True


def _call_on_gpu(step: Step, events: Events, ctx: RunContext) -> Any:
    """Run a transform on its columns moved to the GPU; its output stream comes back to the CPU."""
    from fasthep_flow.runtime.devices import to_cpu, to_gpu

    result = _call(step, step.fn, to_gpu(events), step.params, ctx)
    if isinstance(result, StageResult) and result.events is not None:
        return replace(result, events=to_cpu(result.events))
    return result


def _sum_of(events: Events, column: str) -> float:
    """The sum of a per-event column (a generator weight); a missing column is the source's error to raise."""
    import numpy as np

    if column not in events:
        raise OpError(
            codes.RUNTIME_MISSING_FIELD,
            f"the generator weight '{column}' is not in the events read",
            "`generator_weight` names a branch of the dataset's source",
        )
    return float(np.sum(np.asarray(events[column], dtype=np.float64)))


def _ctx(step: Step, state: _PartitionState) -> RunContext:
    job = state.job
    return RunContext(
        step.stage,
        state.dataset,
        state.part,
        job.staging,
        job.plan.globals,
        state.functions,
        state.symbols,
    )


def _input(step: Step, state: _PartitionState) -> Events:
    events = state.streams.get(step.src or "")
    if events is None:
        raise InternalError(
            f"{step.id!r} runs but the stream of {step.src!r} was neither computed nor loaded"
        )
    return events


def _read(step: Step, state: _PartitionState) -> _Outcome:
    source = state.job.plan.source(step.source or "")
    weight = state.dataset.meta.get("generator_weight")
    weight = weight if isinstance(weight, str) and weight else None
    extra = weight is not None and bool(source.fields) and weight not in source.fields
    fields = (*source.fields, weight) if extra else source.fields
    if is_join(source):  # the join's reader reads each input with that input's own reader
        readers = {n: resolve(state.job.bindings.sources[n]) for n in input_names(source)}
        events = _call(step, step.fn, source, state.part, fields, _ctx(step, state), readers)
    else:
        events = _call(step, step.fn, source, state.part, fields, _ctx(step, state))
    outcome = _Outcome(0, len(events))
    if weight is not None:
        outcome.generator_weights = state.partial.generator_weights = _sum_of(events, weight)
        if extra:  # read only for the sum: the stages never asked for it
            events = Events({k: v for k, v in events.columns.items() if k != weight}, len(events))
    state.streams[step.id] = events
    state.partial.events += len(events)
    outcome.n_out = len(events)
    return outcome


def _transform(step: Step, state: _PartitionState) -> _Outcome:
    events = _input(step, state)
    if step.applies is not None and not step.applies(state.dataset):
        state.streams[step.id] = events
        return _Outcome(len(events), len(events), counted=False)
    if step.names:
        streams = [events] + [state.streams[m] for m in step.more]
        result = _call(
            step, step.fn, dict(zip(step.names, streams, strict=True)), step.params, _ctx(step, state)
        )
    elif step.id in state.job.gpu_nodes:
        result = _call_on_gpu(step, events, _ctx(step, state))
    else:
        result = _call(step, step.fn, events, step.params, _ctx(step, state))
    out = _stream_of(result, events, step.id)
    state.streams[step.id] = out
    return _Outcome(len(events), len(out), dict(result.products) if result.products else None)


def _write(step: Step, state: _PartitionState) -> _Outcome | None:
    events = _input(step, state)
    state.streams[step.id] = events
    if step.applies is not None and not step.applies(state.dataset):
        return _Outcome(len(events), len(events), counted=False)
    files: list[Path] = []
    if step.when == "partition":
        params = _placed_params(step, state.job, dataset_label(state.dataset), state.part)
        written = _call(step, step.fn, events, params, _ctx(step, state))
        files = _written_files(written, Path(params["path"]))
        _record_written(step, state, params, len(events))
    else:
        state.partial.chunks.setdefault(step.id, []).append(events)
    return _Outcome(len(events), len(events), None, files)


def _record_written(step: Step, state: _PartitionState, params: Mapping[str, Any], entries: int) -> None:
    state.partial.written.setdefault(step.id, []).append(
        {"path": params["path"], "partition": state.part.index, "entries": entries}
    )


def _placed_params(step: Step, job: Job, dataset: str, part: Partition) -> dict[str, Any]:
    """A per-partition write's params, its path placed as upstream places it (``runtime/placement.py``)."""
    if "path" not in step.params:
        return with_path(step.params, "path", job.staging, None)  # reports the missing path
    name = job.part_names.get(part.index, str(part.index))
    rel = placed(
        str(step.params["path"]), "partition", dataset=clean_key(dataset), part=name, node_id=step.id
    )
    return with_path({**step.params, "path": rel}, "path", job.staging, None)


def _written_files(result: Any, target: Path) -> list[Path]:
    if isinstance(result, list | tuple) and all(isinstance(p, str | Path) for p in result):
        return [Path(p) for p in result if Path(p).is_file()]
    return [target] if target.is_file() else []


def _inspect(step: Step, state: _PartitionState) -> _Outcome | None:
    events = _input(step, state)
    state.streams[step.id] = events
    mode = step.params.get("mode", "first_partition")
    if mode == "first_partition" and state.job.first.get(state.dataset.name) != state.part.index:
        return None
    tag = clean_key(state.dataset.name) + ("" if mode == "first_partition" else f".{state.part.index}")
    params = dict(step.params)
    params.setdefault("out", f"inspect/{clean_key(step.stage)}.json")
    params = with_path(params, "out", state.job.staging, tag)
    result = _call(step, step.fn, events, params, _ctx(step, state))
    products = dict(result.products) if isinstance(result, StageResult) and result.products else None
    return _Outcome(len(events), len(events), products)


_ROLES: dict[str, Callable[[Step, _PartitionState], _Outcome | None]] = {
    READ: _read,
    TRANSFORM: _transform,
    SINK: _write,
    WRITE: _write,
    INSPECT: _inspect,
}


def _stream_of(result: Any, events: Events, sid: str) -> Events:
    if not isinstance(result, StageResult):
        raise InternalError(
            f"the implementation of {sid!r} returned {type(result).__name__}, not a StageResult"
        )
    return events if result.events is None else result.events


def with_path(params: Mapping[str, Any], key: str, staging: Path, tag: str | None) -> dict[str, Any]:
    """The params with ``key`` (a workflow output path) checked and made absolute inside the staging folder.

    ``tag`` inserts the partition index or dataset name before the suffix (``skim.3.root``). An absolute path
    works whether the op joins it to ``ctx.outdir`` or uses it as it is.
    """
    if key not in params:
        raise OpError(codes.OUTPUT_PATH, f"no `{key}` given for the output", "name the file to write")
    rel = safe_relative(str(params[key]))
    if tag is not None:
        rel = with_tag(rel, tag)
    target = staging / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    return {**params, key: str(target)}


TimeoutGuard = Callable[[str, float], AbstractContextManager[None]]
_GUARD: TimeoutGuard | None = None


def install_timeout_guard(guard: TimeoutGuard | None) -> None:
    """In a worker process that can be killed (``executors/worker_pool.py``): call ops with a timeout
    directly, inside ``guard(node_id, seconds)``, which tells the parent the deadline; the parent kills the
    process if it passes. Elsewhere (None) a timeout runs the op in a helper thread that cannot be stopped."""
    global _GUARD
    _GUARD = guard


def _call(step: Step, fn: Callable[..., Any], *args: Any) -> Any:
    if step.timeout is None:
        return fn(*args)
    if _GUARD is not None:
        with _GUARD(step.id, step.timeout):
            return fn(*args)
    return call_with_timeout(fn, args, step.timeout)


def partition_files(job: Job, part: Partition) -> list[Path]:
    """Where the partition-level writes of ``part`` put their files (to remove what a killed worker left)."""
    program = program_for(job)
    files = []
    for step in program.steps:
        if step.role in (SINK, WRITE) and step.when == "partition" and "path" in step.params:
            name = job.part_names.get(part.index, str(part.index))
            rel = placed(
                str(step.params["path"]),
                "partition",
                dataset=clean_key(part.dataset),
                part=name,
                node_id=step.id,
            )
            try:
                files.append(job.staging / safe_relative(rel))
            except OpError:
                continue
    return files


def call_with_timeout(fn: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
    """Run ``fn`` in a helper thread and give up after ``seconds``.

    Python cannot kill a thread: a timed-out op keeps running in the background until it returns, but its
    result is dropped and the partition is reported (and retried, if the stage allows).
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=target, name="fasthep-flow-timed-op", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise StageTimeout(seconds)
    if "error" in box:
        raise box["error"]
    return box["value"]


def failure_of(
    job: Job, node: PlanNode, role: str, exc: BaseException, dataset: str | None, part: Partition | None
) -> StageError:
    code = codes.STAGE_FAILED
    hint = None
    exc_type = type(exc).__name__
    message = str(exc) or exc_type
    if isinstance(exc, OpError):
        code, hint, exc_type, message = exc.code, exc.hint, "", exc.message
    elif isinstance(exc, StageTimeout):
        code, exc_type = codes.STAGE_TIMEOUT, ""
        hint = "raise `execution.timeout` for this stage, or use smaller chunks (--chunk-size)"
    elif role == READ:
        code = codes.INPUT_ERROR
    elif role in (SINK, WRITE) and isinstance(exc, OSError):
        code = codes.OUTPUT_ERROR
    return StageError(
        node=node.id,
        stage=node.stage,
        message=message,
        dataset=dataset,
        file=part.file if part else None,
        start=part.start if part else None,
        stop=part.stop if part else None,
        origin=_input_origin(job, node, dataset, part) if role == READ else node.origin,
        code=code,
        exc_type=exc_type,
        hint=hint,
        traceback=_traceback(exc) if job.debug else None,
        workflow_file=job.plan.workflow_file,
    )


def _input_origin(job: Job, node: PlanNode, dataset: str | None, part: Partition | None) -> Origin | None:
    """Where the workflow lists the file a read failed on (its ``files:`` entry), else the read node's."""
    if part is not None and part.file is not None:
        for ds in job.plan.datasets:
            if ds.name == dataset and part.file in ds.origins:
                return ds.origins[part.file]
    return node.origin


def _traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


# --- combining partials -------------------------------------------------------------------------------------


def combine(merge_ref: str, left: Partial, right: Partial) -> Partial:
    """``left`` and ``right`` are consecutive runs of partitions of one dataset, ``left`` first."""
    if left.dataset != right.dataset:
        raise InternalError(f"combining partials of datasets {left.dataset!r} and {right.dataset!r}")
    merge = resolve(merge_ref)
    products = dict(left.products)
    for node_id, named in right.products.items():
        products[node_id] = (
            merge_named(products[node_id], named, merge) if node_id in products else dict(named)
        )
    chunks = {k: list(v) for k, v in left.chunks.items()}
    for node_id, pieces in right.chunks.items():
        chunks.setdefault(node_id, []).extend(pieces)
    written = {k: list(v) for k, v in left.written.items()}
    for node_id, files in right.written.items():
        written.setdefault(node_id, []).extend(files)
    stats = dict(left.stats)
    for node_id, row in right.stats.items():
        mine = stats.get(node_id)
        stats[node_id] = row if mine is None else mine + row
    return Partial(
        dataset=left.dataset,
        partitions=left.partitions + right.partitions,
        events=left.events + right.events,
        generator_weights=_add_optional(left.generator_weights, right.generator_weights),
        products=products,
        chunks=chunks,
        written=written,
        stats=stats,
        explain=[*left.explain, *right.explain],
        log=[*left.log, *right.log],
        failures=[*left.failures, *right.failures],
        dead=left.dead | right.dead,
        seconds=left.seconds + right.seconds,
    )


def _add_optional(a: float | None, b: float | None) -> float | None:
    return b if a is None else (a if b is None else a + b)


def combiner(job: Job) -> Callable[[Partial, Partial], Partial]:
    return functools.partial(combine, job.bindings.merge)


# --- one node at a time, for schedulers other than ``_run_steps``' loop (the Hamilton backend) -------------


@dataclass
class PartitionRun:
    """One partition in progress, driven node by node by another scheduler (``fasthep_flow.backends``).

    No cache and no early release of streams: the early frees follow the plan's own step order, which
    another scheduler need not keep."""

    program: Program
    state: _PartitionState
    off: set[str]
    t_start: float
    stopped: bool = False
    """A node failed without keep_going: the remaining nodes do nothing."""


def start_partition(program: Program, job: Job, part: Partition) -> PartitionRun:
    dataset = program.datasets.get(part.dataset)
    if dataset is None:
        raise InternalError(f"partition of unknown dataset {part.dataset!r}")
    state = _PartitionState.new(program, job, part, dataset)
    return PartitionRun(program, state, off_steps(program, dataset), perf_counter())


def run_step(run: PartitionRun, step: Step) -> bool:
    """Run one node as ``_run_steps`` would; False once the partition must stop."""
    if run.stopped:
        return False
    if step.id in run.off:
        return True
    dead = run.state.partial.dead
    if dead and any(d in dead for d in step.deps):
        dead.add(step.id)
        return True
    if not run_node(step, run.state, None) and not run.state.job.keep_going:
        run.stopped = True
        return False
    return True


def finish_partition(run: PartitionRun) -> Partial:
    run.state.partial.seconds = perf_counter() - run.t_start
    return run.state.partial
