"""The runtime on the real ROOT files of tests/data (or the folder named by --data-dir / FASTHEP_FLOW_TEST_DATA).

Products must agree across executors and chunk sizes, and with a direct uproot + hist computation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import hist
import numpy as np
import pytest
import uproot
from runtime_plans import make_plan, read, stage
from runtime_toyops import ToyRegistry

from fasthep_flow.plan import DatasetPlan, SourcePlan
from fasthep_flow.runtime import RunOptions, run_plan

pytestmark = pytest.mark.shared_data

CASES = {
    "hzz": ("uproot-HZZ.root", "events", "NMuon", "Muon_Px", "EventWeight"),
    "nanoaod": ("nanoAOD_2015_CMS_Open_Data_ttbar.root", "Events", "nMuon", "Muon_pt", None),
}


def expected(path: Path, tree: str, count: str, jagged: str, weight: str | None) -> tuple[int, int, Any]:
    """The cutflow and histogram computed directly with uproot, awkward and hist."""
    with uproot.open(path) as f:
        arrays = f[tree].arrays([count, jagged] + ([weight] if weight else []), library="ak")
    keep = np.asarray(arrays[count]) >= 2
    w = np.asarray(arrays[weight], dtype=np.float64) if weight else np.ones(len(arrays))
    values = arrays[jagged][keep]
    h = hist.Hist(hist.axis.Regular(20, 0, 200), storage=hist.storage.Weight())
    h.fill(
        ak.to_numpy(ak.flatten(values)),
        weight=ak.to_numpy(ak.flatten(ak.broadcast_arrays(w[keep], values)[0])),
    )
    return len(arrays), int(keep.sum()), h


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_real_files_agree_across_chunks_executors_and_a_direct_computation(
    case: str, executor: str, tmp_path: Path, shared_data_dir: Path
) -> None:
    name, tree, count, jagged, weight = CASES[case]
    path = shared_data_dir / name
    plan = make_plan(
        [
            read(op="root"),
            stage("Select", "select", {"field": count, "min": 2, "weight": weight}),
            stage("Hist", "histo", {"field": jagged, "weight": weight}, "stage.Select"),
        ],
        [DatasetPlan(case, files=(str(path),))],
        source=SourcePlan("events", "root", {"tree": tree}, tuple(f for f in (count, jagged, weight) if f)),
    )
    n_all, n_keep, h = expected(path, tree, count, jagged, weight)
    for chunk in (100, 1000, None):
        result = run_plan(
            plan,
            RunOptions(tmp_path / f"c{chunk}", executor=executor, workers=2, chunk_size=chunk),
            registry=ToyRegistry(),
        )
        assert result.ok, [d.message for d in result.errors]
        cutflow = result.products[("stage.Select", "total_mc")]["cutflow"]
        assert (cutflow.n_in, cutflow.n_out) == (n_all, n_keep)
        got = result.products[("stage.Hist", "total_mc")]["hist"]
        np.testing.assert_allclose(got.values(flow=True), h.values(flow=True), rtol=1e-12)
        np.testing.assert_allclose(got.variances(flow=True), h.variances(flow=True), rtol=1e-12)
