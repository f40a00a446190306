"""Run `fasthep-flow` in a child process under hard resource limits and report what it used.

The child gets ``RLIMIT_AS`` (address space, so a runaway allocation fails inside it) and ``RLIMIT_CPU`` (so a
runaway computation is killed by SIGXCPU); a small launcher process forks it and reads the child's own CPU time
and peak resident memory with ``os.wait4``. CPU time, not wall time, is what is bounded: the machine running the tests may be
busy, but a hang or a billion-laughs expansion burns CPU wherever it runs. A generous wall-clock deadline only
catches a child blocked without using CPU (a FIFO opened for reading waits forever, at 0 % CPU).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MEMORY_MB = 500
CPU_SECONDS = 5
WALL_SECONDS = 60
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float
    peak_mb: float
    blocked: bool
    """Still running at the wall-clock deadline (killed): the child hung."""


# Runs inside a small, freshly started Python (the launcher): it forks the limited child and reports the child's
# own rusage. Forking the launcher rather than the test process matters: Linux counts the RSS a process had at
# fork time (before exec) in its peak, so a child forked from a test process of 500 MB would report 500 MB.
_LAUNCHER = """
import json, os, resource, sys
memory, cpu, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
command = sys.argv[4:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as f:
    json.dump({"returncode": os.waitstatus_to_exitcode(status),
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss}, f)
"""


def run_cli(
    args: list[str], cwd: Path, *, memory_mb: int = MEMORY_MB, cpu_seconds: int = CPU_SECONDS
) -> Finished:
    """``python -m fasthep_flow ARGS`` in ``cwd``, limited to ``memory_mb`` of address space and ``cpu_seconds``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS thread pools reserve address space per thread
    limit = memory_mb * 1024 * 1024

    with (
        tempfile.TemporaryDirectory() as scratch,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        report = Path(scratch) / "usage.json"
        command = [sys.executable, "-m", "fasthep_flow", *args]
        launcher = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(limit), str(cpu_seconds), str(report), *command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # the launcher and the child: one process group, killed together
        )
        blocked = False
        try:
            launcher.wait(timeout=WALL_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
            blocked = True
        usage = (
            json.loads(report.read_text())
            if report.is_file()
            else {"returncode": -9, "cpu": 0.0, "maxrss_kib": 0}
        )
        out.seek(0)
        err.seek(0)
        return Finished(
            int(usage["returncode"]),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            float(usage["cpu"]),
            usage["maxrss_kib"] / 1024,  # KiB on Linux
            blocked,
        )


def assert_within_limits(done: Finished) -> None:
    """Finished on its own (not killed for time or memory), within the CPU and memory budget."""
    assert not done.blocked, f"the child hung (killed after {WALL_SECONDS} s): {done.stderr[-2000:]}"
    assert done.returncode >= 0, (
        f"killed by signal {-done.returncode} (CPU or memory limit): {done.stderr[-2000:]}"
    )
    assert "MemoryError" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
    assert done.cpu_seconds < CPU_SECONDS, done.cpu_seconds
    assert done.peak_mb < MEMORY_MB, done.peak_mb
