"""The processes executor's own pool: one partition at a time per worker, and a worker that overruns a stage's
``execution.timeout`` is killed and replaced.

A thread cannot be stopped, so a timed-out op in the serial and threads executors keeps running in the
background (``chain.call_with_timeout``). A process can: each worker here publishes, in two words of shared
memory, which node it is calling and by when it must return (``chain.install_timeout_guard``); the parent, which
waits on the workers' pipes anyway, kills a worker whose deadline has passed, reports the stage's timeout
(FF402) for that partition — or runs the partition again when the stage has retries left — and forks a fresh
worker in its place. ``concurrent.futures.ProcessPoolExecutor`` cannot do this: a worker that dies breaks the
whole pool.

Workers ignore Ctrl-C (the parent owns it and kills them) and die with the parent (``local._die_with_parent``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.plan import Partition
from fasthep_flow.runtime import interrupts
from fasthep_flow.runtime.chain import (
    Job,
    Partial,
    PartitionInfo,
    StageTimeout,
    failure_of,
    install_timeout_guard,
    partition_files,
    partition_info,
    program_for,
    run_partition,
)
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.executors.base import Collector, DatasetFolds

_NAME_BYTES = 512


@dataclass
class _Worker:
    process: Any
    conn: Connection
    deadline: Any
    """``RawValue('d')``: the monotonic time by which the current node call must return; 0 when none runs."""
    node: Any
    """``RawArray('c')``: the id of the node being called under a deadline."""
    part: Partition | None = None


@dataclass
class _Attempts:
    counts: dict[int, int] = field(default_factory=dict)

    def next(self, part: Partition) -> int:
        self.counts[part.index] = self.counts.get(part.index, 0) + 1
        return self.counts[part.index]


def _worker_main(job: Job, conn: Connection, deadline: Any, node: Any, parent: int) -> None:
    from fasthep_flow.runtime.executors.local import _die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C stops
    _die_with_parent(parent)

    @contextlib.contextmanager
    def guard(node_id: str, seconds: float) -> Iterator[None]:
        node.value = node_id.encode()[: _NAME_BYTES - 1]
        deadline.value = time.monotonic() + seconds
        try:
            yield
        finally:
            deadline.value = 0.0

    install_timeout_guard(guard)
    while True:
        try:
            part = conn.recv()
        except (EOFError, OSError):
            return
        if part is None:
            return
        try:
            reply: tuple[str, Any] = ("done", run_partition(job, part))
        except BaseException as exc:  # a bug (InternalError): raised again in the parent
            reply = ("raise", exc)
        conn.send(reply)


class WorkerPool:
    """``workers`` forked processes running one partition each at a time (see the module docstring)."""

    def __init__(self, job: Job, workers: int) -> None:
        self.job = job
        self.size = max(1, int(workers))
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self.ctx = multiprocessing.get_context(method)
        self.workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent_end, child_end = self.ctx.Pipe()
        deadline = self.ctx.RawValue("d", 0.0)
        node = self.ctx.RawArray("c", _NAME_BYTES)
        process = self.ctx.Process(
            target=_worker_main,
            args=(self.job, child_end, deadline, node, os.getpid()),
            name="fasthep-flow-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end, deadline, node)

    def execute(self, parts: Sequence[Partition], collector: Collector) -> None:
        folds = DatasetFolds(self.job, parts, collector)
        program = program_for(self.job)
        retries = program.retries
        attempts = _Attempts()
        todo = list(reversed(parts))
        finished = False
        try:
            self.workers = [self._start() for _ in range(min(self.size, len(parts)) or 1)]
            stop = False
            while not stop and (todo or any(w.part is not None for w in self.workers)):
                for worker in self.workers:
                    if worker.part is None and todo:
                        worker.part = todo.pop()
                        attempts.next(worker.part)
                        worker.conn.send(worker.part)
                busy = [w for w in self.workers if w.part is not None]
                ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=self._wait(busy))
                interrupts.check()
                for worker in sorted(busy, key=lambda w: w.part.index if w.part else -1):
                    part = worker.part
                    if part is None:
                        continue
                    if worker.conn in ready:
                        stop = self._received(worker, part, folds, collector) or stop
                    elif self._overran(worker):
                        failure = self._kill(worker, part)
                        if attempts.counts[part.index] <= retries.get(failure.node, 0):
                            todo.append(part)  # the stage may be tried again: next in line
                            continue
                        failure.attempts = attempts.counts[part.index]
                        stop = self._lost(part, failure, folds, collector) or stop
            finished = True
        finally:
            self._close(graceful=finished)

    def _wait(self, busy: list[_Worker]) -> float:
        """Until the nearest deadline, at most ``interrupts.POLL``."""
        now = time.monotonic()
        due = [w.deadline.value for w in busy if w.deadline.value > 0]
        return max(0.0, min([interrupts.POLL, *(d - now for d in due)]))

    def _overran(self, worker: _Worker) -> bool:
        due = worker.deadline.value
        return due > 0 and time.monotonic() > due

    def _received(self, worker: _Worker, part: Partition, folds: DatasetFolds, collector: Collector) -> bool:
        """A worker answered (or died): True when the run must stop."""
        from fasthep_flow.runtime.executors.local import _worker_died

        try:
            kind, value = worker.conn.recv()
        except (EOFError, OSError) as exc:
            worker.part = None
            self._replace(worker)
            collector.partition_done(part, PartitionInfo(0, 0.0, (_worker_died(self.job, part, exc),)))
            return True
        worker.part = None
        if kind == "raise":
            raise value
        if not collector.partition_done(part, partition_info(value)):
            return True
        folds.add(part, value)
        return False

    def _kill(self, worker: _Worker, part: Partition) -> StageError:
        """Kill the worker that overran; its stage's timeout, as the partition's failure."""
        node_id = worker.node.value.decode(errors="replace")
        step = next((s for s in program_for(self.job).steps if s.id == node_id), None)
        if step is None:
            raise InternalError(f"a worker overran the deadline of unknown node {node_id!r}")
        self._replace(worker)
        worker.part = None
        for path in partition_files(self.job, part):  # a file the killed worker was writing is not an output
            for leftover in (path, path.with_name(f".{path.name}.tmp")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        return failure_of(
            self.job, step.node, step.role, StageTimeout(step.timeout or 0.0), part.dataset, part
        )

    def _lost(self, part: Partition, failure: StageError, folds: DatasetFolds, collector: Collector) -> bool:
        """The partition's work is gone with its worker: every node of it failed, so that the dataset's merge
        completes without a partial sum (a dead node has no product for the dataset)."""
        partial = Partial(part.dataset, partitions=1, failures=[failure])
        partial.dead = {s.id for s in program_for(self.job).steps}
        if not collector.partition_done(part, partition_info(partial)):
            return True
        folds.add(part, partial)
        return False

    def _replace(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        fresh = self._start()
        worker.process, worker.conn, worker.deadline, worker.node = (
            fresh.process,
            fresh.conn,
            fresh.deadline,
            fresh.node,
        )

    def _drain(self) -> None:
        """Stopping early (a failure without keep_going): let running partitions finish — a worker killed in
        the middle of a write would leave half a file — and drop their results; kill only those overrunning."""
        while busy := [w for w in self.workers if w.part is not None]:
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=self._wait(busy))
            interrupts.check()
            for worker in busy:
                if worker.conn in ready:
                    with contextlib.suppress(EOFError, OSError):
                        worker.conn.recv()
                    worker.part = None
                elif self._overran(worker) and worker.part is not None:
                    self._kill(worker, worker.part)

    def _close(self, graceful: bool) -> None:
        """Finished: ask idle workers to exit. Interrupted or failed: kill them, waiting for nothing."""
        if graceful:
            self._drain()
        for worker in self.workers:
            if graceful and worker.part is None:
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(None)
            else:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    worker.process.kill()
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers = []
