"""Expensive steps outside Python (an npm build, a pip install by pre-commit) started in a thread as soon as the
run knows a selected test needs them, so their downloads and builds overlap with the rest of the suite instead of
adding to it. Each step runs at most once per test run; the test that needs it waits for its result.

A test module registers a step with ``@background_step("name")`` and marks the tests that need it with
``@pytest.mark.background("name")``; ``tests/conftest.py`` starts every step a collected test is marked with.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background-step")
_RECIPES: dict[str, Callable[[], Any]] = {}
_STARTED: dict[str, Future[Any]] = {}
_LOCK = threading.Lock()


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
            _STARTED[name] = _POOL.submit(_RECIPES[name])
        return _STARTED[name]


def result(name: str, timeout: float = 1800) -> Any:
    """Wait for the step (starting it now if collection did not) and return its result or raise its error."""
    return start(name).result(timeout=timeout)
