"""Shared workflows for the language-service tests (cursor markers: see ``cursor_marks.at_cursor``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasthep_flow.service import Context


@pytest.fixture
def ctx() -> Context:
    return Context()


@pytest.fixture(scope="session")
def root_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small ROOT file with a jagged muon collection (written here, so the tests run anywhere)."""
    import awkward as ak
    import numpy as np
    import uproot

    path = tmp_path_factory.mktemp("data") / "muons.root"
    counts = np.array([2, 0, 3, 1])
    px = ak.unflatten(np.arange(6, dtype=np.float32), counts)
    types = {
        "NMuon": "int32",
        "Muon_Px": "var * float32",
        "Muon_Py": "var * float32",
        "EventWeight": "float64",
    }
    with uproot.recreate(path) as f:
        f.mktree("events", types)
        f["events"].extend(
            {"NMuon": counts.astype(np.int32), "Muon_Px": px, "Muon_Py": px * 2, "EventWeight": np.ones(4)}
        )
    return path
