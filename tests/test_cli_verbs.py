"""Upstream's verbs through the real command line: init writes a workflow that passes check, normalise prints
the normalised workflow, diff reports exactly what changed, show-defaults prints spec defaults, inspect lists
branches and types of the real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import uproot
import yaml

DATA = Path(__file__).resolve().parent / "data"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fasthep_flow", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("template", ["toy", "root"])
def test_init_writes_a_workflow_that_passes_check_and_runs(template: str, tmp_path: Path) -> None:
    extra = ["--file", str(DATA / "uproot-HZZ.root")] if template == "root" else []
    made = cli("init", "new.flow.yaml", "--template", template, *extra, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    checked = cli("check", "new.flow.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "All checks passed" in checked.stdout
    again = cli("init", "new.flow.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "never overwrites" in again.stderr


def test_normalise_prints_defaults_and_refuses_errors(tmp_path: Path) -> None:
    cli("init", "wf.flow.yaml", cwd=tmp_path)
    done = cli("normalise", "wf.flow.yaml", "analysis.globals.iso_cut=0.3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(done.stdout)
    cutflow = next(s for s in data["analysis"]["stages"] if s["id"] == "Dimuon")
    assert cutflow["params"]["filter"] == "all"  # a default filled in
    hist = next(s for s in data["analysis"]["stages"] if s["id"] == "MuonPt")
    assert "storage" not in hist["params"]  # no default: it follows `weight_expr`, as upstream
    assert data["analysis"]["globals"]["iso_cut"] == 0.3
    (tmp_path / "bad.flow.yaml").write_text(
        (tmp_path / "wf.flow.yaml").read_text().replace("hep.hist", "hep.hsit"), encoding="utf-8"
    )
    bad = cli("normalise", "bad.flow.yaml", cwd=tmp_path)
    assert bad.returncode == 1 and "FF101" in bad.stderr and bad.stdout == ""


def test_diff_of_workflows_ignores_formatting_and_order(tmp_path: Path) -> None:
    cli("init", "a.flow.yaml", cwd=tmp_path)
    text = (tmp_path / "a.flow.yaml").read_text(encoding="utf-8")
    (tmp_path / "same.flow.yaml").write_text(
        "# a comment\n" + text.replace("{iso_cut: 0.1}", "{ iso_cut: 0.10 }")
    )
    same = cli("diff", "a.flow.yaml", "same.flow.yaml", cwd=tmp_path)
    assert same.returncode == 0, same.stdout
    (tmp_path / "b.flow.yaml").write_text(
        text.replace("nbins: 60", "nbins: 30").replace("iso_cut: 0.1", "iso_cut: 0.2")
    )
    changed = cli("diff", "a.flow.yaml", "b.flow.yaml", cwd=tmp_path)
    assert changed.returncode == 1
    assert changed.stdout.splitlines() == [
        "~ analysis.globals.iso_cut: 0.1 → 0.2",
        "~ analysis.stages.MuonPt.params.axes[0].bins.nbins: 60 → 30",
    ]


def test_diff_of_plans_compares_nodes_by_id(tmp_path: Path) -> None:
    cli("init", "a.flow.yaml", cwd=tmp_path)
    text = (tmp_path / "a.flow.yaml").read_text(encoding="utf-8")
    (tmp_path / "b.flow.yaml").write_text(text.replace('"NIsoMuon >= 2"', '"NIsoMuon >= 3"'))
    for name in ("a", "b"):
        assert cli("compile", f"{name}.flow.yaml", "-o", name, cwd=tmp_path).returncode == 0
    done = cli("diff", "a/plan.json", "b/plan.json", cwd=tmp_path)
    assert done.returncode == 1
    assert any(
        line.startswith("~ nodes.stage.Dimuon.params.selection") for line in done.stdout.splitlines()
    ), done.stdout
    mixed = cli("diff", "a.flow.yaml", "b/plan.json", cwd=tmp_path)
    assert mixed.returncode == 2 and "cannot compare" in mixed.stderr


def test_show_defaults_comes_from_the_specs(tmp_path: Path) -> None:
    from fasthep_flow.registry import load_registry

    registry, _ = load_registry(None, None, False)
    [spec] = [s for s in registry.lookup("hep.select_objects")]
    done = cli("show-defaults", "hep.select_objects", cwd=tmp_path)
    shown = yaml.safe_load(done.stdout)["hep.select_objects"]
    assert set(shown) == {p.name for p in spec.params if p.has_default}
    assert shown["sort"] == {"by": "pt", "order": "descending"}
    everything = yaml.safe_load(cli("show-defaults", cwd=tmp_path).stdout)
    assert "hep.hist" in everything and "hep.define" in everything
    typo = cli("show-defaults", "hep.hsit", cwd=tmp_path)
    assert typo.returncode == 1 and "did you mean 'hep.hist'" in typo.stderr


def test_inspect_lists_branches_types_and_entries(tmp_path: Path) -> None:
    path = DATA / "uproot-HZZ.root"
    done = cli("inspect", str(path), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    with uproot.open(path) as f:
        tree = f["events"]
        assert {r["branch"] for r in rows} == set(tree.keys())
        assert {r["entries"] for r in rows} == {tree.num_entries}
    by_name = {r["branch"]: r["type"] for r in rows}
    assert by_name["NMuon"] == "int32" and "float" in by_name["Muon_Px"]
    rntuple = cli(
        "inspect", str(DATA / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"), cwd=tmp_path
    )
    assert rntuple.returncode == 0 and "Muon_pt" in rntuple.stdout and "1000" in rntuple.stdout
    missing = cli("inspect", "nope.root", cwd=tmp_path)
    assert missing.returncode == 1 and "cannot read nope.root" in missing.stderr
