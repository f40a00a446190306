"""The execution plan: hash identity, serialisation round trips and the graph exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from fasthep_flow.compiler import compile_text
from fasthep_flow.plan import ExecutionPlan, NodeKind, to_dot, to_json, to_mermaid, to_yaml

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 2500, seed: 3}
data:
  datasets:
    - {name: dy, nevents: 2500}
    - {name: data, eventtype: data, nevents: 1200}
execution: {chunk_size: 1000}
analysis:
  globals: {cut: 2}
  stages:
    - id: Vars
      op: hep.define
      params:
        variables: [{name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}]
    - id: Sel
      op: hep.selection.cutflow
      params: {selection: {two: ["NMuon >= cut"]}, weight_expr: EventWeight}
    - id: PtA
      op: hep.hist
      from: Vars
      params: {axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]}
      render: {style: s, out: a.png}
    - id: PtB
      op: hep.hist
      needs: [PtA]
      params: {axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]}
styles:
  s: {op: hep.render.hist1d}
"""

# the same workflow with every mapping's keys in another order
REORDERED = WORKFLOW.replace(
    "  events: {kind: toy, nevents: 2500, seed: 3}", "  events: {seed: 3, nevents: 2500, kind: toy}"
).replace(
    'params: {selection: {two: ["NMuon >= cut"]}, weight_expr: EventWeight}',
    'params: {weight_expr: EventWeight, selection: {two: ["NMuon >= cut"]}}',
)


def _plan(text: str, file: str = "/tmp/a/wf.flow.yaml") -> ExecutionPlan:
    result = compile_text(text, file)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.plan is not None
    return result.plan


def test_nodes_edges_and_partitions() -> None:
    plan = _plan(WORKFLOW)
    ids = [n.id for n in plan.nodes]
    assert ids == ["read.events", "stage.Vars", "stage.Sel", "stage.PtA", "stage.PtB", "render.PtA.0"]
    by_id = plan.by_id
    assert by_id["stage.Sel"].inputs == ("stage.Vars",)
    assert by_id["stage.PtA"].inputs == ("stage.Vars",)  # `from:` branches off Vars, skipping Sel
    assert by_id["stage.PtB"].inputs == ("stage.PtA",) and by_id["stage.PtB"].after == ("stage.PtA",)
    assert by_id["render.PtA.0"].kind is NodeKind.RENDER and by_id["render.PtA.0"].when == "final"
    assert set(plan.graph.edges) >= {("read.events", "stage.Vars"), ("stage.Vars", "stage.PtA")}
    assert plan.source("events").fields == ("Muon_Px", "Muon_Py", "NMuon", "EventWeight")
    assert [(p.dataset, p.start, p.stop) for p in plan.partitions] == [
        ("dy", 0, 1000),
        ("dy", 1000, 2000),
        ("dy", 2000, 2500),
        ("data", 0, 1000),
        ("data", 1000, 1200),
    ]
    assert by_id["stage.Sel"].params["filter"] == "all"  # defaults filled from the spec


def test_hash_is_stable_across_processes_key_order_and_location() -> None:
    plan = _plan(WORKFLOW)
    assert _plan(REORDERED).hash == plan.hash
    assert _plan(WORKFLOW, "/elsewhere/other.flow.yaml").hash == plan.hash
    code = (
        "import sys; from fasthep_flow.compiler import compile_text; "
        "print(compile_text(sys.stdin.read(), '/x/wf.flow.yaml').plan.hash)"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], input=WORKFLOW, capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == plan.hash
    changed = _plan(WORKFLOW.replace("nbins: 10}}]}\n      render", "nbins: 20}}]}\n      render"))
    assert changed.hash != plan.hash


def test_json_and_yaml_round_trip() -> None:
    plan = _plan(WORKFLOW)
    data = json.loads(to_json(plan))
    assert data["hash"] == plan.hash
    again = ExecutionPlan.from_dict(data)
    assert again.hash == plan.hash and again.nodes == plan.nodes and again.partitions == plan.partitions
    assert ExecutionPlan.from_dict(yaml.safe_load(to_yaml(plan))).hash == plan.hash


def test_mermaid_and_dot_name_every_node_and_edge() -> None:
    plan = _plan(WORKFLOW)
    mermaid = to_mermaid(plan)
    assert mermaid.startswith("flowchart TD\n")
    assert "stage_Vars --> stage_PtA" in mermaid and "render_PtA_0" in mermaid
    dot = to_dot(plan)
    assert dot.startswith("digraph plan {") and dot.rstrip().endswith("}")
    for node in plan.nodes:
        assert f'"{node.id}"' in dot
    assert '"stage.PtA" -> "stage.PtB";' in dot


def test_compile_command_writes_plan_files(tmp_path: Path) -> None:
    from fasthep_flow.cli.main import main

    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(WORKFLOW)
    out = tmp_path / "out"
    assert main(["compile", str(wf), "-o", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"workflow.normalised.yaml", "plan.json", "plan.yaml", "graph.mmd", "graph.dot"}
    normalised = yaml.safe_load((out / "workflow.normalised.yaml").read_text())
    assert [s["id"] for s in normalised["analysis"]["stages"]] == ["Vars", "Sel", "PtA", "PtB"]
    assert normalised["datasets"][1] == {"name": "data", "eventtype": "data", "nevents": 1200, "files": []}
    assert json.loads((out / "plan.json").read_text())["hash"] == _plan(WORKFLOW, str(wf)).hash
