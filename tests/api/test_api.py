"""The Python API against the command line: the same workflow run both ways gives the same histograms and
cutflows; mistakes come back as one WorkflowError listing all of them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import uproot

import fasthep_flow
from fasthep_flow.api import CutflowTable

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "toy_zmumu.flow.yaml"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api")
    text = re.sub(r"nevents: \d+", "nevents: 30000", EXAMPLE.read_text(encoding="utf-8"))
    path = folder / "wf.flow.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_out(small: Path) -> Path:
    out = small.parent / "cli-out"
    done = subprocess.run(
        [sys.executable, "-m", "fasthep_flow", "run", str(small), "--outdir", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_in_memory_run_matches_the_cli_files(small: Path, cli_out: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = fasthep_flow.load(small).run()
    assert result.ok and result.outdir is None
    assert list(tmp_path.iterdir()) == []  # nothing written where the user is
    assert sorted(result.hists) == ["DiMuonMass", "MuonPt"]
    for stage in result.hists:
        with uproot.open(cli_out / "hists" / f"{stage}.root") as f:
            names = {k.split(";")[0] for k in f}
            for label in result.hists.datasets_of(stage):
                key = next(n for n in names if n.endswith(label))
                np.testing.assert_allclose(result.hists[stage, label].values(), f[key].values(), rtol=1e-12)
    on_disk = json.loads((cli_out / "cutflows" / "Dimuon.json").read_text(encoding="utf-8"))
    table = result.cutflows["Dimuon", "total_mc"]
    assert isinstance(table, CutflowTable)
    disk_text = json.dumps(on_disk)
    for row in table.rows:
        assert str(row["events_out"]) in disk_text


def test_total_and_per_dataset_access(small: Path) -> None:
    result = fasthep_flow.load(small).run()
    assert result.hists["MuonPt", "total_mc"] == result.hists["MuonPt", "toy_dy"]
    assert result.hists["MuonPt", "total_data"] == result.hists["MuonPt", "toy_data"]
    with pytest.raises(
        KeyError, match=r"never added together: pick one, e.g. .*'total_data'.* or .*'total_mc'"
    ):
        result.hists["MuonPt"]  # data and simulation: no single total
    with pytest.raises(KeyError, match="no histogram from a stage 'Nope'; there are: DiMuonMass, MuonPt"):
        result.hists["Nope"]
    with pytest.raises(KeyError, match="has no histogram for 'zz'"):
        result.hists["MuonPt", "zz"]
    assert "<table>" in result.cutflows["Dimuon", "toy_dy"]._repr_html_()
    assert "events_in" in str(result.cutflows["Dimuon", "total_data"])


def test_run_into_a_folder_keeps_the_files(small: Path, tmp_path: Path) -> None:
    result = fasthep_flow.load(small).run(outdir=tmp_path / "o", datasets=["toy_dy"])
    assert result.outdir == tmp_path / "o"
    assert (tmp_path / "o" / "run.json").is_file()
    assert result.hists.datasets_of("MuonPt") == ["toy_dy", "total_mc"]
    assert result.hists["MuonPt"] == result.hists["MuonPt", "total_mc"]  # one eventtype: its total


def test_plan_graph_and_mermaid(small: Path) -> None:
    wf = fasthep_flow.load(small)
    assert set(wf.graph.nodes) == {n.id for n in wf.plan.nodes}
    assert wf.to_mermaid().startswith("flowchart")
    assert wf.normalised["analysis"]["globals"]["iso_cut"] == 0.1


def test_every_problem_in_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.flow.yaml"
    bad.write_text(
        "version: 1.0\nsources: {events: {kind: toy, nevents: 10}}\nanalysis:\n  stages:\n"
        "    - {id: A, op: hep.hsit}\n    - {id: B, op: hep.define, params: {variables: [{name: x, expr: 'a >= = 1'}]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(fasthep_flow.WorkflowError) as caught:
        fasthep_flow.load(bad)
    codes = [d.code.id for d in caught.value.diagnostics]
    assert "FF101" in codes and "FF201" in codes
    text = str(caught.value)
    assert f"{bad}:5:" in text and "FF101" in text and "did you mean" in text
    assert "<table>" in caught.value._repr_html_()


def test_loads_from_text() -> None:
    wf = fasthep_flow.loads(
        "version: 1.0\nsources: {events: {kind: toy, nevents: 500, seed: 3}}\nanalysis:\n  stages:\n"
        "    - {id: H, op: hep.hist, params: {axes: [{name: n, source: NMuon, type: regular,"
        " bins: {low: 0, high: 10, nbins: 10}}]}}\n"
    )
    assert wf.run().hists["H"].sum(flow=True) == 500
