"""The Dask executor: one task per partition chain and a tree reduction, on a ``distributed`` cluster.

It connects to a running scheduler (``--scheduler tcp://host:port``), starts a ``LocalCluster`` of
single-threaded worker processes, or submits its workers as batch jobs (``execution.cluster``, see
``clusters.py``), and stops what it started at the end, whatever way the run ends. Tasks are submitted directly (``client.submit``),
not through ``dask.delayed``, whose per-node graph building costs more than the work for small partitions.
The reduction tree is built by the same ``OrderedFold`` the local executors use, so results are identical.

With a remote cluster, the output directory must be on a filesystem the workers share: partition-level
writes and observers write there from the workers.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.plan import Partition
from fasthep_flow.runtime import interrupts
from fasthep_flow.runtime.chain import Job, PartitionInfo, combine, partition_info, run_partition
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.executors.base import Collector
from fasthep_flow.runtime.executors.clusters import ClusterSpec, start_cluster
from fasthep_flow.runtime.merge import fold_all


class DaskExecutor:
    name = "dask"

    def __init__(
        self, workers: int = 1, scheduler: str | None = None, cluster: ClusterSpec | None = None
    ) -> None:
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self.cluster = cluster

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        from distributed import Client, LocalCluster

        cluster = None
        if self.cluster is not None:
            self._execute_on(self.cluster, job, parts, collector)
            return
        if self.scheduler:
            client = Client(self.scheduler, set_as_default=False)
        else:
            with warnings.catch_warnings():
                # Without a dashboard the scheduler still serves health checks on 8787, or on another port
                # with a warning when 8787 is taken (another cluster): the port is not ours to care about.
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            client = Client(cluster, set_as_default=False)
        try:
            self._run(client, job, parts, collector)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def _execute_on(
        self, spec: ClusterSpec, job: Job, parts: Sequence[Partition], collector: Collector
    ) -> None:
        """Run on the cluster ``spec`` describes; its jobs are cancelled in the ``finally`` (Ctrl-C included)."""
        from distributed import Client

        cluster = start_cluster(spec)
        client = None
        try:
            client = Client(cluster if cluster is not None else spec.address, set_as_default=False)
            try:
                client.wait_for_workers(1, timeout=spec.start_timeout)
            except TimeoutError:
                collector.partition_done(parts[0], PartitionInfo(0, 0.0, (_no_workers(job, parts[0], spec),)))
                return
            self._run(client, job, parts, collector)
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()

    def _run(self, client: Any, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        from distributed import as_completed

        token = job.token
        [job_future] = client.scatter([job], broadcast=True, hash=False)
        by_dataset: dict[str, list[Any]] = {}
        infos: dict[Any, Partition] = {}
        for part in parts:
            future = client.submit(
                run_partition, job_future, part, key=f"ff-part-{token}-{part.index}", pure=False
            )
            by_dataset.setdefault(part.dataset, []).append(future)
            infos[client.submit(partition_info, future, key=f"ff-info-{token}-{part.index}")] = part
        counter = iter(range(1 << 62))

        def combine_futures(left: Any, right: Any) -> Any:
            key = f"ff-merge-{token}-{next(counter)}"
            return client.submit(combine, job.bindings.merge, left, right, key=key)

        roots = {name: fold_all(futures, combine_futures) for name, futures in by_dataset.items()}
        by_dataset.clear()  # only the roots stay referenced: dask frees partition results once merged
        stopped = False
        for future in _completed(as_completed(list(infos), loop=client.loop)):
            part = infos[future]
            try:
                info = future.result()
            except Exception as exc:  # a worker died (KilledWorker) or the cluster went away
                info = PartitionInfo(0, 0.0, (_lost(job, part, exc),))
                collector.partition_done(part, info)
                stopped = True
                break
            if not collector.partition_done(part, info):
                stopped = True
                break
        if stopped:
            client.cancel([*infos, *roots.values()])
            return
        for name, root in roots.items():
            collector.dataset_done(name, _result(root))


def _completed(pending: Any) -> Iterator[Any]:
    """The futures of ``pending`` (a ``distributed.as_completed``) as they finish, waking up every
    ``interrupts.POLL`` seconds so that a swallowed Ctrl-C still stops the run."""
    while not pending.is_empty():
        batch = pending.next_batch(block=False)
        if not batch:
            interrupts.check()
            time.sleep(interrupts.POLL / 4)
        yield from batch


def _result(future: Any) -> Any:
    """``future.result()``, interruptible the same way."""
    from distributed import TimeoutError as DaskTimeout

    while True:
        interrupts.check()
        try:
            return future.result(timeout=interrupts.POLL)
        except (TimeoutError, DaskTimeout):
            continue


def _lost(job: Job, part: Partition, exc: BaseException) -> StageError:
    return StageError(
        node="worker",
        stage=None,
        message=f"the Dask task for this partition was lost: {type(exc).__name__}: {exc}",
        dataset=part.dataset,
        file=part.file,
        start=part.start,
        stop=part.stop,
        code=codes.STAGE_FAILED,
        hint="check the workers' logs; a worker may have run out of memory (try a smaller --chunk-size)",
        workflow_file=job.plan.workflow_file,
    )


def _no_workers(job: Job, part: Partition, spec: ClusterSpec) -> StageError:
    return StageError(
        node="worker",
        stage=None,
        message=f"no Dask worker joined within {spec.start_timeout:g} s; nothing ran",
        dataset=part.dataset,
        file=part.file,
        start=part.start,
        stop=part.stop,
        code=codes.STAGE_FAILED,
        hint=f"check that the {spec.kind} jobs start (the batch queue, their logs), or raise "
        "execution.cluster.start_timeout",
        workflow_file=job.plan.workflow_file,
    )
