"""The output folder's lock: a live holder refuses a second run at once; a holder that is gone, whose lock is
still held by its dying workers, is waited for a moment instead (kill -9, then the same command again)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from fasthep_flow.runtime.folder_lock import LOCK_NAME, FolderBusy, FolderLock

HOLD = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, (sys.argv[2] + "\\n").encode(), 0)
print("held", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _hold(folder: Path, pid_text: str, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder / LOCK_NAME), pid_text, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_a_live_holder_is_refused_at_once_naming_its_pid(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        proc = _hold(tmp_path, str(live.pid), 30)
        t0 = time.monotonic()
        with pytest.raises(FolderBusy) as caught:
            FolderLock.acquire(tmp_path)
        assert caught.value.holder == live.pid
        assert time.monotonic() - t0 < 5
        proc.kill()
        proc.wait()
    finally:
        live.kill()
        live.wait()


def test_a_lock_left_to_a_dead_runs_workers_is_waited_for(tmp_path: Path) -> None:
    proc = _hold(tmp_path, str(_dead_pid()), 1.5)  # the run is gone; its "worker" lets go in 1.5 s
    try:
        lock = FolderLock.acquire(tmp_path)  # no --wait: refused before, taken now
        assert lock.held
        assert proc.poll() is not None  # it was taken only once the worker had gone
        lock.release()
    finally:
        proc.kill()
        proc.wait()
