"""Where the Dask executor gets its workers: a local cluster, a running scheduler, or batch jobs.

``execution.cluster`` (or ``--cluster KIND --jobs N``) names the kind. The batch kinds (``slurm``, ``htcondor``,
``pbs``, ``lsf``) go through ``dask-jobqueue``: the scheduler runs in the calling process and every worker is a
batch job that connects back to it. A run asks for ``jobs`` jobs (or lets Dask adapt between ``adapt.minimum``
and ``adapt.maximum``) and closes the cluster at the end, which cancels the jobs still queued or running — on
success, on failure, and on Ctrl-C alike, since the close sits in a ``finally``.

Nothing here imports Dask at module level: ``check`` never pays for it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CLUSTER_KINDS = ("local", "address", "slurm", "htcondor", "pbs", "lsf")
BATCH_KINDS = {
    "slurm": "SLURMCluster",
    "htcondor": "HTCondorCluster",
    "pbs": "PBSCluster",
    "lsf": "LSFCluster",
}
"""Cluster kind -> the ``dask_jobqueue`` class that submits its workers."""
DEFAULT_START_TIMEOUT = 300.0


class ClusterError(ValueError):
    """An ``execution.cluster`` the run cannot use; the message says what to change."""


@dataclass(frozen=True)
class ClusterSpec:
    """The typed form of ``execution.cluster``: what to ask the batch system for."""

    kind: str = "local"
    jobs: int = 1
    """Batch jobs (each one Dask worker) to submit; local workers for ``local``."""
    cores: int = 1
    """Cores per job; each job runs one single-process worker with this many threads."""
    memory: str = "2GB"
    """Memory per job, as the batch system is asked for it (``2GB``, ``4000MB``)."""
    adapt: tuple[int, int] | None = None
    """``(minimum, maximum)`` jobs: Dask submits and cancels jobs as the queue of partitions asks."""
    address: str | None = None
    """For ``address``: the scheduler to connect to (``tcp://host:8786``)."""
    queue: str | None = None
    """The batch queue or Slurm partition."""
    account: str | None = None
    walltime: str | None = None
    """Time limit per job, in the batch system's format (``01:00:00``)."""
    disk: str | None = None
    """Disk per job (HTCondor asks for it; default ``1GB`` there)."""
    directives: tuple[str, ...] = ()
    """Extra lines for the job script's header, without the prefix (``--constraint=x86``)."""
    log_directory: str | None = None
    """Where the batch system writes the jobs' stdout/stderr (default: the batch system's own default)."""
    start_timeout: float = DEFAULT_START_TIMEOUT
    """Seconds to wait for the first worker to join before the run gives up (jobs stuck in the queue)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_batch(self) -> bool:
        return self.kind in BATCH_KINDS


def cluster_spec(
    value: Mapping[str, Any] | None, kind: str | None = None, jobs: int | None = None
) -> ClusterSpec | None:
    """``execution.cluster`` with the command line's ``--cluster``/``--jobs`` on top; None when neither says.

    The schema already checks the workflow's block; this repeats the checks that matter so a plan read from
    JSON, or a value from the command line, fails with a sentence instead of a traceback from dask-jobqueue.
    """
    data = dict(value or {})
    if kind is not None:
        if data.get("kind") not in (None, kind):
            data = {}  # another kind's settings (queue, account...) do not carry over
        data["kind"] = kind
    if jobs is not None:
        data["jobs"] = jobs
        data.pop("adapt", None)
    if not data:
        return None
    name = data.get("kind", "local")
    if name not in CLUSTER_KINDS:
        raise ClusterError(f"unknown cluster kind {name!r}; expected one of {', '.join(CLUSTER_KINDS)}")
    for key in ("jobs", "cores"):
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool) or data[key] < 1):
            raise ClusterError(f"cluster.{key} must be a positive integer, not {data[key]!r}")
    adapt = data.get("adapt")
    bounds: tuple[int, int] | None = None
    if adapt is not None:
        if not isinstance(adapt, Mapping):
            raise ClusterError("cluster.adapt must be a mapping {minimum, maximum}")
        low, high = adapt.get("minimum", 0), adapt.get("maximum", data.get("jobs", 1))
        if (
            not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high))
            or not 0 <= low <= high
        ):
            raise ClusterError("cluster.adapt needs integers with 0 <= minimum <= maximum")
        if high < 1:
            raise ClusterError("cluster.adapt.maximum must be at least 1")
        bounds = (low, high)
    if name == "address" and not data.get("address"):
        raise ClusterError("cluster kind 'address' needs cluster.address (tcp://host:8786)")
    directives = data.get("directives", ())
    if isinstance(directives, str):
        directives = (directives,)
    known = {
        "kind",
        "jobs",
        "cores",
        "memory",
        "adapt",
        "address",
        "queue",
        "account",
        "walltime",
        "disk",
        "directives",
        "log_directory",
        "start_timeout",
        "options",
    }
    options = data.get("options") or {}
    if not isinstance(options, Mapping):
        raise ClusterError("cluster.options must be a mapping of dask-jobqueue keyword arguments")
    timeout = data.get("start_timeout", DEFAULT_START_TIMEOUT)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ClusterError(f"cluster.start_timeout must be a positive number of seconds, not {timeout!r}")
    return ClusterSpec(
        kind=name,
        jobs=data.get("jobs", 1),
        cores=data.get("cores", 1),
        memory=str(data.get("memory", "2GB")),
        adapt=bounds,
        address=data.get("address"),
        queue=data.get("queue"),
        account=data.get("account"),
        walltime=data.get("walltime"),
        disk=data.get("disk"),
        directives=tuple(str(d) for d in directives),
        log_directory=data.get("log_directory"),
        start_timeout=float(timeout),
        extra={**{k: v for k, v in data.items() if k not in known}, **options},
    )


def jobqueue_options(spec: ClusterSpec) -> dict[str, Any]:
    """The keyword arguments of the ``dask_jobqueue`` class for ``spec`` (no scheduler is started here).

    One worker process per job with ``cores`` threads: partitions release the GIL in awkward/uproot, and one
    process keeps the job's memory request equal to the worker's limit.
    """
    options: dict[str, Any] = {
        "cores": spec.cores,
        "memory": spec.memory,
        "processes": 1,
        "scheduler_options": {"dashboard_address": None},
        "silence_logs": "error",
    }
    if spec.queue:
        options["queue"] = spec.queue
    if spec.account:
        options["account"] = spec.account
    if spec.walltime:
        options["walltime"] = spec.walltime
    if spec.directives:
        options["job_extra_directives"] = (
            _condor_directives(spec.directives) if spec.kind == "htcondor" else list(spec.directives)
        )
    if spec.log_directory:
        options["log_directory"] = spec.log_directory
    if spec.kind == "htcondor":
        options["disk"] = spec.disk or "1GB"
    if spec.kind == "lsf" and "use_stdin" not in spec.extra:
        options["use_stdin"] = True
    options.update(spec.extra)
    return options


def _condor_directives(lines: tuple[str, ...]) -> dict[str, str]:
    """HTCondor submit-file lines (``+JobFlavour = "espresso"``) as the mapping dask-jobqueue wants for them."""
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ClusterError(f"an HTCondor directive is a 'Key = value' line, not {line!r}")
        out[key.strip()] = value.strip()
    return out


def _jobqueue() -> Any:
    """``dask_jobqueue``, imported without its side effect on Ctrl-C.

    Importing it installs a SIGINT handler that calls ``sys.exit()`` (for its batch "runner" mode): Ctrl-C would
    end a run with status 0 and skip the interrupted-run path. The handler in place before the import (the
    run's own, see ``runtime/interrupts.py``) is put back.
    """
    import signal
    import threading

    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main else None
    import dask_jobqueue

    if main:
        handler = signal.getsignal(signal.SIGINT)
        if getattr(handler, "__module__", "").startswith("dask_jobqueue"):
            signal.signal(signal.SIGINT, signal.default_int_handler if before is None else before)
    return dask_jobqueue


def start_cluster(spec: ClusterSpec) -> Any:
    """Start the scheduler (and ask for the workers) of ``spec``; the caller closes what it gets.

    ``address`` starts nothing and returns None: the client connects to ``spec.address``.
    """
    if spec.kind == "address":
        return None
    if spec.kind == "local":
        from distributed import LocalCluster

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
            cluster = LocalCluster(
                n_workers=0 if spec.adapt else spec.jobs,
                threads_per_worker=spec.cores,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
    else:
        cls = getattr(_jobqueue(), BATCH_KINDS[spec.kind])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
            cluster = cls(**jobqueue_options(spec))
        if not spec.adapt:
            cluster.scale(jobs=spec.jobs)
    if spec.adapt:
        low, high = spec.adapt
        if spec.is_batch:
            cluster.adapt(minimum_jobs=low, maximum_jobs=high)
        else:
            cluster.adapt(minimum=low, maximum=high)
    return cluster


def job_script(spec: ClusterSpec) -> str:
    """The batch script a worker job of ``spec`` is submitted with, without submitting anything.

    Used by ``fasthep-flow`` tests and by users who want to see what their site will be sent; it starts a
    scheduler for the address the script names and closes it again.
    """
    if not spec.is_batch:
        raise ClusterError(f"cluster kind {spec.kind!r} submits no batch jobs")
    cluster = None
    try:
        cls = getattr(_jobqueue(), BATCH_KINDS[spec.kind])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
            cluster = cls(**jobqueue_options(spec))
        return str(cluster.job_script())
    finally:
        if cluster is not None:
            cluster.close()
