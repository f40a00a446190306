"""Cutting the input into partitions: dataset × file × chunk of entries, numbered in one global order.

The order (datasets as the plan lists them, files as the dataset lists them, chunks by entry) is what merges
and concatenated outputs follow, so a result never depends on which worker finished first.

Entry numbers are the source's own: ``entries(source, file, dataset)`` counts the entries the source reads from
a file (a ``root_tree`` with ``start``/``stop`` counts its window), partitions cut ``[0, entries)``, and the
source's ``read`` maps a partition's range into the file. The runtime knows nothing of a source's params.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, ExecutionPlan, Partition, SourcePlan
from fasthep_flow.runtime.bindings import Bindings, resolve_beside
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.joins import entry_source, is_join


@dataclass(frozen=True)
class Partitioning:
    partitions: tuple[Partition, ...]
    problems: tuple[StageError, ...]
    """Files whose size could not be learnt (missing, unreadable): their datasets are not run."""

    def by_dataset(self) -> dict[str, list[Partition]]:
        out: dict[str, list[Partition]] = {}
        for part in self.partitions:
            out.setdefault(part.dataset, []).append(part)
        return out


def chunks(start: int, stop: int, chunk_size: int | None) -> list[tuple[int, int]]:
    """``[start, stop)`` cut into pieces of ``chunk_size`` entries; one piece when the size is None or 0.

    An empty range still gives one (empty) piece, so a dataset with an empty file has products too.
    """
    if not chunk_size or chunk_size <= 0 or stop - start <= chunk_size:
        return [(start, max(start, stop))]
    return [(lo, min(lo + chunk_size, stop)) for lo in range(start, stop, chunk_size)]


def aligned_chunks(
    start: int, stop: int, chunk_size: int | None, bounds: Sequence[int]
) -> list[tuple[int, int]]:
    """Like ``chunks``, but each cut moves forward to the next cheap boundary (a basket edge of every branch
    read), so no basket is decompressed by two partitions. Deterministic: the same file and chunk size always
    give the same partitions, whatever the executor."""
    import bisect

    if not bounds or not chunk_size or chunk_size <= 0 or stop - start <= chunk_size:
        return chunks(start, stop, chunk_size)
    ordered = sorted(b for b in bounds if start < b < stop)
    out: list[tuple[int, int]] = []
    lo = start
    while lo < stop:
        nominal = lo + chunk_size
        i = bisect.bisect_left(ordered, nominal)
        hi = ordered[i] if i < len(ordered) else stop
        hi = min(max(hi, lo + 1), stop)
        out.append((lo, hi))
        lo = hi
    return out


def known_ranges(partitions: Sequence[Partition]) -> dict[tuple[str, str | None], tuple[int, int]]:
    """Entry ranges per (dataset, file) the compiler already learnt.

    The runtime re-cuts them to its own chunk size instead of opening every file again. A file with an
    open-ended chunk counts as unknown, and so does every file of a source with a ``start``/``stop`` window
    (the compiler counts those in file entries, sources in window entries: asking the source is unambiguous).
    """
    ranges: dict[tuple[str, str | None], tuple[int, int]] = {}
    unknown: set[tuple[str, str | None]] = set()
    for part in partitions:
        key = (part.dataset, part.file)
        if part.stop is None:
            unknown.add(key)
            continue
        lo, hi = ranges.get(key, (part.start, part.stop))
        ranges[key] = (min(lo, part.start), max(hi, part.stop))
    return {k: v for k, v in ranges.items() if k not in unknown}


def _has_window(source: SourcePlan) -> bool:
    params = source.params or {}
    return params.get("start") is not None or params.get("stop") is not None


def make_partitions(
    plan: ExecutionPlan,
    datasets: Sequence[DatasetPlan],
    bindings: Bindings,
    chunk_size: int | None,
    *,
    debug: bool = False,
) -> Partitioning:
    parts: list[Partition] = []
    problems: list[StageError] = []
    index = 0
    known = known_ranges(plan.partitions)
    windowed = {s.name for s in plan.sources if _has_window(s)}
    for dataset in datasets:
        try:
            source = plan.source(dataset.source)
        except KeyError:
            raise InternalError(
                f"dataset {dataset.name!r} names source {dataset.source!r}, not in the plan"
            ) from None
        if is_join(source):  # a join's entries are its first input's (reading checks the others match)
            source = entry_source(source)
        ref = bindings.sources.get(source.name)
        if ref is None:
            raise InternalError(f"source {source.name!r} has no binding")
        entries_of = resolve_beside(ref, "entries")
        boundaries_of = _optional_beside(ref, "boundaries")
        pending: list[Partition] = []
        failed = False
        for file in dataset.files or (None,):
            if (dataset.name, file) in known and source.name not in windowed:
                lo, hi = known[(dataset.name, file)]
                bounds = _bounds(boundaries_of, source, file, dataset, hi - lo, chunk_size)
                for start, stop in aligned_chunks(lo, hi, chunk_size, bounds):
                    pending.append(Partition(dataset.name, file, start, stop, index))
                    index += 1
                continue
            try:
                total = int(entries_of(source, file, dataset))
            except OpError as exc:
                problems.append(_input_problem(plan, source, dataset, file, exc, exc.code, exc.hint, debug))
                failed = True
                continue
            except InternalError:
                raise
            except Exception as exc:  # an unreadable input is the user's data, not our bug
                problems.append(
                    _input_problem(plan, source, dataset, file, exc, codes.INPUT_ERROR, None, debug)
                )
                failed = True
                continue
            bounds = _bounds(boundaries_of, source, file, dataset, total, chunk_size)
            for start, stop in aligned_chunks(0, total, chunk_size, bounds):
                pending.append(Partition(dataset.name, file, start, stop, index))
                index += 1
        if failed:
            index -= len(pending)
            continue
        parts.extend(pending)
    return Partitioning(tuple(parts), tuple(problems))


def _optional_beside(ref: str, name: str) -> Callable[..., Any] | None:
    """A function a source module *may* define beside ``read`` (``boundaries``); None when it doesn't."""
    import importlib

    fn = getattr(importlib.import_module(ref.partition(":")[0]), name, None)
    return fn if callable(fn) else None


