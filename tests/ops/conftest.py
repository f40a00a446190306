"""Fixtures for the op tests: run contexts (the real ROOT files come from `shared_data_dir` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.plan import DatasetPlan, Partition

MakeCtx = Callable[..., RunContext]


@pytest.fixture
def make_ctx(tmp_path: Path) -> MakeCtx:
    """A RunContext for one stage on one dataset (the built-in function table is used)."""

    def make(
        stage: str = "Stage",
        dataset: str = "ds",
        eventtype: str = "mc",
        file: str | None = None,
        start: int = 0,
        stop: int | None = None,
        globals: Mapping[str, Any] | None = None,
        nevents: int | None = None,
    ) -> RunContext:
        ds = DatasetPlan(dataset, eventtype, (file,) if file else (), nevents=nevents)
        return RunContext(stage, ds, Partition(dataset, file, start, stop), tmp_path, dict(globals or {}))

    return make
