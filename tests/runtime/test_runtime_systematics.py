"""`systematics:` — every variation in one run, shared work computed once, products labelled by variation.

Checked against hand computations on ``uproot-HZZ.root`` (uproot + NumPy, not our ops): a weight variation
multiplies the weights, a field replacement fills another field, a dataset replacement reads the other
dataset's events under the replaced dataset's name, and `applies_to` leaves the other datasets nominal.
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
    - {name: sim_short, eventtype: mc, files: [HZZ], nevents: 1000}
    - {name: obs, eventtype: data, files: [HZZ], nevents: 500}
systematics:
  include_nominal: true
  variations:
    - {name: w_up, applies_to: mc, weight: {multiply: [Scale, "1.5"]}}
    - {name: pt_up, replace: {Muon_Pt: Muon_Pt_up}}
    - {name: alt, datasets: {replace: {sim: sim_short}}}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: Muon_Pt_up, expr: "1.1 * Muon_Pt"}
          - {name: Scale, expr: "2.0 + 0 * EventWeight"}
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
def events(hzz: Path) -> dict[str, np.ndarray]:
    import awkward as ak
    import uproot

    with uproot.open(hzz) as f:
        arrays = f["events"].arrays(["NMuon", "Muon_Px", "Muon_Py", "EventWeight"])
    return {k: arrays[k] for k in arrays.fields} | {"ak": ak}  # type: ignore[dict-item]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, hzz: Path) -> tuple[RunResult, Path]:
    tmp = tmp_path_factory.mktemp("systematics")
    path = tmp / "wf.flow.yaml"
    path.write_text(WORKFLOW.replace("HZZ", str(hzz)))
    compiled = compile_file(path)
    assert not [d for d in compiled.diagnostics if d.severity is Severity.ERROR]
    assert compiled.plan is not None
    result = run_plan(compiled.plan, RunOptions(tmp / "out"))
    assert result.ok, [d.message for d in result.errors]
    return result, tmp / "out"


def _expected(events: dict, n: int, scale: float = 1.0, shift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Sums of weights and of squared weights per pt bin (flow bins included) over the first ``n`` events
    that pass the cutflow (which filters the stream the histogram reads), one entry per muon."""
    ak = events["ak"]
    nmu = np.asarray(events["NMuon"])[:n]
    keep = nmu >= 2  # the histogram follows the cutflow, which filters the stream
    px, py = events["Muon_Px"][:n][keep], events["Muon_Py"][:n][keep]
    pt = np.sqrt(px**2 + py**2) * shift
    w = np.asarray(events["EventWeight"])[:n][keep] * scale
    flat_pt = np.asarray(ak.flatten(pt), dtype=float)
    flat_w = np.asarray(ak.flatten(ak.broadcast_arrays(w, pt)[0]), dtype=float)
    bins = np.concatenate(([-np.inf], EDGES, [np.inf]))
    idx = np.digitize(flat_pt, bins[1:-1])  # 0 = underflow ... 5 = overflow
    sumw = np.bincount(idx, weights=flat_w, minlength=6)
    sumw2 = np.bincount(idx, weights=flat_w**2, minlength=6)
    return sumw, sumw2


