"""Expensive steps outside Python (an npm build, a pip install by pre-commit) started in a thread as soon as the
run knows a selected test needs them, so their downloads and builds overlap with the rest of the suite instead of
adding to it. Each step runs at most once per test run; the test that needs it waits for its result.

A test module registers a step with ``@background_step("name")`` and marks the tests that need it with
``@pytest.mark.background("name")``; ``tests/conftest.py`` starts every step a collected test is marked with.

Under pytest-xdist every worker collects every test, so every worker starts the steps; a file lock in the run's
shared temporary folder lets the first do the work while the others wait (a blocked thread, no CPU) and then
read its pickled result. The steps' results are plain data (paths, completed processes), so they cross workers.
"""

from __future__ import annotations

import fcntl
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background-step")
_RECIPES: dict[str, Callable[[], Any]] = {}
_STARTED: dict[str, Future[Any]] = {}
_LOCK = threading.Lock()
_SHARED: list[Path] = []  # the folder the xdist workers of this run share, when there are workers


def share_between_workers(folder: Path) -> None:
    """Make each step run once across the xdist workers whose shared temporary folder is ``folder``."""
    _SHARED[:] = [folder]


def background_step(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register ``fn`` as the step called ``name`` (it takes no arguments and returns what the tests check)."""

    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        _RECIPES[name] = fn
        return fn

    return register


def start(name: str) -> Future[Any]:
    """Start the step if it has not started yet; an unknown name is a mistake in the test suite."""
    with _LOCK:
        if name not in _STARTED:
            if name not in _RECIPES:
                raise KeyError(f"no background step named {name!r} is registered")
            _STARTED[name] = _POOL.submit(_once_across_workers, name, _RECIPES[name])
        return _STARTED[name]


def _once_across_workers(name: str, recipe: Callable[[], Any]) -> Any:
    """Run ``recipe`` here, or take the result another worker of the same run produced (see the module doc)."""
    if not _SHARED:
        return recipe()
    folder = _SHARED[0]
    with open(folder / f"background-{name}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = folder / f"background-{name}.pickle"
        if done.exists():
            ok, value = pickle.loads(done.read_bytes())
        else:
            try:
                ok, value = True, recipe()
            except Exception as exc:
                ok, value = False, exc
            try:
                done.write_bytes(pickle.dumps((ok, value)))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                done.write_bytes(pickle.dumps((False, RuntimeError(f"step {name!r}: {value!r} ({exc})"))))
        if not ok:
            raise value
        return value


def result(name: str, timeout: float = 1800) -> Any:
    """Wait for the step (starting it now if collection did not) and return its result or raise its error."""
    return start(name).result(timeout=timeout)
