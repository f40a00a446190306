"""`reports:` are written after the run, from its record, and listed among its outputs."""

from __future__ import annotations

import json
from pathlib import Path

from fasthep_flow.compiler import compile_file
from fasthep_flow.runtime import RunOptions, run_plan

WORKFLOW = """\
version: 1.0
use: {profiles: [hep]}
data:
  datasets: [{name: zz, eventtype: mc, files: [DATA]}]
reports:
  - id: prov
    op: hep.report.template
    source: provenance
    outputs:
      - {path: provenance.md, format: markdown}
      - {path: reports/provenance.html, format: html}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {a: ["NMuon >= 2"]}
"""


def test_provenance_report_from_the_run_record(tmp_path: Path, shared_data_dir: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW.replace("DATA", str(shared_data_dir / "uproot-HZZ.root")))
    compiled = compile_file(path)
    assert compiled.ok and not compiled.diagnostics, [d.message for d in compiled.diagnostics]
    assert compiled.plan is not None and [r["id"] for r in compiled.plan.reports] == ["prov"]
    result = run_plan(compiled.plan, RunOptions(outdir=tmp_path / "out"), registry=compiled.registry)
    assert result.ok
    record = json.loads((result.outdir / "run.json").read_text())
    listed = [o["path"] for o in record["outputs"]]
    assert listed[-2:] == ["provenance.md", "reports/provenance.html"]
    text = (result.outdir / "provenance.md").read_text()
    assert f"| Run ID | {record['run_id']} |" in text
    assert "| stage.Sel | zz | 2421 | 1413 |" in text  # 1413 of uproot-HZZ.root's 2421 events have two muons
    assert (result.outdir / "reports" / "provenance.html").read_text().startswith("<!DOCTYPE html>")


def test_a_reused_run_writes_its_own_report(tmp_path: Path, shared_data_dir: Path) -> None:
    """An unchanged re-run takes the previous outputs over whole; its report is still its own."""
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW.replace("DATA", str(shared_data_dir / "uproot-HZZ.root")))
    compiled = compile_file(path)
    assert compiled.plan is not None
    options = RunOptions(outdir=tmp_path / "out", cache_dir=tmp_path / "cache")
    first = run_plan(compiled.plan, options, registry=compiled.registry)
    second = run_plan(compiled.plan, options, registry=compiled.registry)
    assert first.ok and second.ok
    assert second.record["cache"].get("reused_from") == first.record["run_id"]  # the whole-run reuse path
    ids = [r.record["run_id"] for r in (first, second)]
    assert ids[0] != ids[1]
    assert f"| Run ID | {ids[1]} |" in (second.outdir / "provenance.md").read_text()
    listed = [o["path"] for o in second.record["outputs"]]
    assert listed.count("provenance.md") == 1 and "reports/provenance.html" in listed
