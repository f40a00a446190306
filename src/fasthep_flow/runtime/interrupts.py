"""Ctrl-C during a run that is never lost.

Python turns SIGINT into a ``KeyboardInterrupt`` raised wherever the main thread happens to be. When that is a
finaliser (an asyncio ``Future.__del__`` while Dask's client collects garbage, say), the interpreter prints
"Exception ignored" and carries on: the run would finish as if nothing happened and exit 0. So while a run
executes, SIGINT also leaves a mark, and the executors' wait loops, which wake up every ``POLL`` seconds,
raise the interrupt again if it was swallowed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

POLL = 0.2
"""Seconds an executor waits for a result before looking for a swallowed interrupt."""

_pending = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _pending.set()
    raise KeyboardInterrupt


@contextmanager
def guarded() -> Iterator[None]:
    """Install the marking SIGINT handler for the block (main thread only; elsewhere a no-op).

    A run started from the editor's worker thread cannot own SIGINT: it is cancelled its own way.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    _pending.clear()
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _pending.clear()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C arrived and was swallowed before reaching the run's code."""
    if _pending.is_set():
        raise KeyboardInterrupt
