"""`mode: inline` variations run: the anchor's patched params in a copy, the rest shared, products per variation.

Checked against hand computations on ``uproot-HZZ.root`` (uproot + NumPy, not our ops): `tight` patches the
cutflow to keep events with three muons or more, so the histogram it feeds is filled from those events only;
`stopped` makes the same patch but stops before the histogram, which therefore stays nominal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.runtime import RunOptions, RunResult, run_plan

pytestmark = pytest.mark.shared_data

WORKFLOW = """\
version: 1.0
data:
  datasets:
    - {name: sim, eventtype: mc, files: [HZZ]}
systematics:
  include_nominal: true
  variations:
    - name: tight
      mode: inline
      anchor: Two
      patch: {selection: {two: ["NMuon >= 3"]}}
    - name: stopped
      mode: inline
      anchor: Two
      patch: {selection: {two: ["NMuon >= 3"]}}
      stop_before: [H]
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: Two
      op: hep.selection.cutflow
      params:
        selection: {two: ["NMuon >= 2"]}
        weight_expr: EventWeight
    - id: H
      op: hep.hist
      params:
        weight_expr: EventWeight
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 4}}]
"""
EDGES = np.array([0.0, 25.0, 50.0, 75.0, 100.0])


@pytest.fixture(scope="module")
def hzz(shared_data_dir: Path) -> Path:
    return shared_data_dir / "uproot-HZZ.root"


@pytest.fixture(scope="module")
def events(hzz: Path) -> dict:
    import uproot

    with uproot.open(hzz) as f:
        arrays = f["events"].arrays(["NMuon", "Muon_Px", "Muon_Py", "EventWeight"])
    return {k: arrays[k] for k in arrays.fields}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, hzz: Path) -> tuple[RunResult, Path]:
    tmp = tmp_path_factory.mktemp("inline")
    path = tmp / "wf.flow.yaml"
    path.write_text(WORKFLOW.replace("HZZ", str(hzz)))
    compiled = compile_file(path)
    assert not [d for d in compiled.diagnostics if d.severity is Severity.ERROR]
    assert compiled.plan is not None
    result = run_plan(compiled.plan, RunOptions(tmp / "out"))
    assert result.ok, [d.message for d in result.errors]
    return result, tmp / "out"


def _expected(events: dict, min_muons: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of weights and of squared weights per pt bin (flow bins included) of the events with at least
    ``min_muons`` muons, one entry per muon."""
    import awkward as ak

    keep = np.asarray(events["NMuon"]) >= min_muons
    pt = np.sqrt(events["Muon_Px"][keep] ** 2 + events["Muon_Py"][keep] ** 2)
    w = np.asarray(events["EventWeight"])[keep]
    flat_pt = np.asarray(ak.flatten(pt), dtype=float)
    flat_w = np.repeat(w, np.asarray(ak.num(pt))).astype(float)
    idx = np.digitize(flat_pt, EDGES)  # 0 = underflow ... 5 = overflow
    return np.bincount(idx, weights=flat_w, minlength=6), np.bincount(idx, weights=flat_w**2, minlength=6)


def _hist(result: RunResult, node: str) -> tuple[np.ndarray, np.ndarray]:
    h = result.products[(node, "sim")]["hist"]
    return h.values(flow=True), h.variances(flow=True)


def test_the_patched_cutflow_feeds_the_varied_histogram(run: tuple[RunResult, Path], events: dict) -> None:
    result, _ = run
    nominal, varied = _hist(result, "stage.H"), _hist(result, "stage.H@tight")
    for got, want in zip(nominal, _expected(events, 2), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9)
    for got, want in zip(varied, _expected(events, 3), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9)
    assert not np.allclose(nominal[0], varied[0])
    rows = result.products[("stage.Two@tight", "sim")]["cutflow"].to_rows()
    assert rows[0]["step"] == "NMuon >= 3"
    assert rows[0]["events_out"] == int(np.count_nonzero(np.asarray(events["NMuon"]) >= 3))


def test_products_are_labelled_by_variation_and_unchanged_work_runs_once(run: tuple[RunResult, Path]) -> None:
    _, out = run
    for view in ("nominal", "tight", "stopped"):
        assert (out / "hists" / view / "H.json").is_file()
        assert (out / "cutflows" / view / "Two.json").is_file()
    # stop_before: H reads the nominal cutflow's stream in `stopped`, so its histogram is the nominal one
    stopped = json.loads((out / "hists" / "stopped" / "H.json").read_text())["sim"]
    nominal = json.loads((out / "hists" / "nominal" / "H.json").read_text())["sim"]
    assert stopped == nominal
    calls = {
        (row["node"], row["dataset"]): row["calls"]
        for row in json.loads((out / "run.json").read_text())["stages"]
    }
    assert calls[("stage.Vars", "sim")] == 1  # shared by the nominal and both variations
    assert calls[("stage.H", "sim")] == 1
    assert ("stage.Two@tight", "sim") in calls and ("stage.Two@stopped", "sim") in calls
    assert ("stage.Vars@tight", "sim") not in calls and ("stage.H@stopped", "sim") not in calls
