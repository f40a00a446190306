"""Ours computes upstream's numbers: the probe workflows of ``../shared/upstream/probes`` compiled and run by the
real compiler and runtime on ``uproot-HZZ.root``, compared with the figures upstream fasthep 2026.10.1 wrote
(each expected value is quoted from the probe's NOTE.md; LANGUAGE.md §20.1 gives the row numbers).

These FAIL (they are not skipped) without the shared data folder, like every ``shared_data`` test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.runtime import RunOptions, RunResult, run_plan

pytestmark = pytest.mark.shared_data


def _run(tmp_path: Path, hzz: Path, text: str, chunk_size: int | None = None) -> RunResult:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(text.replace("HZZ", str(hzz)))
    compiled = compile_file(path)
    errors = [
        f"{d.span.start}: {d.code.id} {d.message}"
        for d in compiled.diagnostics
        if d.severity == Severity.ERROR
    ]
    assert compiled.plan is not None, errors
    result = run_plan(compiled.plan, RunOptions(tmp_path / "out", chunk_size=chunk_size))
    assert result.ok, [d.message for d in result.errors]
    return result


def _product(result: RunResult, stage: str, name: str, dataset: str | None = None) -> Any:
    """One dataset's product, or (by default) every dataset's folded in the run's order — upstream's single
    all-dataset product (ours keeps totals per eventtype, data and simulation apart)."""
    from fasthep_flow.ops.core.products import merge_products
    from fasthep_flow.ops.totals import is_total

    if dataset is not None:
        return result.products[(f"stage.{stage}", dataset)][name]
    pieces = [
        named[name]
        for (node, ds), named in result.products.items()
        if node == f"stage.{stage}" and not is_total(ds) and name in named
    ]
    total = pieces[0]
    for piece in pieces[1:]:
        total = merge_products(total, piece)
    return total


@pytest.fixture(scope="module")
def hzz(shared_data_dir: Path) -> Path:
    return shared_data_dir / "uproot-HZZ.root"


def test_nevents_caps_entries_and_overrides_source_window(tmp_path: Path, hzz: Path) -> None:
    """p22 (rows 2, 3): `nevents: 2000` reads [0, 2000) despite the source's start/stop; the other [100, 600)."""
    result = _run(
        tmp_path,
        hzz,
        """\
version: 1.0
data:
  datasets:
    - {name: withn, eventtype: mc, files: [HZZ], nevents: 2000}
    - {name: withoutn, eventtype: mc, files: [HZZ]}
sources:
  events: {kind: root_tree, tree: events, start: 100, stop: 600}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {a: ["NMuon >= 0"]}
    - id: H
      op: hep.hist
      params:
        dataset_axis: true
        axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]
""",
        chunk_size=700,  # ours chunks every file (a listed deviation); the totals are upstream's
    )
    assert _product(result, "Sel", "cutflow").steps("a")[0].events_in == 2500
    h = _product(result, "H", "hist")
    assert h.axes.name == ("dataset", "n") and list(h.axes["dataset"]) == ["withn", "withoutn"]
    assert h.values(flow=True).tolist() == [
        [0, 51, 785, 1127, 29, 8, 0],
        [0, 13, 187, 290, 8, 2, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ]
    assert h["withoutn", :].values(flow=True).tolist() == [0, 13, 187, 290, 8, 2, 0]


def test_integer_nevents_and_dataset_order(tmp_path: Path, hzz: Path) -> None:
    """p01b (rows 2, 55, 56): 3921 events in; top-level `datasets` first; the dataset axis first."""
    result = _run(
        tmp_path,
        hzz,
        """\
version: 1.0
datasets:
  zz_map: {nevents: 1000, files: [HZZ], xs: 2.5}
data:
  defaults: {eventtype: data}
  datasets:
    - {name: zz_list, eventtype: mc, files: [HZZ]}
    - {name: zz_default, files: [HZZ], nevents: 500}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: NIsoMuon, reduce: {op: count_nonzero, over: "(Muon_Iso / Muon_Pt) < 0.10"}}
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection:
          twomu: ["NIsoMuon >= 2"]
    - id: NMu
      op: hep.hist
      params:
        dataset_axis: true
        axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 6, nbins: 6}}]
""",
    )
    step = _product(result, "Sel", "cutflow").steps("twomu")[0]
    assert (step.events_in, step.events_out) == (3921, 2014)
    h = _product(result, "NMu", "hist")
    assert list(h.axes["dataset"]) == ["zz_map", "zz_list", "zz_default"]
    assert h.values(flow=True).tolist() == [  # with the dataset axis's overflow row, as upstream's
        [0, 0, 0, 499, 14, 5, 0, 0],
        [0, 0, 0, 1196, 32, 7, 0, 0],
        [0, 0, 0, 250, 7, 4, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
    ]
    assert h.values(flow=True).sum() == 2014


def test_hist_axis_and_storage_forms(tmp_path: Path, hzz: Path) -> None:
    """p03/p03b (rows 45-49): int axes grow (bins ignored), bool axes are categories 0/1 with overflow, weight
    without storage is weighted, count ignores it."""
    result = _run(
        tmp_path,
        hzz,
        """\
version: 1.0
data:
  datasets:
    - {name: zz, eventtype: mc, files: [HZZ]}
analysis:
  stages:
    - id: IntBins
      op: hep.hist
      params:
        axes: [{name: njet, source: NJet, type: int, bins: {low: 0, high: 3}}]
    - id: IntNoBins
      op: hep.hist
      params:
        axes: [{name: nmu, source: NMuon, type: int}]
    - id: BoolAxis
      op: hep.hist
      params:
        axes: [{name: trig, source: triggerIsoMu24, type: bool}]
    - id: JaggedWeighted
      op: hep.hist
      params:
        weight_expr: EventWeight
        axes: [{name: px, source: Muon_Px, type: regular, bins: {low: -100, high: 100, nbins: 4}}]
    - id: CountWithWeight
      op: hep.hist
      params:
        storage: count
        weight_expr: EventWeight
        axes: [{name: nmu, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]
""",
    )
    ints = _product(result, "IntBins", "hist")
    assert list(ints.axes[0]) == [0, 1, 3, 2, 4, 5]
    assert ints.values(flow=True).tolist() == [716, 881, 168, 620, 32, 4]
    boolean = _product(result, "BoolAxis", "hist")
    assert list(boolean.axes[0]) == [0, 1] and boolean.values(flow=True).tolist() == [0, 2421, 0]
    nobins = _product(result, "IntNoBins", "hist")
    assert list(nobins.axes[0]) == [2, 1, 3, 4, 0]
    assert nobins.values(flow=True).tolist() == [1371, 949, 34, 8, 59]
    weighted = _product(result, "JaggedWeighted", "hist")
    assert weighted.variances() is not None
    np.testing.assert_allclose(
        weighted.values(flow=True), [0.265977, 2.25438, 11.189354, 11.091567, 2.038737, 0.264547], rtol=1e-5
    )
    counted = _product(result, "CountWithWeight", "hist")
    assert counted.values(flow=True).tolist() == [0, 59, 949, 1371, 34, 8, 0]


def test_variations_fill_like_upstream(tmp_path: Path, hzz: Path) -> None:
    """p05b (rows 57, 58): a variation axis last, data fills `nominal` only and unweighted."""
    result = _run(
        tmp_path,
        hzz,
        """\
version: 1.0
data:
  datasets:
    - {name: data, eventtype: data, files: [HZZ]}
    - {name: mc, eventtype: mc, files: [HZZ]}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: W_up, expr: "EventWeight * 1.1"}
          - {name: W_down, expr: "EventWeight * 0.9"}
    - id: H
      op: hep.hist
      params:
        dataset_axis: true
        weight_expr: EventWeight
        variations:
          weights: {nominal: EventWeight, up: W_up, down: W_down}
          apply_to: {eventtype: mc}
        axes: [{name: nmu, source: NMuon, type: regular, bins: {low: 0, high: 4, nbins: 4}}]
    - id: HNoNominal
      op: hep.hist
      params:
        variations:
          axis: syst
          weights: {up: W_up, down: W_down}
          apply_to: {eventtype: mc}
        axes: [{name: nmu, source: NMuon, type: regular, bins: {low: 0, high: 4, nbins: 4}}]
""",
    )
    h = _product(result, "H", "hist")
    assert h.axes.name == ("dataset", "nmu", "variation")
    assert list(h.axes["variation"]) == ["nominal", "up", "down"]
    assert h["data", :, "nominal"].values(flow=True).tolist() == [0, 59, 949, 1371, 34, 8]
    assert h["data", :, "up"].values(flow=True).sum() == 0
    assert h.values(flow=True).sum() == pytest.approx(2471.77, rel=1e-5)
    syst = _product(result, "HNoNominal", "hist")
    np.testing.assert_allclose(
        syst.values(flow=True),
        [
            [0, 0, 0],
            [0.341857, 0.279701, 59],
            [7.115630, 5.821879, 949],
            [10.831198, 8.861889, 1371],
            [0.267362, 0.218751, 34],
            [0.058726, 0.048049, 8],
        ],
        rtol=1e-5,
    )


def test_leading_default_and_nan_mass_overflow(tmp_path: Path, hzz: Path) -> None:
    """Rows 59, 62: `leading` of an empty list is 0.0; a di-object mass of < 2 objects is NaN → overflow."""
    result = _run(
        tmp_path,
        hzz,
        """\
version: 1.0
data:
  datasets:
    - {name: zz, eventtype: mc, files: [HZZ]}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: LeadPt, expr: "leading(Muon_Pt)"}
    - id: Mass
      op: hep.di_object_mass
    - id: HLead
      op: hep.hist
      params:
        axes: [{name: pt, source: LeadPt, type: regular, bins: {low: 0, high: 1, nbins: 1}}]
    - id: HMass
      op: hep.hist
      params:
        axes: [{name: m, source: DiMuon_Mass, type: regular, bins: {low: 0, high: 1000, nbins: 1}}]
""",
    )
    # 59 of the 2421 events have no muon (p03: NMuon = 0 in 59 events); 59 + 949 have fewer than two
    assert _product(result, "HLead", "hist").values(flow=True)[1] == 59
    mass = _product(result, "HMass", "hist").values(flow=True)
    assert mass.sum() == 2421 and mass[-1] == 59 + 949


def test_writers_placed_per_dataset_and_partition(tmp_path: Path, hzz: Path) -> None:
    """p14c (rows 17, 18, 44): upstream's paths and entries per file; the flag nested in the RNTuple."""
    import uproot

    _run(
        tmp_path,
        hzz,
        """\
version: 1.0
data:
  datasets:
    - {name: a, eventtype: mc, files: [HZZ]}
    - {name: b, eventtype: data, files: [HZZ]}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection:
          two: ["NMuon >= 2"]
      write:
        - {kind: root_tree, path: skim.root, keep: [NMuon, Sel.two]}
        - {kind: root_tree, path: "tok/{dataset}_{part}.root", keep: [NMuon], format: ttree}
""",
    )
    files = tmp_path / "out" / "artifacts" / "files"
    written = sorted(p.relative_to(files).as_posix() for p in files.rglob("*.root"))
    assert written == ["skim/a/0_0.root", "skim/b/0_0.root", "tok/a_0_0.root", "tok/b_0_0.root"]
    for name in written:
        with uproot.open(files / name) as f:
            assert f["events"].num_entries == 1413, name
    with uproot.open(files / "skim/a/0_0.root") as f:
        assert f["events"].arrays()["Sel"].fields == ["two"]
    import json

    # upstream's manifests: artifacts/files/skim/ and, for the path with tokens, artifacts/files/Sel_1/
    skim = json.loads((files / "skim" / "manifest.json").read_text())
    assert (skim["name"], skim["node_id"], skim["total_entries"]) == ("skim", "write.Sel.0", 2826)
    assert [f["path"] for f in skim["datasets"]["a"]["files"]] == ["artifacts/files/skim/a/0_0.root"]
    tokens = json.loads((files / "Sel_1" / "manifest.json").read_text())
    assert tokens["datasets"]["b"]["files"][0]["path"] == "artifacts/files/tok/b_0_0.root"
    assert tokens["datasets"]["b"]["total_entries"] == 1413


def test_dataset_context_symbols_evaluate(tmp_path: Path) -> None:
    """§17.4: `dataset_*` symbols and the metadata `xs`, `n_unskimmed_events`, `filter_efficiency` at run time."""
    from fasthep_flow.ops.contract import Events, RunContext
    from fasthep_flow.ops.hep import define_impl
    from fasthep_flow.plan import DatasetPlan, Partition
    from fasthep_flow.runtime.chain import context_symbols

    ds = DatasetPlan(
        "zz",
        "data",
        ("f.root",),
        nevents=10,
        meta={"xs": "2.5", "group": "dibosons", "n_unskimmed_events": 40},
    )
    symbols = context_symbols(ds, Partition("zz", "f.root", 0, 4, 0))
    assert symbols["dataset_eventtype"] == "data" and symbols["dataset_is_data"] is True
    assert symbols["dataset_group"] == "dibosons" and symbols["dataset_nevents"] == 10
    assert symbols["xs"] == symbols["dataset_xs"] == 2.5 and symbols["filter_efficiency"] is None
    ctx = RunContext("S", ds, Partition("zz", "f.root", 0, 4, 0), tmp_path, symbols=symbols)
    events = Events({"w": np.array([1.0, 2.0, 3.0, 4.0])})
    params = {"variables": [{"name": "scaled", "expr": "w * dataset_xs / n_unskimmed_events"}]}
    out = define_impl.run(events, params, ctx).events
    assert out["scaled"].tolist() == [0.0625, 0.125, 0.1875, 0.25]


def test_choose_and_align_schema(tmp_path: Path, hzz: Path) -> None:
    """p30 (row 85): `hep.choose` then `hep.align_schema` (rename, cast, keep), upstream's histogram."""
    result = _run(
        tmp_path,
        hzz,
        """\
version: 1.0
data:
  datasets: [{name: zz, eventtype: mc, files: [HZZ]}]
analysis:
  stages:
    - id: Pick
      op: hep.choose
      params:
        cases:
          - {name: many, when: "NMuon >= 2", values: {Chosen: "NMuon * 10", Tag: "1"}}
          - {name: few, when: "NMuon < 2", values: {Chosen: "NJet", Tag: "2"}}
    - id: Align
      op: hep.align_schema
      params:
        schema:
          fields:
            nmu: {source: NMuon, dtype: float32}
            chosen: {source: Chosen}
        keep: [Tag]
    - id: H
      op: hep.hist
      params:
        axes:
          - {name: c, source: chosen, type: regular, bins: {low: 0, high: 50, nbins: 5}}
          - {name: t, source: Tag, type: int}
""",
    )
    h = _product(result, "H", "hist")
    assert list(h.axes["t"]) == [1, 2]
    assert h.values(flow=True).tolist() == [[0, 0], [0, 1008], [0, 0], [1371, 0], [34, 0], [8, 0], [0, 0]]


KINEMATICS = """\
    - id: Kin
      op: hep.define
      params:
        variables:
          - {name: Muon_pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: Muon_eta, expr: "log(Muon_Pz / Muon_pt + sqrt((Muon_Pz / Muon_pt) ** 2 + 1))"}
          - {name: Muon_phi, expr: "arctan2(Muon_Py, Muon_Px)"}
          - {name: Muon_mass, expr: "sqrt(abs(Muon_E ** 2 - Muon_Px ** 2 - Muon_Py ** 2 - Muon_Pz ** 2))"}
          - {name: Muon_charge, expr: "Muon_Charge * 1"}
          - {name: Jet_pt, expr: "sqrt(Jet_Px ** 2 + Jet_Py ** 2)"}
          - {name: Jet_eta, expr: "log(Jet_Pz / Jet_pt + sqrt((Jet_Pz / Jet_pt) ** 2 + 1))"}
          - {name: Jet_phi, expr: "arctan2(Jet_Py, Jet_Px)"}
          - {name: MET_pt, expr: "sqrt(MET_px ** 2 + MET_py ** 2)"}
          - {name: MET_phi, expr: "arctan2(MET_py, MET_px)"}
"""


def _hist1d(stage: str, source: str, low: float, high: float, nbins: int, weight: str = "") -> str:
    weight_line = f"        weight_expr: {weight}\n" if weight else ""
    return (
        f"    - id: {stage}\n      op: hep.hist\n      params:\n{weight_line}"
        f"        axes: [{{name: x, source: {source}, type: regular, bins: {{low: {low}, high: {high}, nbins: {nbins}}}}}]\n"
    )


# Upstream fasthep 2026.10.1 ran the same workflow (with `registry.functions` adding numpy's arcsinh and
# arctan2, which upstream lacks) on uproot-HZZ.root; these are its histograms' values(flow=True).
UPSTREAM_NEW_OPS = {
    "HZmass": [0, 0, 0, 0, 0, 23, 12, 18, 44, 446, 772, 49, 11, 8, 6, 7, 3, 5, 2, 1, 1, 13],
    "HNZ": [0, 1048, 1336, 30, 3, 4, 0],
    "HWmt": [0, 0, 0, 0, 481, 427, 337, 262, 201, 151, 103, 86, 48, 45, 31, 19, 21, 23, 15, 10, 6, 67],
    "HWmass": [0, 0, 0, 0, 175, 295, 312, 291, 242, 179, 156, 137, 105, 58, 56, 53, 39, 35, 38, 21, 17, 23,
               10, 15, 10, 8, 7, 7, 6, 2, 4, 32],
    "HNW": [0, 577, 1363, 473, 8, 0, 0],
    "HRec": [0, 0, 67, 113, 207, 305, 429, 329, 251, 182, 125, 100, 63, 44, 41, 14, 12, 12, 9, 6, 3, 5, 2, 1,
             3, 1, 3, 4, 1, 0, 0, 6],
    "HNRec": [0, 83, 963, 1336, 32, 7, 0, 0],
    "HClean": [0, 0, 0, 0, 717, 541, 377, 246, 170, 129, 100, 63, 59, 26, 27, 17, 9, 5, 1, 4, 8, 1, 2, 5, 2,
               5, 2, 2, 0, 2, 1, 7],
    "HNRemoved": [0, 2182, 233, 6, 0, 0, 0, 0],
    "HN": [0, 1413, 233, 6, 0, 0, 0, 0],
    "HSF": [0, 0, 984.4, 1782.3, 0, 105.0, 0, 0],
}  # fmt: skip
UPSTREAM_MATCHED_ET = {  # (reco bin, l1 bin) with flow bins -> entries, of the 2D matched E_T histogram
    (2, 1): 5, (2, 2): 50, (2, 3): 35, (2, 4): 7, (2, 5): 2, (3, 1): 7, (3, 2): 44, (3, 3): 24, (3, 4): 7,
    (3, 6): 1, (3, 7): 1, (3, 8): 1, (3, 11): 1, (4, 1): 3, (4, 2): 13, (4, 3): 7, (4, 4): 1, (4, 5): 1,
    (4, 6): 1, (5, 1): 2, (5, 2): 9, (5, 3): 3, (5, 4): 2, (5, 8): 1, (6, 2): 2, (6, 3): 2, (6, 4): 3,
    (7, 2): 1, (7, 3): 2, (8, 4): 1, (9, 4): 1, (9, 8): 1, (9, 11): 1, (10, 1): 1, (11, 2): 1, (11, 4): 1,
}  # fmt: skip


def test_new_ops_give_upstreams_histograms(tmp_path: Path, hzz: Path) -> None:
    """Row 85: hep.build_pairs, hep.build_lepton_met_candidate, hep.build_recoil, hep.clean,
    hep.weights.lookup_csv and cms.match_l1t_jets give upstream's histograms, bin for bin."""
    (tmp_path / "sf.csv").write_text(
        "n_min,n_max,sf,sf_up\n0,1,0.5,0.6\n1,2,0.9,1.0\n2,3,1.1,1.3\n3,100,2.0,2.5\n"
    )
    stages = (
        KINEMATICS
        + """\
    - id: Pairs
      op: hep.build_pairs
      params:
        collections: [Muon]
        output: MuMu
        selection: {pair: ["lepton_1_charge * lepton_2_charge < 0"], candidate: ["mass > 40"]}
        sort: {by: "abs(mass - 91.2)", order: ascending}
        keep: {candidate: [mass, pt], constituents: [pt]}
    - id: Ws
      op: hep.build_lepton_met_candidate
      params:
        lepton: Muon
        met: MET
        output: Wmu
        selection: {lepton: ["pt > 20"], candidate: ["MT > 30"]}
        keep: {candidate: [MT, mass], lepton: [pt]}
    - id: Recoil
      op: hep.build_recoil
      params: {met: MET, visible: [Muon], output: Rec, selection: ["pt > 10"], keep: [pt]}
    - id: Clean
      op: hep.clean
      params: {source: Jet, clean_against: [Muon], min_delta_r: 1.0, sort_by: pt, fields: [pt]}
    - id: SF
      op: hep.weights.lookup_csv
      params:
        path: SFCSV
        variable: NMuon
        bins: {column: n}
        values: {nominal: sf, up: sf_up}
        outputs: {nominal: W, up: W_up}
"""
        + _hist1d("HZmass", "MuMu_Z_mass", 0, 200, 20)
        + _hist1d("HNZ", "nMuMu_Z", 0, 5, 5)
        + _hist1d("HWmt", "Wmu_W_MT", 0, 200, 20)
        + _hist1d("HWmass", "Wmu_W_mass", 0, 300, 30)
        + _hist1d("HNW", "nWmu_W", 0, 5, 5)
        + _hist1d("HRec", "Rec_pt", 0, 300, 30)
        + _hist1d("HNRec", "nRec", 0, 6, 6)
        + _hist1d("HClean", "cleaned_Jet_pt", 0, 300, 30)
        + _hist1d("HNRemoved", "nremoved_cleaned_Jet", 0, 6, 6)
        + _hist1d("HSF", "W", 0, 3, 6, weight="W_up")
        + """\
    - id: Match
      op: cms.match_l1t_jets
      params:
        reco: {et: Jet_pt, eta: Jet_eta, phi: Jet_phi}
        l1: {et: Muon_pt, eta: Muon_eta, phi: Muon_phi}
        dr_max: 1.0
"""
        + _hist1d("HN", "n_matched", 0, 6, 6)
        + """\
    - id: HEt
      op: hep.hist
      params:
        axes:
          - {name: r, source: matched_reco_et, type: regular, bins: {low: 0, high: 200, nbins: 10}}
          - {name: l, source: matched_l1_et, type: regular, bins: {low: 0, high: 200, nbins: 10}}
"""
    )
    text = (
        "version: 1.0\ndata:\n  datasets: [{name: zz, eventtype: mc, files: [HZZ]}]\nanalysis:\n  stages:\n"
        + stages
    ).replace("SFCSV", str(tmp_path / "sf.csv"))
    result = _run(tmp_path, hzz, text)
    for stage, want in UPSTREAM_NEW_OPS.items():
        np.testing.assert_allclose(
            _product(result, stage, "hist").values(flow=True), want, rtol=1e-9, err_msg=stage
        )
    et = _product(result, "HEt", "hist").values(flow=True)
    assert {(i, j): int(v) for (i, j), v in np.ndenumerate(et) if v} == UPSTREAM_MATCHED_ET