def _bounds(
    boundaries_of: Callable[..., Any] | None,
    source: SourcePlan,
    file: str | None,
    dataset: DatasetPlan,
    entries: int,
    chunk_size: int | None,
) -> list[int]:
    """Cheap cut points, when the source can tell them and the chunks are smaller than the file.

    A file that is one chunk is never asked: learning its basket edges means opening it here, in the process
    that hands out the work, before any worker starts.
    """
    if boundaries_of is None or file is None or not chunk_size or chunk_size <= 0 or entries <= chunk_size:
        return []
    try:
        return [int(b) for b in boundaries_of(source, file, dataset)]
    except OpError:
        return []  # the read itself will report the file's problem, with its position


def _input_problem(
    plan: ExecutionPlan,
    source: SourcePlan,
    dataset: DatasetPlan,
    file: str | None,
    exc: Exception,
    code: codes.Code,
    hint: str | None,
    debug: bool,
) -> StageError:
    read_node = next((n for n in plan.nodes if n.id == f"read.{source.name}"), None)
    is_op_error = isinstance(exc, OpError)
    return StageError(
        node=f"read.{source.name}",
        stage=None,
        message=exc.message if is_op_error else (str(exc) or type(exc).__name__),
        dataset=dataset.name,
        file=file,
        origin=(dataset.origins.get(file) if file else None) or (read_node.origin if read_node else None),
        code=code,
        exc_type="" if is_op_error else type(exc).__name__,
        hint=hint or "check that the file exists and is a readable input of this source",
        traceback=traceback.format_exc() if debug else None,
        workflow_file=plan.workflow_file,
    )
