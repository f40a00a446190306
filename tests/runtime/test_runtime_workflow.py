"""The runtime with the real compiler, registry and operations, on a workflow written as users write it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.runtime import RunOptions, RunResult, run_plan

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 5000, seed: 3}
data:
  datasets:
    - {name: toy_data, eventtype: data, nevents: 2000}
    - {name: toy_dy, eventtype: mc, nevents: 3000}
analysis:
  globals: {iso_cut: 0.10}
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: IsoMuon, expr: "(Muon_Iso / Muon_Pt) < iso_cut"}
          - {name: NIsoMuon, reduce: {op: count_nonzero, over: IsoMuon}}
      inspect: {kind: hep.schema_snapshot, mode: first_partition, out: schema.json}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection:
          dimuon: ["NIsoMuon >= 2", "NMuon < 5"]
        weight_expr: EventWeight
      write: {kind: root_tree, path: skim.root, keep: [NMuon, EventWeight], when: final, format: ttree}
      render: {style: cutflow_table, when: final, out: Dimuon.csv}
    - id: MuonPt
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 60}}]
styles:
  cutflow_table: {op: hep.render.cutflow_csv}
"""


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("wf") / "zmumu.flow.yaml"
    path.write_text(WORKFLOW)
    result = compile_file(path)
    assert result.ok, [f"{d.span.start}: {d.code.id} {d.message}" for d in result.diagnostics]
    return result


def run(compiled: Any, outdir: Path, **kw: Any) -> RunResult:
    result = run_plan(compiled.plan, RunOptions(outdir=outdir, **kw), registry=compiled.registry)
    assert result.ok, [d.message for d in result.errors]
    return result


def assert_rows_close(rows: list[dict[str, Any]], reference: list[dict[str, Any]]) -> None:
    """Counts and labels exactly, sums of weights to 1e-12 (chunking changes the order of additions)."""
    assert [r.keys() for r in rows] == [r.keys() for r in reference]
    for row, ref in zip(rows, reference, strict=True):
        for key, value in row.items():
            if isinstance(value, float):
                assert value == pytest.approx(ref[key], rel=1e-12), key
            else:
                assert value == ref[key], key


def expected_counts(compiled: Any, dataset: str) -> tuple[int, int]:
    """The cutflow's events in and out, computed from the toy events read in one piece."""
    from fasthep_flow.ops.contract import RunContext
    from fasthep_flow.runtime.bindings import Bindings, resolve

    plan = compiled.plan
    ds = plan.dataset(dataset)
    source = plan.source(ds.source)
    read = resolve(Bindings.from_registry(plan, compiled.registry).sources[source.name])
    from fasthep_flow.plan import Partition

    part = Partition(dataset, None, 0, ds.nevents, 0)
    events = read(
        source, part, ("NMuon", "Muon_Px", "Muon_Py", "Muon_Iso"), RunContext("t", ds, part, Path("."))
    )
    pt = np.sqrt(events["Muon_Px"] ** 2 + events["Muon_Py"] ** 2)
    n_iso = ak.to_numpy(ak.count_nonzero((events["Muon_Iso"] / pt) < 0.10, axis=-1))
    keep = (n_iso >= 2) & (np.asarray(events["NMuon"]) < 5)
    return len(events), int(keep.sum())


def test_real_ops_give_the_same_products_for_every_chunking_and_executor(
    compiled: Any, tmp_path: Path
) -> None:
    results = {
        ("serial", 1000): run(compiled, tmp_path / "a", chunk_size=1000),
        ("serial", None): run(compiled, tmp_path / "b", chunk_size=None),
        ("processes", 700): run(compiled, tmp_path / "c", chunk_size=700, executor="processes", workers=2),
    }
    reference = results[("serial", 1000)]
    for result in results.values():
        for dataset in ("toy_data", "toy_dy", "total_data", "total_mc"):
            cut, ref_cut = (r.products[("stage.Dimuon", dataset)]["cutflow"] for r in (result, reference))
            assert_rows_close(cut.to_rows(), ref_cut.to_rows())
            h, ref_h = (r.products[("stage.MuonPt", dataset)]["hist"] for r in (result, reference))
            np.testing.assert_allclose(h.values(flow=True), ref_h.values(flow=True), rtol=1e-12)
    for dataset in ("toy_data", "toy_dy"):
        rows = reference.products[("stage.Dimuon", dataset)]["cutflow"].to_rows()
        n_in, n_out = expected_counts(compiled, dataset)
        assert rows[0]["events_in"] == n_in
        assert rows[-1]["events_out"] == n_out


def test_real_ops_write_every_documented_output(compiled: Any, tmp_path: Path) -> None:
    import uproot

    result = run(compiled, tmp_path, chunk_size=1500)
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {
        "run.json",
        "plan.json",
        "artifacts/files/skim.root",
        "Dimuon.csv",
        "hists/MuonPt.json",
        "hists/MuonPt.root",
        "cutflows/Dimuon.json",
        "schema.toy_data.json",
        "schema.toy_dy.json",
    } <= files
    total = sum(
        result.products[("stage.Dimuon", t)]["cutflow"].to_rows()[-1]["events_out"]
        for t in ("total_data", "total_mc")
    )  # a `when: final` write holds every dataset
    with uproot.open(tmp_path / "artifacts/files/skim.root") as f:
        tree = f["events"]
        assert tree.num_entries == total
        assert sorted(tree.keys()) == ["EventWeight", "NMuon"]
    schema = json.loads((tmp_path / "schema.toy_dy.json").read_text())
    assert "Muon_Pt" in json.dumps(schema)
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["status"] == "ok"
    assert record["plan_hash"] == compiled.plan.hash
