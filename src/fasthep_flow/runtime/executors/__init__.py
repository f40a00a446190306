"""Executors: the same partition chains run serially, on threads, on processes or on Dask."""

from __future__ import annotations

from fasthep_flow.runtime.executors.base import Collector, Executor
from fasthep_flow.runtime.executors.clusters import CLUSTER_KINDS, ClusterError, ClusterSpec, cluster_spec
from fasthep_flow.runtime.executors.local import ProcessesExecutor, SerialExecutor, ThreadsExecutor

EXECUTORS = ("serial", "threads", "processes", "dask")


def make_executor(
    name: str, workers: int = 1, scheduler: str | None = None, cluster: ClusterSpec | None = None
) -> Executor:
    """The executor called ``name`` (one of ``EXECUTORS``); Dask is imported only when used.

    ``cluster`` (Dask only) says where the workers come from: a local cluster, a scheduler, or batch jobs."""
    if name == "serial":
        return SerialExecutor()
    if name == "threads":
        return ThreadsExecutor(workers)
    if name == "processes":
        return ProcessesExecutor(workers)
    if name == "dask":
        from fasthep_flow.runtime.executors.dask import DaskExecutor

        return DaskExecutor(workers, scheduler, cluster)
    raise ValueError(f"unknown executor {name!r}; expected one of {', '.join(EXECUTORS)}")


__all__ = [
    "CLUSTER_KINDS",
    "EXECUTORS",
    "ClusterError",
    "ClusterSpec",
    "Collector",
    "Executor",
    "cluster_spec",
    "make_executor",
]
