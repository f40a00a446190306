"""What an executor does, and the bookkeeping shared by the local ones.

An executor runs ``run_partition`` on every partition and hands results to a ``Collector``: each finished
partition (for progress and fail-fast), then each dataset's combined ``Partial`` (built with the fixed merge
tree of ``runtime/merge.py``). Local executors combine in the calling process; Dask combines on its workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.plan import Partition
from fasthep_flow.runtime.chain import Job, Partial, PartitionInfo, combiner
from fasthep_flow.runtime.merge import OrderedFold


class Collector(Protocol):
    def partition_done(self, part: Partition, info: PartitionInfo) -> bool:
        """Record a finished partition; False asks the executor to stop (a failure without keep_going)."""
        ...

    def dataset_done(self, dataset: str, partial: Partial) -> None:
        """All partitions of ``dataset`` are combined into ``partial``."""
        ...


class Executor(Protocol):
    name: str

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None: ...


class DatasetFolds:
    """Per-dataset ordered folds of partition results; reports each dataset as soon as it is complete."""

    def __init__(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        self._collector = collector
        self._combine = combiner(job)
        self._folds: dict[str, OrderedFold[Partial]] = {}
        self._expected: dict[str, int] = {}
        self._first: dict[str, int] = {}
        for part in parts:
            if part.dataset not in self._folds:
                self._folds[part.dataset] = OrderedFold(self._combine)
                self._first[part.dataset] = part.index
                self._expected[part.dataset] = 0
            self._expected[part.dataset] += 1

    def add(self, part: Partition, partial: Partial) -> None:
        fold = self._folds[part.dataset]
        seq = part.index - self._first[part.dataset]
        if not 0 <= seq < self._expected[part.dataset]:
            raise InternalError(f"partition {part.index} is outside dataset {part.dataset!r}")
        fold.add(seq, partial)
        if fold.count == self._expected[part.dataset]:
            result = fold.result()
            if result is None:
                raise InternalError(f"dataset {part.dataset!r} folded to nothing")
            self._collector.dataset_done(part.dataset, result)