def _hist(result: RunResult, key: str, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    h = result.products[(key, dataset)]["hist"]
    return h.values(flow=True), h.variances(flow=True)


def test_a_weight_variation_multiplies_the_weights_where_it_applies(
    run: tuple[RunResult, Path], events: dict
) -> None:
    result, _ = run
    for dataset, n in (("sim", 2421), ("sim_short", 1000)):
        values, variances = _hist(result, "stage.H@w_up", dataset)
        sumw, sumw2 = _expected(events, n, scale=3.0)  # Scale (2) × 1.5
        np.testing.assert_allclose(values, sumw, rtol=1e-9)
        np.testing.assert_allclose(variances, sumw2, rtol=1e-9)
    # `applies_to: mc`: the data dataset keeps its nominal weights in the variation
    values, _ = _hist(result, "stage.H@w_up", "obs")
    np.testing.assert_allclose(values, _expected(events, 500)[0], rtol=1e-9)
    # the cutflow's weights vary too (every `weight_expr`), its counts do not
    rows = result.products[("stage.Two@w_up", "sim")]["cutflow"].to_rows()
    nominal = result.products[("stage.Two", "sim")]["cutflow"].to_rows()
    assert rows[0]["events_out"] == nominal[0]["events_out"]
    assert rows[0]["weights_out"] == pytest.approx(3.0 * nominal[0]["weights_out"])


def test_a_field_replacement_fills_the_other_field(run: tuple[RunResult, Path], events: dict) -> None:
    result, _ = run
    values, variances = _hist(result, "stage.H@pt_up", "sim")
    sumw, sumw2 = _expected(events, 2421, shift=1.1)
    np.testing.assert_allclose(values, sumw, rtol=1e-9)
    np.testing.assert_allclose(variances, sumw2, rtol=1e-9)


def test_a_dataset_replacement_reads_the_other_dataset_under_the_name(
    run: tuple[RunResult, Path], events: dict
) -> None:
    result, out = run
    values, _ = _hist(result, "stage.H@alt", "sim")
    np.testing.assert_allclose(values, _expected(events, 1000)[0], rtol=1e-9)
    entries = json.loads((out / "hists" / "alt" / "H.json").read_text())
    assert sorted(entries) == ["obs", "sim", "total_data", "total_mc"]  # sim_short is read as `sim` only


def test_unchanged_work_runs_once_and_products_are_labelled_by_variation(run: tuple[RunResult, Path]) -> None:
    _, out = run
    for view in ("nominal", "w_up", "pt_up", "alt"):
        assert sorted(json.loads((out / "hists" / view / "H.json").read_text()))[-1] == "total_mc"
    assert not (out / "hists" / "H.json").exists()
    plan_nodes = [n["id"] for n in json.loads((out / "plan.json").read_text())["nodes"]]
    # Vars is shared by every variation; H and the cutflow are copied only where a variation changes them
    assert "stage.Vars@pt_up" not in plan_nodes and "stage.Vars@w_up" not in plan_nodes
    assert {"stage.H@w_up", "stage.Two@w_up", "stage.H@pt_up"} <= set(plan_nodes)
    assert "stage.Two@pt_up" not in plan_nodes and "stage.H@alt" not in plan_nodes
    calls = {
        (row["node"], row["dataset"]): row["calls"]
        for row in json.loads((out / "run.json").read_text())["stages"]
    }
    assert calls[("stage.Vars", "sim")] == 1  # one call for the nominal and all three variations
    assert ("stage.H@w_up", "sim_short") in calls and ("stage.H@w_up", "sim@alt") not in calls
    assert ("stage.H@w_up", "obs") not in calls  # applies_to: mc


SINKS = """\
version: 1.0
data:
  datasets: [{name: sim, eventtype: mc, files: [HZZ]}]
systematics:
  variations:
    - {name: tight, mode: inline, anchor: Sel, patch: {selection: {a: ["NMuon >= 3"]}}}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {a: ["NMuon >= 2"]}
      write: {kind: root_tree, path: kept.root, keep: [NMuon]}
    - id: Keep
      role: sink
      op: root_tree
      params: {path: sel.root, keep: [NMuon]}
"""


def test_a_varied_sink_stage_writes_beside_the_nominal_not_over_it(
    tmp_path: Path, hzz: Path, events: dict
) -> None:
    import uproot

    path = tmp_path / "wf.flow.yaml"
    path.write_text(SINKS.replace("HZZ", str(hzz)))
    compiled = compile_file(path)
    assert compiled.plan is not None, [d.message for d in compiled.diagnostics]
    result = run_plan(compiled.plan, RunOptions(tmp_path / "out"))
    assert result.ok, [d.message for d in result.errors]
    nmu = np.asarray(events["NMuon"])
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.root"))
    assert len(written) == 4, written  # the stage's file and its attachment's, nominal and varied
    entries = {}
    for rel in written:
        with uproot.open(tmp_path / "out" / rel) as f:
            entries[rel] = f[next(iter(f.keys(cycle=False)))].num_entries
    nominal = [n for r, n in entries.items() if "tight" not in r]
    varied = [n for r, n in entries.items() if "tight" in r]
    assert nominal == [int((nmu >= 2).sum())] * 2
    assert varied == [int((nmu >= 3).sum())] * 2
