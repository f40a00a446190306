"""What a caller asks of a run (``RunOptions``) and what it gets back (``RunResult``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthep_flow.document.diagnostics import Diagnostic
from fasthep_flow.runtime.errors import StageError

DEFAULT_CHUNK_SIZE = 100_000


@dataclass
class RunOptions:
    outdir: Path
    executor: str = "serial"
    """``serial``, ``threads``, ``processes`` or ``dask``."""
    workers: int = 1
    scheduler: str | None = None
    """A running Dask scheduler (``tcp://host:port``); without it the Dask executor starts a local cluster."""
    cluster: dict[str, Any] | None = None
    """Dask only: where the workers come from, as ``execution.cluster`` writes it (``{kind: slurm, jobs: 2,
    cores, memory, adapt: {minimum, maximum}, ...}``); see ``runtime/executors/clusters.py``."""
    chunk_size: int | None = DEFAULT_CHUNK_SIZE
    """Entries per partition; None or 0 = one partition per file."""
    datasets: tuple[str, ...] = ()
    """Run only these datasets (all when empty)."""
    keep_going: bool = False
    """After a failure, let independent branches finish (the run still fails)."""
    debug: bool = False
    """Keep Python tracebacks of failures (in the diagnostics' data and run.json)."""
    overrides: tuple[str, ...] = ()
    """The command-line overrides the plan was compiled with; recorded in run.json (they are already applied)."""
    workflows: tuple[str, ...] = ()
    """The named workflows the plan was cut down to (`run --workflow NAME`); recorded in run.json. Empty: the
    whole configuration."""
    wait: float | None = None
    """Seconds to wait for another run to release the output folder; None refuses at once (FF407)."""
    cache_dir: Path | None = None
    """The content-addressed cache folder to reuse and fill; None runs every node (no cache)."""
    cache_content_hash: bool = False
    """Identify input files by the SHA-256 of their bytes too, not only path, size, mtime and ROOT UUID."""
    from_stage: str | None = None
    """``--from``: run this stage, its attachments and what is downstream of them, reading everything above
    from the cache (refused with FF408 when the cache lacks it); see ``runtime/plan_range.py``."""
    to_stage: str | None = None
    """``--to``: run only what this stage and its attachments need."""
    confine_to: Path | None = None
    """Set for a default output folder (``fasthep-output/<stem>`` under the working directory or the workflow's
    folder): no part of ``outdir`` below this folder may be a symbolic link, since a cloned repository can ship
    ``fasthep-output`` as a link to anywhere. An ``outdir`` the user typed may go through links they made."""


@dataclass(frozen=True)
class StageStats:
    """One plan node on one dataset: events in and out, and time spent inside the op (summed over workers)."""

    node: str
    stage: str | None
    dataset: str
    events_in: int
    events_out: int
    seconds: float
    calls: int
    reused: int = 0
    """Partitions whose result came from the cache."""


@dataclass(frozen=True)
class RunSummary:
    executor: str
    workers: int
    partitions: int
    partitions_done: int
    events: int
    """Events read from the inputs."""
    elapsed: float
    datasets: tuple[str, ...] = ()
    stages: tuple[StageStats, ...] = ()
    phases: dict[str, float] = field(default_factory=dict)
    """Wall time of each phase: ``prepare`` (bindings, partitions), ``execute`` (the partitions),
    ``outputs`` (merges, dataset/final writes and renders, hist and cutflow files) and ``record``
    (plan.json, run.json, both staged; the folder swap is not timed)."""

    @property
    def events_per_second(self) -> float:
        return self.events / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class RunResult:
    ok: bool
    outdir: Path
    outputs: list[Path]
    """Every file the run left in ``outdir`` (absolute paths), ``run.json`` and ``plan.json`` included."""
    errors: list[Diagnostic]
    summary: RunSummary
    products: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """Merged products by (node id, dataset name or ``"total"``) -> {product name: product}."""
    failures: list[StageError] = field(default_factory=list)
    """The structured form of the run-time errors (stage, dataset, file, entry range, message)."""
    warnings: list[Diagnostic] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    """The content of ``run.json``."""
    cancelled: bool = False
    """The caller cancelled the run: the executor stopped and nothing was promoted into ``outdir``."""
