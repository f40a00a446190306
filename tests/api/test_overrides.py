"""Overrides `KEY=VALUE`: scalars, lists, mappings, items addressed by position or by id/name, created keys, and
mistakes reported at their column on the command line; runs record them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document import codes

WF = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 1000, seed: 1}
data:
  datasets:
    - {name: data, eventtype: data}
    - {name: dy, eventtype: mc}
analysis:
  globals: {iso_cut: 0.1}
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection: {dimuon: ["NMuon >= 2"]}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 60}}]
"""


def compiled(*overrides: str):  # type: ignore[no-untyped-def]
    return compile_text(WF, "wf.yaml", CompileOptions(overrides=overrides, check_inputs=False))


def normalised(*overrides: str) -> dict:
    result = compiled(*overrides)
    assert [d for d in result.diagnostics if d.severity.label == "error"] == []
    return result.workflow


def stage(wf: dict, sid: str) -> dict:
    return next(s for s in wf["analysis"]["stages"] if s["id"] == sid)


def test_scalar_values_keep_their_types() -> None:
    g = normalised("analysis.globals.iso_cut=0.2", "analysis.globals.flag=true", "analysis.globals.n=3")[
        "analysis"
    ]["globals"]
    assert g == {"iso_cut": 0.2, "flag": True, "n": 3}


def test_list_and_mapping_values() -> None:
    wf = normalised(
        "analysis.stages[Dimuon].params.selection={dimuon: ['NMuon >= 1', 'NMuon < 4']}",
        "analysis.globals.window=[60, 120]",
    )
    assert stage(wf, "Dimuon")["params"]["selection"] == {"dimuon": ["NMuon >= 1", "NMuon < 4"]}
    assert wf["analysis"]["globals"]["window"] == [60, 120]


def test_items_by_id_name_and_position() -> None:
    wf = normalised(
        "analysis.stages[MuonPt].params.axes[0].bins.nbins=30",
        "data.datasets[dy].eventtype=data",
        "analysis.stages[-1].params.storage=weighted",
    )
    axis = stage(wf, "MuonPt")["params"]["axes"][0]
    assert axis["bins"]["nbins"] == 30
    assert stage(wf, "MuonPt")["params"]["storage"] == "weighted"
    assert [d["eventtype"] for d in wf["datasets"]] == ["data", "data"]


def test_later_override_wins() -> None:
    assert (
        normalised("analysis.globals.iso_cut=0.2", "analysis.globals.iso_cut=0.3")["analysis"]["globals"][
            "iso_cut"
        ]
        == 0.3
    )


@pytest.mark.parametrize(
    ("override", "code", "col"),
    [
        ("analysis.stages[Nope].params.x=1", codes.BAD_OVERRIDE, 17),  # the id inside the brackets
        ("analysis.globals.iso_cut", codes.BAD_OVERRIDE, 1),  # no '='
        ("analysis.globals.iso_cut.deeper=1", codes.BAD_OVERRIDE, 26),  # below a plain value
        ("analysis.stages[9].op=hep.hist", codes.BAD_OVERRIDE, 17),
        ("analysis.stages[MuonPt].params.storage=weird", codes.PARAM_VALUE, 40),  # the value's column
        ("analysis.stages[MuonPt].params.axes=5", codes.PARAM_TYPE, 37),  # a type error at the value
        ("analysis.stages[Dimuon].params.selection.dimuon=[NMuon >= = 2]", codes.EXPR_SYNTAX, 59),
    ],
)
def test_mistakes_are_reported_at_their_column(override: str, code: codes.Code, col: int) -> None:
    found = [
        (d.code, d.span.file, d.span.start.line, d.span.start.col + 1) for d in compiled(override).diagnostics
    ]
    assert (code, "<override 1>", 0, col) in found, found
    messages = [d.message for d in compiled(override).diagnostics if d.code is code]
    assert all(code.follows_template(m) for m in messages), messages  # the words document/codes.py gives


def test_the_file_is_not_blamed_for_an_override() -> None:
    diags = compiled("analysis.stages[MuonPt].params.storage=weird").diagnostics
    assert all(d.span.file == "<override 1>" for d in diags if d.severity.label == "error")


def test_second_override_is_numbered(tmp_path: Path) -> None:
    diags = compiled("analysis.globals.iso_cut=0.2", "analysis.stages[X].id=Y").diagnostics
    assert [d.span.file for d in diags] == ["<override 2>"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fasthep_flow", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_cli_check_reports_the_override_place(tmp_path: Path) -> None:
    (tmp_path / "wf.flow.yaml").write_text(WF, encoding="utf-8")
    done = cli("check", "wf.flow.yaml", "--set", "analysis.stages[MuonPt].params.storage=weird", cwd=tmp_path)
    assert done.returncode == 1
    assert "<override 1>:1:40: error[FF107]" in done.stdout, done.stdout


def test_run_records_its_overrides_and_uses_them(tmp_path: Path) -> None:
    (tmp_path / "wf.flow.yaml").write_text(WF, encoding="utf-8")
    done = cli(
        "run",
        "wf.flow.yaml",
        "analysis.stages[Dimuon].params.selection.dimuon=[NMuon >= 3]",
        "--set",
        "data.datasets[data].eventtype=mc",
        "--outdir",
        "out",
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert record["options"]["overrides"] == [
        "analysis.stages[Dimuon].params.selection.dimuon=[NMuon >= 3]",
        "data.datasets[data].eventtype=mc",
    ]
    cutflow = json.loads((tmp_path / "out" / "cutflows" / "Dimuon.json").read_text(encoding="utf-8"))
    assert "NMuon >= 3" in json.dumps(cutflow)
