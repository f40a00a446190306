"""Fixtures for the op tests: the real ROOT files (from FASTHEP_FLOW_TEST_DATA) and run contexts."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.plan import DatasetPlan, Partition

DATA_ENV = "FASTHEP_FLOW_TEST_DATA"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with the real ROOT files. Unset or missing is a failure, not a skip: CI must run these."""
    value = os.environ.get(DATA_ENV)
    if not value:
        pytest.fail(
            f"{DATA_ENV} is not set: point it at the folder with uproot-HZZ.root and friends "
            "(CI sets it to ../shared/data)",
            pytrace=False,
        )
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        pytest.fail(f"{DATA_ENV}={value} is not a folder", pytrace=False)
    return folder


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
