"""Running an execution plan: partitions, executors, merging, outputs and the run record.

``run_plan(plan, RunOptions(outdir=...))`` is all the CLI and the LSP need. Heavy libraries (dask, awkward,
uproot, hist) are imported only while a run happens, never by importing this package.
"""

from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.options import RunOptions, RunResult, RunSummary, StageStats
from fasthep_flow.runtime.progress import (
    PartitionDone,
    PhaseStarted,
    ProgressCallback,
    ProgressEvent,
    RunFinished,
    RunStarted,
    StageTiming,
)
from fasthep_flow.runtime.run import run_plan

__all__ = [
    "PartitionDone",
    "PhaseStarted",
    "ProgressCallback",
    "ProgressEvent",
    "RunFinished",
    "RunOptions",
    "RunResult",
    "RunStarted",
    "RunSummary",
    "StageError",
    "StageStats",
    "StageTiming",
    "run_plan",
]
