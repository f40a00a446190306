"""Local executors: serial (in the calling thread), threads, and processes (``concurrent.futures``).

Processes receive the job once, when they start (the pool's initializer), and then only partitions; they
resolve implementations themselves and send pickled ``Partial`` results back. On Linux the pool forks, so
workers start with the parent's modules already imported.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures.process import BrokenProcessPool

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.plan import Partition
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
            partial = run_partition(job, part)
            if not collector.partition_done(part, partition_info(partial)):
                return
            folds.add(part, partial)


_WORKER_JOB: Job | None = None


def _install_job(job: Job) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _run_in_worker(part: Partition) -> Partial:
    if _WORKER_JOB is None:
        raise InternalError("worker process started without a job")
    return run_partition(_WORKER_JOB, part)


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
        try:
            # Keep a bounded number in flight: results are folded as they come, memory stays flat.
            todo = list(reversed(parts))
            running: dict[Future[Partial], Partition] = {}
            limit = self.workers * 2
            while (todo or running) and not stop:
                while todo and len(running) < limit:
                    part = todo.pop()
                    running[self._submit(pool, job, part)] = part
                done, _ = wait(running, return_when=FIRST_COMPLETED)
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
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


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


class ProcessesExecutor(_PoolExecutor):
    name = "processes"

    def _pool(self, job: Job) -> FuturesExecutor:
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_install_job,
            initargs=(job,),
        )

    def _submit(self, pool: FuturesExecutor, job: Job, part: Partition) -> Future[Partial]:
        return pool.submit(_run_in_worker, part)
