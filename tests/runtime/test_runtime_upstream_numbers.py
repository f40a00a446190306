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


def _product(result: RunResult, stage: str, name: str, dataset: str = "total") -> Any:
    return result.products[(f"stage.{stage}", dataset)][name]


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
    assert h["withn", :].values(flow=True).tolist() == [0, 51, 785, 1127, 29, 8, 0]
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
    assert h.values(flow=True)[:, 3:6].tolist() == [[499, 14, 5], [1196, 32, 7], [250, 7, 4]]
    assert h.values(flow=True).sum() == 2014


def test_hist_axis_and_storage_forms(tmp_path: Path, hzz: Path) -> None:
    """p03/p03b (rows 45-48): int axes grow (bins ignored), weight without storage is weighted, count ignores it."""
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
