"""Progress of a run as a stream of small events, so every front end draws it its own way.

The CLI draws a live bar on a terminal and plain lines in a log (``runtime/console.py``); the LSP turns the
same events into work-done progress for "Run plan". A callback receives them in the process that called
``run_plan``, in order, never from a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RunStarted:
    total: int
    """Number of partitions to run."""
    datasets: tuple[str, ...]
    executor: str
    workers: int


@dataclass(frozen=True, slots=True)
class PartitionDone:
    done: int
    total: int
    events: int
    """Events read so far, over all finished partitions (events/s = events / elapsed)."""
    elapsed: float
    """Seconds since the run started."""
    partition: str = ""
    """The partition's label, ``dataset:file[start:stop]``."""
    failed: bool = False


@dataclass(frozen=True, slots=True)
class StageTiming:
    """Sent once per (node, dataset) when the dataset's partitions are all merged."""

    node: str
    stage: str | None
    dataset: str
    events_in: int
    events_out: int
    seconds: float
    """Time spent inside the op, summed over partitions (CPU-seconds of workers, not wall time)."""


@dataclass(frozen=True, slots=True)
class PhaseStarted:
    """A step after the partitions: ``merge``, ``outputs`` (writes, renders, hists), ``record``."""

    name: str
    elapsed: float


@dataclass(frozen=True, slots=True)
class RunFinished:
    ok: bool
    elapsed: float
    events: int
    outdir: Path


ProgressEvent = RunStarted | PartitionDone | StageTiming | PhaseStarted | RunFinished
ProgressCallback = Callable[[ProgressEvent], None]


def ignore(_event: ProgressEvent) -> None:
    """The callback used when the caller passes none."""
