"""`curator.root_tree_schema` and `curator.compare_schemas` on the real test files, against facts read off the
files by hand (branch lists, the counter of each jagged branch), and their wiring: once per run, after the
partitions, with nothing opened by `check`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import uproot

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.ops.contract import DATASETS_SYMBOL, RunContext
from fasthep_flow.ops.hep.tree_schema_impl import compare_schemas, root_tree_schema, tree_schema
from fasthep_flow.plan import DatasetPlan, Partition
from fasthep_flow.runtime import RunOptions, run_plan

MUON = ["Muon_Charge", "Muon_E", "Muon_Iso", "Muon_Px", "Muon_Py", "Muon_Pz"]


def _ctx(tmp_path: Path, stage: str, files: list[str]) -> RunContext:
    ds = DatasetPlan("zz", "mc", tuple(files))
    symbols = {DATASETS_SYMBOL: {"zz": {"files": files, "eventtype": "mc", "meta": {}}}}
    return RunContext(stage, ds, Partition("zz", None, 0, None), tmp_path, {}, {}, symbols)


def test_schema_lists_every_branch_with_its_type_shape_and_counter(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    hzz = str(shared_data_dir / "uproot-HZZ.root")
    got = root_tree_schema({}, {"dataset": "zz", "tree": "events"}, _ctx(tmp_path, "S", [hzz]))["schema"]
    assert got["kind"] == "schema_snapshot" and got["entry_count"] == 2421 and len(got["fields"]) == 51
    assert got["physical_counters"]["NMuon"] == MUON
    assert got["metadata"] == {"eventtype": "mc", "group": "zz"}
    px = got["field_details"]["Muon_Px"]
    assert (px["type"], px["primitive_type"], px["logical_type"], px["shape"]) == (
        "float[]",
        "float",
        "float32",
        "jagged",
    )
    assert px["counter_branch"] == "NMuon"
    n = got["field_details"]["NMuon"]
    assert (n["shape"], n["physical_role"], n["counter_for"]) == ("scalar", "ttree_counter", MUON)
    assert got["field_details"]["EventWeight"]["shape"] == "scalar"
    written = json.loads((tmp_path / "artifacts/schemas/S.json").read_text())
    assert written == got
    manifest = json.loads((tmp_path / "artifacts/schemas/manifest.json").read_text())
    assert manifest == {"schemas": [{"id": "S", "path": "artifacts/schemas/S.json", "producer": "stage.S"}]}


def test_comparison_of_two_files(shared_data_dir: Path, tmp_path: Path) -> None:
    hzz = tree_schema(shared_data_dir / "uproot-HZZ.root", "events", "zz", {})
    zmumu = tree_schema(shared_data_dir / "uproot-Zmumu.root", "events", "zmumu", {})
    got = compare_schemas({"reference": hzz, "target": zmumu}, {"target_label": "Z"}, _ctx(tmp_path, "C", []))
    cmp = got["comparison"]
    # 51 branches, 4 of them counters (NJet, NMuon, NElectron, NPhoton), left out; Zmumu's 20 are all plain
    assert cmp["summary"]["reference_fields"] == 47 and cmp["summary"]["target_fields"] == 20
    assert cmp["common_fields"] == [] and cmp["only_in_target"][:3] == ["E1", "E2", "Event"]
    assert (cmp["reference"], cmp["target"], cmp["reference_dataset"]) == ("zz", "Z", "zz")
    same = compare_schemas({"reference": hzz, "target": hzz}, {}, _ctx(tmp_path, "D", []))["comparison"]
    assert same["compatible_fields"] == same["common_fields"] and len(same["common_fields"]) == 47


def test_type_and_shape_mismatches(tmp_path: Path) -> None:
    import awkward as ak

    with uproot.recreate(tmp_path / "a.root") as f:  # TTrees, as ROOT writes `float`, `int32_t`, `int64_t[]`
        f.mktree("t", {"x": np.float32, "y": np.int32})
        f["t"].extend({"x": np.array([1.0, 2.0], dtype=np.float32), "y": np.array([1, 2], dtype=np.int32)})
    with uproot.recreate(tmp_path / "b.root") as f:
        f.mktree("t", {"x": np.int64, "y": "var * int64"})
        f["t"].extend({"x": np.array([1, 2], dtype=np.int64), "y": ak.Array([[1], [2, 3]])})
    a = tree_schema(tmp_path / "a.root", "t", "a", {})
    b = tree_schema(tmp_path / "b.root", "t", "b", {})
    cmp = compare_schemas({"reference": a, "target": b}, {}, _ctx(tmp_path, "C", []))["comparison"]
    assert cmp["type_mismatches"] == [
        {"field": "x", "reference": "float", "target": "int64_t"},
        {"field": "y", "reference": "int32_t", "target": "int64_t"},
    ]
    assert cmp["shape_mismatches"] == [{"field": "y", "reference": "scalar", "target": "jagged"}]
    assert cmp["compatible_fields"] == [] and cmp["summary"]["common_fields"] == 2
    # b's counter `ny` is left out: a has no such branch
    assert "ny" not in cmp["only_in_target"] and b["physical_counters"] == {"ny": ["y"]}


def test_rntuple_vectors_are_jagged(shared_data_dir: Path) -> None:
    got = tree_schema(
        shared_data_dir / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root", "Events", "mu", {}
    )
    assert got["entry_count"] == 1000
    assert got["field_details"]["Muon_pt"]["shape"] == "jagged"
    assert got["field_details"]["nMuon"]["shape"] == "scalar"


WF = """version: 1.0
use: {profiles: [hep]}
data:
  datasets: [{name: zz, eventtype: mc, files: [DATA/uproot-HZZ.root]}]
