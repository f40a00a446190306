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
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, ExecutionPlan, NodeKind, Origin, Partition, PlanNode
from fasthep_flow.runtime.bindings import Bindings, function_table, resolve
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.merge import merge_named
from fasthep_flow.runtime.outputs import clean_key, safe_relative, with_tag
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
    stats: dict[str, list[float]] = field(default_factory=dict)
    """Node id -> [events in, events out, seconds, calls]."""
    failures: list[StageError] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    """Nodes that failed, or were skipped because something they depend on failed."""
    seconds: float = 0.0
    written: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Node id -> the files its per-partition writes made: ``{path, partition, entries}`` (for the manifest)."""


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


@dataclass
class Program:
    steps: list[Step]
    datasets: dict[str, DatasetPlan]
    functions: Mapping[str, Callable[..., Any]]
    retries: dict[str, int]
    dataset_names: tuple[str, ...] = ()


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
    partition_ids = {n.id for n in plan.nodes if n.kind is not NodeKind.RENDER}
    for node in plan.nodes:
        if node.kind is NodeKind.RENDER:
            continue
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
                timeout=parse_seconds(execution.get("timeout")),
                retries=_int(execution.get("retries")),
                params=dict(node.params or {}),
                stage=node.stage or node.id,
                source=_source_of(node) if role == READ else None,
            )
        )
    _plan_releases(steps)
    return Program(
        steps=steps,
        datasets={d.name: d for d in plan.datasets},
        functions=function_table(bindings),
        retries={s.id: s.retries for s in steps},
        dataset_names=tuple(d.name for d in plan.datasets),
    )


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
        if step.src is not None:
            last[step.src] = i
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
    out: dict[str, Any] = {
        "dataset_names": tuple(names),
        "dataset": dataset.name,
        "dataset_name": dataset.name,
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
    plan = job.plan
    symbols = {**job.bindings.constants, **context_symbols(dataset, part, program.dataset_names)}
    partial = Partial(dataset.name, partitions=1)
    streams: dict[str, Events] = {}
    off: set[str] = set()
    dead = partial.dead
    stats = partial.stats
    is_first = job.first.get(dataset.name) == part.index

    for step in program.steps:
        sid = step.id
        if step.role == READ:
            if step.source != dataset.source:
                off.add(sid)
                continue
        elif step.src in off:
            off.add(sid)
            continue
        if dead and any(d in dead for d in step.deps):
            dead.add(sid)
            continue
        ctx = RunContext(step.stage, dataset, part, job.staging, plan.globals, program.functions, symbols)
        t0 = perf_counter()
        try:
            if step.role == READ:
                source = plan.source(step.source or "")
                weight = dataset.meta.get("generator_weight")
                weight = weight if isinstance(weight, str) and weight else None
                extra = weight is not None and bool(source.fields) and weight not in source.fields
                fields = (*source.fields, weight) if extra else source.fields
                events = _call(step, step.fn, source, part, fields, ctx)
                if weight is not None:
                    partial.generator_weights = _sum_of(events, weight)
                    if extra:  # read only for the sum: the stages never asked for it
                        events = Events({k: v for k, v in events.columns.items() if k != weight}, len(events))
                streams[sid] = events
                partial.events += len(events)
                _count(stats, sid, 0, len(events), perf_counter() - t0)
            else:
                events = streams[step.src]  # type: ignore[index]
                applies = step.applies is None or step.applies(dataset)
                if step.role == TRANSFORM:
                    if not applies:
                        streams[sid] = events
                    else:
                        result = _call(step, step.fn, events, step.params, ctx)
                        out = _stream_of(result, events, sid)
                        streams[sid] = out
                        if result.products:
                            partial.products[sid] = dict(result.products)
                        _count(stats, sid, len(events), len(out), perf_counter() - t0)
                elif step.role in (SINK, WRITE):
                    streams[sid] = events
                    if applies:
                        if step.when == "partition":
                            params = _placed_params(step, job, dataset.name, part)
                            _call(step, step.fn, events, params, ctx)
                            partial.written.setdefault(sid, []).append(
                                {"path": params["path"], "partition": part.index, "entries": len(events)}
                            )
                        else:
                            partial.chunks.setdefault(sid, []).append(events)
                        _count(stats, sid, len(events), len(events), perf_counter() - t0)
                elif step.role == INSPECT:
                    streams[sid] = events
                    mode = step.params.get("mode", "first_partition")
                    if mode != "first_partition" or is_first:
                        tag = clean_key(dataset.name) + (
                            "" if mode == "first_partition" else f".{part.index}"
                        )
                        params = dict(step.params)
                        params.setdefault("out", f"inspect/{clean_key(step.stage)}.json")
                        params = with_path(params, "out", job.staging, tag)
                        result = _call(step, step.fn, events, params, ctx)
                        if isinstance(result, StageResult) and result.products:
                            partial.products[sid] = dict(result.products)
                        _count(stats, sid, len(events), len(events), perf_counter() - t0)
        except InternalError:
            raise
        except Exception as exc:  # an op's failure is reported, never allowed to crash the run
            dead.add(sid)
            partial.failures.append(failure_of(job, step.node, step.role, exc, dataset.name, part))
            if not job.keep_going:
                break
            continue
        for freed in step.release:
            streams.pop(freed, None)
    partial.seconds = perf_counter() - t_start
    return partial


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


def _count(stats: dict[str, list[float]], sid: str, n_in: int, n_out: int, seconds: float) -> None:
    row = stats.get(sid)
    if row is None:
        stats[sid] = [n_in, n_out, seconds, 1]
    else:
        row[0] += n_in
        row[1] += n_out
        row[2] += seconds
        row[3] += 1


def _stream_of(result: Any, events: Events, sid: str) -> Events:
    if not isinstance(result, StageResult):
        raise InternalError(
            f"the implementation of {sid!r} returned {type(result).__name__}, not a StageResult"
        )
    return events if result.events is None else result.events


def _placed_params(step: Step, job: Job, dataset: str, part: Partition) -> dict[str, Any]:
    """A per-partition write's params, its path placed as upstream places it (``runtime/placement.py``)."""
    if "path" not in step.params:
        return with_path(step.params, "path", job.staging, None)  # reports the missing path
    name = job.part_names.get(part.index, str(part.index))
    rel = placed(
        str(step.params["path"]), "partition", dataset=clean_key(dataset), part=name, node_id=step.id
    )
    return with_path({**step.params, "path": rel}, "path", job.staging, None)


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


def _call(step: Step, fn: Callable[..., Any], *args: Any) -> Any:
    if step.timeout is None:
        return fn(*args)
    return call_with_timeout(fn, args, step.timeout)


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
    stats = {k: list(v) for k, v in left.stats.items()}
    for node_id, row in right.stats.items():
        mine = stats.get(node_id)
        stats[node_id] = list(row) if mine is None else [a + b for a, b in zip(mine, row, strict=True)]
    return Partial(
        dataset=left.dataset,
        partitions=left.partitions + right.partitions,
        events=left.events + right.events,
        generator_weights=_add_optional(left.generator_weights, right.generator_weights),
        products=products,
        chunks=chunks,
        stats=stats,
        failures=[*left.failures, *right.failures],
        dead=left.dead | right.dead,
        seconds=left.seconds + right.seconds,
        written=written,
    )


def _add_optional(a: float | None, b: float | None) -> float | None:
    return b if a is None else (a if b is None else a + b)


def combiner(job: Job) -> Callable[[Partial, Partial], Partial]:
    return functools.partial(combine, job.bindings.merge)
