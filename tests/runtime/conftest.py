"""Fixtures for the runtime's tests: a toy registry, a small ROOT file, one Dask cluster per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_plans import WORKFLOW_TEXT
from runtime_toyops import ToyRegistry, gen_columns


@pytest.fixture
def workflow_file(tmp_path: Path) -> str:
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW_TEXT)
    return str(path)


@pytest.fixture
def registry() -> ToyRegistry:
    return ToyRegistry()


@pytest.fixture
def root_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small ROOT file with the toy generator's columns (flat and jagged), written with uproot."""
    import uproot

    path = tmp_path_factory.mktemp("data") / "toy.root"
    cols = gen_columns(0, 3333, seed=7)
    with uproot.recreate(path) as f:
        f["events"] = {"i": cols["i"], "x": cols["x"], "w": cols["w"], "mu": cols["mu"]}
    return str(path)


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """One local Dask cluster for the session's Dask tests (each starting its own would take seconds)."""
    import logging

    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
