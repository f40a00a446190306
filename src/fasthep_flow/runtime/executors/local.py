"""Local executors: serial (in the calling thread), threads, and processes (``concurrent.futures``).

Processes (``worker_pool.py``) receive the job once, when they start, and then only partitions; they resolve
implementations themselves and send pickled ``Partial`` results back. On Linux the pool forks, so workers
start with the parent's modules already imported.

Workers die with their run: on Linux each asks the kernel for SIGKILL when its parent dies
(``PR_SET_PDEATHSIG``), elsewhere a watchdog thread exits when the parent is gone; a run interrupted by an
exception (Ctrl-C included) kills its workers instead of waiting for their partitions.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures.process import BrokenProcessPool

from fasthep_flow.document import codes
from fasthep_flow.plan import Partition
from fasthep_flow.runtime import interrupts
from fasthep_flow.runtime.chain import Job, Partial, PartitionInfo, partition_info, run_partition
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.executors.base import Collector, DatasetFolds


class SerialExecutor:
    name = "serial"

    def __init__(self, workers: int = 1) -> None:
        self.workers = 1

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        folds = DatasetFolds(job, parts, collector)
        for part in parts:
            interrupts.check()
            partial = run_partition(job, part)
            if not collector.partition_done(part, partition_info(partial)):
                return
            folds.add(part, partial)


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Make this worker process end when the run's process ends, however that ends (SIGKILL included)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the request took effect
                    os._exit(1)
                return
    threading.Thread(target=_watch_parent, args=(parent,), name="fasthep-flow-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


class _PoolExecutor:
    name = "pool"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))

    def _pool(self, job: Job) -> FuturesExecutor:
        raise NotImplementedError

    def _submit(self, pool: FuturesExecutor, job: Job, part: Partition) -> Future[Partial]:
        raise NotImplementedError

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        folds = DatasetFolds(job, parts, collector)
        pool = self._pool(job)
        stop = False
        interrupted = True
        try:
            # Keep a bounded number in flight: results are folded as they come, memory stays flat.
            todo = list(reversed(parts))
            running: dict[Future[Partial], Partition] = {}
            limit = self.workers * 2
            while (todo or running) and not stop:
                while todo and len(running) < limit:
                    part = todo.pop()
                    running[self._submit(pool, job, part)] = part
                done, _ = wait(running, timeout=interrupts.POLL, return_when=FIRST_COMPLETED)
                interrupts.check()
                for future in sorted(done, key=lambda f: running[f].index):
                    part = running.pop(future)
                    try:
                        partial = future.result()
                    except BrokenProcessPool as exc:
                        info = PartitionInfo(0, 0.0, (_worker_died(job, part, exc),))
                        collector.partition_done(part, info)
                        stop = True
                        continue
                    if not collector.partition_done(part, partition_info(partial)):
                        stop = True
                        continue
                    folds.add(part, partial)
            interrupted = False
        finally:
            if interrupted:
                _kill_workers(pool)
            pool.shutdown(wait=not interrupted, cancel_futures=True)


def _kill_workers(pool: FuturesExecutor) -> None:
    """An interrupted run does not wait for its workers' partitions: their results would be dropped."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()


def _worker_died(job: Job, part: Partition, exc: BaseException) -> StageError:
    return StageError(
        node="worker",
        stage=None,
        message=f"a worker process died while running this partition ({exc}); it may have run out of memory",
        dataset=part.dataset,
        file=part.file,
        start=part.start,
        stop=part.stop,
        code=codes.STAGE_FAILED,
        hint="try fewer --workers or a smaller --chunk-size",
        workflow_file=job.plan.workflow_file,
    )


class ThreadsExecutor(_PoolExecutor):
    name = "threads"

    def _pool(self, job: Job) -> FuturesExecutor:
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="fasthep-flow")

    def _submit(self, pool: FuturesExecutor, job: Job, part: Partition) -> Future[Partial]:
        return pool.submit(run_partition, job, part)


class ProcessesExecutor:
    """Worker processes of our own pool (``worker_pool.py``): a worker overrunning a stage's timeout is killed
    and replaced, which ``ProcessPoolExecutor`` cannot do without breaking every other worker."""

    name = "processes"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        from fasthep_flow.runtime.executors.worker_pool import WorkerPool

        WorkerPool(job, self.workers).execute(parts, collector)
