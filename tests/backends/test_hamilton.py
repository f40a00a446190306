"""The Hamilton backend: the plan's steps as the nodes of a real Apache Hamilton driver, the same products."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fasthep_flow.backends.hamilton import HamiltonExecutor, build_driver, node_name
from fasthep_flow.compiler import compile_file
from fasthep_flow.document import codes
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.runtime.bindings import Bindings
from fasthep_flow.runtime.chain import compile_program
from fasthep_flow.runtime.run import default_registry

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 5000, seed: 11}
data:
  defaults: {eventtype: mc, generator_weight: EventWeight}
  datasets:
    - {name: toy_data, eventtype: data, nevents: 2000, lumi: 0.05}
    - {name: toy_dy, nevents: 3000, cross_section: 2000}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: NMu, reduce: {op: count_nonzero, over: "Muon_Pt > 20"}}
      BROKEN
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection: {dimuon: ["triggerIsoMu24", "NMu >= 2"]}
        weight_expr: EventWeight
    - id: MuonPt
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        dataset_axis: true
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 24}}]
"""


def compiled(tmp_path: Path, broken: bool = False) -> Any:
    path = tmp_path / "wf.flow.yaml"
    extra = "execution: {retries: 0}" if not broken else ""
    text = WORKFLOW.replace("      BROKEN\n", f"      {extra}\n" if extra else "")
    if broken:
        text = text.replace(
            'over: "Muon_Pt > 20"}}', 'over: "Muon_Pt > 20"}}\n          - {name: S, expr: "Muon_Px[:, 5]"}'
        )
    path.write_text(text)
    result = compile_file(path)
    assert result.ok, [d.message for d in result.diagnostics]
    return result.plan


def products(outdir: Path) -> dict[str, Any]:
    return {
        p.relative_to(outdir).as_posix(): json.loads(p.read_text())
        for folder in ("hists", "cutflows")
        for p in sorted((outdir / folder).glob("*.json"))
    }


def test_driver_nodes_and_edges_are_the_plans(tmp_path: Path) -> None:
    plan = compiled(tmp_path)
    program = compile_program(plan, Bindings.from_registry(plan, default_registry(plan)))
    dr, names = build_driver(program)
    assert names == [node_name(s.id) for s in program.steps]
    assert names[:2] == ["read__events", "stage__MuonVars"]
    variables = {v.name: v for v in dr.list_available_variables()}
    assert set(names) <= set(variables)
    for step in program.steps:
        wanted = {node_name(d) for d in ((step.src,) if step.src else ()) + step.deps} or {"partition_run"}
        assert set(variables[node_name(step.id)].required_dependencies) == wanted


def test_hamilton_gives_the_serial_products(tmp_path: Path) -> None:
    plan = compiled(tmp_path)
    serial = run_plan(plan, RunOptions(outdir=tmp_path / "serial", chunk_size=700))
    options = RunOptions(outdir=tmp_path / "ham", executor="hamilton", chunk_size=700)
    ham = run_plan(plan, options, executor=HamiltonExecutor())
    assert serial.ok and ham.ok, [d.message for d in ham.errors]
    assert ham.summary.partitions == serial.summary.partitions == 8
    assert ham.record["options"]["executor"] == "hamilton"
    assert products(tmp_path / "ham") == products(tmp_path / "serial") != {}
    assert [(s.node, s.dataset, s.events_in, s.events_out) for s in ham.summary.stages] == [
        (s.node, s.dataset, s.events_in, s.events_out) for s in serial.summary.stages
    ]


def test_a_failing_stage_is_reported_as_on_the_serial_executor(tmp_path: Path) -> None:
    plan = compiled(tmp_path, broken=True)
    options = RunOptions(outdir=tmp_path / "ham", executor="hamilton", chunk_size=700)
    ham = run_plan(plan, options, executor=HamiltonExecutor())
    serial = run_plan(plan, RunOptions(outdir=tmp_path / "serial", chunk_size=700))
    assert not ham.ok and not serial.ok
    assert [d.code for d in ham.errors] == [codes.STAGE_FAILED]
    assert [d.message for d in ham.errors] == [d.message for d in serial.errors]


def test_cli_executor_hamilton(tmp_path: Path) -> None:
    compiled(tmp_path)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "fasthep_flow", "run", str(tmp_path / "wf.flow.yaml")]
    done = subprocess.run(
        [*argv, "--executor", "hamilton", "--outdir", str(out), "--quiet", "--chunk-size", "2500"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["options"]["executor"] == "hamilton"
    assert (out / "hists" / "MuonPt.json").exists()