analysis:
  stages:
    - id: N
      op: hep.hist
      params:
        axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]
    - id: A
      op: curator.root_tree_schema
      needs: []
      params: {dataset: zz, tree: events}
    - id: B
      op: curator.root_tree_schema
      needs: []
      params: {dataset: zz, tree: events, file: OTHER}
    - id: C
      op: curator.compare_schemas
      from: [{node: A, as: reference}, {node: B, as: target}]
"""


def _compile(text: str, tmp_path: Path):
    path = tmp_path / "wf.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_text(text, str(path), CompileOptions(trust=False))


def _errors(result) -> list[str]:
    return [d.code.id for d in result.diagnostics if d.severity is Severity.ERROR]


def test_runs_once_after_the_partitions_and_check_opens_nothing(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    text = WF.replace("DATA", str(shared_data_dir))
    missing = _compile(text.replace("OTHER", str(tmp_path / "absent.root")), tmp_path)
    assert _errors(missing) == []  # the file is read by the run, not by check
    run = run_plan(
        missing.plan, RunOptions(outdir=tmp_path / "o1", chunk_size=1000), registry=missing.registry
    )
    assert [e.code.id for e in run.errors] == ["FF404"] and "absent.root" in run.errors[0].message
    ok = _compile(text.replace("OTHER", str(shared_data_dir / "uproot-Zmumu.root")), tmp_path)
    run = run_plan(ok.plan, RunOptions(outdir=tmp_path / "o2", chunk_size=1000), registry=ok.registry)
    assert run.ok, [e.message for e in run.errors]
    assert run.products[("stage.N", "zz")]["hist"].sum(flow=True) == 2421  # three partitions
    cmp = run.products[("stage.C", "total")]["comparison"]
    assert cmp["summary"]["only_in_reference"] == 47
    written = json.loads((tmp_path / "o2/artifacts/comparisons/C.json").read_text())
    assert written == cmp


def test_check_reports_bad_wiring(shared_data_dir: Path, tmp_path: Path) -> None:
    text = WF.replace("DATA", str(shared_data_dir)).replace("OTHER", "x.root")
    assert _errors(_compile(text.replace("{dataset: zz, tree: events}", "{dataset: zzz}"), tmp_path)) == [
        "FF119"
    ]
    unbound = text.replace("      from: [{node: A, as: reference}, {node: B, as: target}]\n", "")
    assert _errors(_compile(unbound, tmp_path)) == ["FF107"]
    stream = text.replace("{node: B, as: target}", "{node: N, as: target}")
    assert _errors(_compile(stream, tmp_path)) == ["FF107", "FF107"]  # N is no schema; `target` is unbound
    wrong = text.replace("as: target", "as: other")
    assert _errors(_compile(wrong, tmp_path)) == ["FF107", "FF107"]


def test_a_comparison_written_before_its_schemas_runs_after_them(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    text = f"""version: 1.0
use: {{profiles: [hep]}}
data:
  datasets: [{{name: zz, eventtype: mc, files: [{shared_data_dir / "uproot-HZZ.root"}]}}]
analysis:
  stages:
    - id: C
      op: curator.compare_schemas
      from: [{{node: S, as: reference}}, {{node: S, as: target}}]
    - id: S
      op: curator.root_tree_schema
      params: {{dataset: zz, tree: events}}
"""
    result = _compile(text, tmp_path)
    assert _errors(result) == []
    run = run_plan(result.plan, RunOptions(outdir=tmp_path / "out"), registry=result.registry)
    assert run.ok and run.products[("stage.C", "total")]["comparison"]["summary"]["compatible_fields"] == 47
