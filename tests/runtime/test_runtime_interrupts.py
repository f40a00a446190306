"""Ctrl-C is never lost during a run: one swallowed by a finaliser is raised again by the wait loops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from fasthep_flow.runtime import interrupts


class _SignalsWhenCollected:
    """Sends SIGINT from its finaliser, where the interpreter ignores the ``KeyboardInterrupt`` it becomes."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the handler runs here; its KeyboardInterrupt is printed and dropped


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_swallowed_by_a_finaliser_is_raised_at_the_next_check() -> None:
    with interrupts.guarded():
        _SignalsWhenCollected()  # collected at once: the interrupt is swallowed
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()


def test_without_a_ctrl_c_check_passes_and_the_handler_is_put_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupts.guarded():
        interrupts.check()
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before
    interrupts.check()


def test_importing_dask_jobqueue_keeps_the_runs_handler() -> None:
    """dask_jobqueue installs a SIGINT handler that exits 0 on import; the run's handler must survive it."""
    code = (
        "import signal\n"
        "from fasthep_flow.runtime import interrupts\n"
        "from fasthep_flow.runtime.executors.clusters import _jobqueue\n"
        "with interrupts.guarded():\n"
        "    _jobqueue()\n"
        "    print(signal.getsignal(signal.SIGINT) is interrupts._on_sigint)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
