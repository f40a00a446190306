"""The Snakemake export, run by real snakemake: same products as `fasthep-flow run`, a dry run lists the jobs,
and after editing a stage that applies to one dataset only that dataset's jobs (and the final merge) re-run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 6000, seed: 7}
data:
  datasets:
    - {name: toy_data, eventtype: data, nevents: 2000}
    - {name: toy_dy, eventtype: mc, nevents: 3000}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: NMu, reduce: {op: count_nonzero, over: "Muon_Pt > 20"}}
    - id: DyOnly
      op: hep.selection.cutflow
      applies_to: {dataset: toy_dy}
      params:
        selection: {dy: ["NMu >= 1"]}
    - id: MuonPt
      op: hep.hist
      params:
        dataset_axis: true
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 24}}]
"""
FF = [sys.executable, "-m", "fasthep_flow"]


def snakemake() -> str:
    found = Path(sys.executable).with_name("snakemake")
    if not found.exists():
        pytest.fail("snakemake is not installed beside this Python (it is in the dev extra)", pytrace=False)
    return str(found)


def sh(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def job_counts(dry_run: str) -> dict[str, int]:
    """Rule -> jobs, from the table snakemake prints (`job  count` rows)."""
    counts = {}
    for line in dry_run.splitlines():
        match = re.fullmatch(r"\s*(all|partition|merge_dataset|final|total)\s+(\d+)\s*", line)
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


def products(outdir: Path) -> dict[str, Any]:
    return {
        p.relative_to(outdir).as_posix(): json.loads(p.read_text())
        for folder in ("hists", "cutflows")
        for p in sorted((outdir / folder).glob("*.json"))
    }


def test_exported_workflow_runs_in_snakemake_and_reruns_only_what_an_edit_touches(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.flow.yaml"
    workflow.write_text(WORKFLOW)
    export = tmp_path / "export"
    sh([*FF, "export", "snakemake", str(workflow), "-o", str(export), "--chunk-size", "1500"], tmp_path)
    assert (export / "Snakefile").exists()

    planned = job_counts(sh([snakemake(), "-n", "--cores", "2"], export))
    assert planned == {"all": 1, "partition": 4, "merge_dataset": 2, "final": 1, "total": 8}

    sh([snakemake(), "--cores", "2"], export)
    sh(
        [*FF, "run", str(workflow), "--outdir", str(tmp_path / "direct"), "--chunk-size", "1500", "--quiet"],
        tmp_path,
    )
    assert products(export / "outputs") == products(tmp_path / "direct") != {}

    # Nothing changed: nothing to do.
    assert "Nothing to be done" in sh([snakemake(), "-n", "--cores", "2"], export)

    # Edit the stage that runs on toy_dy only, and re-export.
    data_partials = {p: p.stat().st_mtime_ns for p in (export / "partials" / "toy_data").glob("*.pkl")}
    workflow.write_text(WORKFLOW.replace('"NMu >= 1"', '"NMu >= 2"'))
    sh([*FF, "export", "snakemake", str(workflow), "-o", str(export), "--chunk-size", "1500"], tmp_path)
    replanned = job_counts(sh([snakemake(), "-n", "--cores", "2"], export))
    assert replanned == {"all": 1, "partition": 2, "merge_dataset": 1, "final": 1, "total": 5}
    sh([snakemake(), "--cores", "2"], export)
    assert {p: p.stat().st_mtime_ns for p in data_partials} == data_partials  # toy_data did not re-run
    cutflow = json.loads((export / "outputs" / "cutflows" / "DyOnly.json").read_text())
    assert {r["step"] for r in cutflow["rows"]} == {"NMu >= 2"}


def test_export_refuses_per_partition_writes(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.flow.yaml"
    text = WORKFLOW.replace(
        "    - id: MuonPt\n",
        "      write: {kind: root_tree, path: skim.root, keep: [NMu], when: partition, format: ttree}\n"
        "    - id: MuonPt\n",
    )
    workflow.write_text(text)
    done = subprocess.run(
        [*FF, "export", "snakemake", str(workflow), "-o", str(tmp_path / "x")], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "when: partition" in done.stderr
    assert not (tmp_path / "x" / "Snakefile").exists()
