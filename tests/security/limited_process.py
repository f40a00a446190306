"""Run `fasthep-flow` in a child process under hard resource limits and report what it used.

The child gets ``RLIMIT_AS`` (address space, so a runaway allocation fails inside it) and ``RLIMIT_CPU`` (so a
runaway computation is killed by SIGXCPU); the parent waits with ``os.wait4`` to read the child's own CPU time
and peak resident memory. CPU time, not wall time, is what is bounded: the machine running the tests may be
busy, but a hang or a billion-laughs expansion burns CPU wherever it runs. A generous wall-clock deadline only
catches a child blocked without using CPU (a FIFO opened for reading waits forever, at 0 % CPU).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
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


def run_cli(
    args: list[str], cwd: Path, *, memory_mb: int = MEMORY_MB, cpu_seconds: int = CPU_SECONDS
) -> Finished:
    """``python -m fasthep_flow ARGS`` in ``cwd``, limited to ``memory_mb`` of address space and ``cpu_seconds``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS thread pools reserve address space per thread
    limit = memory_mb * 1024 * 1024

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "fasthep_flow", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=limits,
        )
        deadline = time.monotonic() + WALL_SECONDS
        blocked = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                blocked = True
                break
            time.sleep(0.02)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Finished(
            child.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,  # KiB on Linux
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
