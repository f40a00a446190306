"""Input files checked at compile time: listed branches against a real ROOT file (FF305), unreadable files (FF306).

Static fixtures cannot hold a ROOT file, so each test writes a small one with uproot into ``tmp_path`` and a
workflow beside it; ``‸`` marks in the workflow text where each diagnostic must start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, CompileResult, compile_file
from fasthep_flow.document import Pos, Severity

MARK = "‸"

WORKFLOW = """\
version: 1.0
data:
  datasets:
    - {{name: dy, files: [{files}]}}
sources:
{source}
analysis:
  stages:
{stages}
"""
HIST_NMUON = """\
    - id: NMuonHist
      op: hep.hist
      params:
        axes: [{name: n, source: NMuon, type: int}]
"""


@pytest.fixture(autouse=True)
def _project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the workflow's folder, the project root where relative paths resolve without FF141."""
    monkeypatch.chdir(tmp_path)


def _strip_marks(text: str) -> tuple[str, list[Pos]]:
    lines, marks = [], []
    for n, line in enumerate(text.split("\n")):
        while MARK in line:
            col = line.index(MARK)
            marks.append(Pos(n, col))
            line = line[:col] + line[col + len(MARK) :]
        lines.append(line)
    return "\n".join(lines), marks


def _write_root(path: Path, fmt: str) -> None:
    """A 3-event file with a flat int, a flat float and a jagged float branch, as a TTree or an RNTuple."""
    import awkward as ak
    import numpy as np
    import uproot

    data = {
        "NMuon": np.array([1, 2, 0], dtype=np.int32),
        "EventWeight": np.array([1.0, 0.5, 2.0]),
        "Muon_Px": ak.Array([[10.0], [20.0, -5.0], []]),
    }
    with uproot.recreate(path) as f:
        if fmt == "ttree":
            f.mktree("events", {"NMuon": np.int32, "EventWeight": np.float64, "Muon_Px": "var * float64"})
            f["events"].extend(data)
        else:
            f["events"] = data  # uproot writes an RNTuple by default


def _compile(tmp_path: Path, text: str, check_inputs: bool = True) -> tuple[CompileResult, list[Pos], Path]:
    clean, marks = _strip_marks(text)
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(clean, encoding="utf-8")
    return compile_file(wf, CompileOptions(trust=False, check_inputs=check_inputs)), marks, wf


def _found(result: CompileResult, code: str) -> list[Pos]:
    return sorted(d.span.start for d in result.diagnostics if d.code.id == code)


@pytest.fixture(params=["ttree", "rntuple"])
def root_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """DESIGN §2.1: `root_tree` reads TTrees and RNTuples; every branch test runs on both."""
    path = tmp_path / "dy.root"
    _write_root(path, request.param)
    return path


BRANCH_LISTS = {
    "flow-list": "  events: {kind: root_tree, tree: events, branches: [NMuon, EventWeight, ‸Muon_Pxx]}",
    "block-list": "  events:\n    kind: root_tree\n    tree: events\n    branches:\n      - NMuon\n      - ‸Muon_Pxx\n",
    "quoted": '  events: {kind: root_tree, tree: events, branches: ["NMuon", ‸"Muon_Py"]}',
    "two-missing": "  events: {kind: root_tree, tree: events, branches: [‸Muon_Pz, NMuon, ‸Muon_E]}",
}


@pytest.mark.parametrize("source", BRANCH_LISTS.values(), ids=BRANCH_LISTS.keys())
def test_listed_branch_missing_from_file(tmp_path: Path, root_file: Path, source: str) -> None:
    result, marks, _ = _compile(tmp_path, WORKFLOW.format(files="dy.root", source=source, stages=HIST_NMUON))
    assert _found(result, "FF305") == marks
    assert all(d.severity is Severity.ERROR for d in result.diagnostics if d.code.id == "FF305")
    assert {d.code.id for d in result.diagnostics} == {"FF305"}
    assert result.plan is None


def test_missing_branch_suggests_the_real_one(tmp_path: Path, root_file: Path) -> None:
    source = "  events: {kind: root_tree, tree: events, branches: [NMuon, ‸Muon_Pxx]}"
    result, _, wf = _compile(tmp_path, WORKFLOW.format(files="dy.root", source=source, stages=HIST_NMUON))
    (diag,) = [d for d in result.diagnostics if d.code.id == "FF305"]
    assert "Muon_Pxx" in diag.message
    assert diag.hint is not None and "Muon_Px" in diag.hint
    assert Path(diag.span.file).resolve() == wf.resolve()


def test_listed_branches_present_give_no_diagnostic(tmp_path: Path, root_file: Path) -> None:
    source = "  events: {kind: root_tree, tree: events, branches: [NMuon, EventWeight, Muon_Px]}"
    result, _, _ = _compile(tmp_path, WORKFLOW.format(files="dy.root", source=source, stages=HIST_NMUON))
    assert result.diagnostics == ()
    assert result.plan is not None


def test_unlisted_branches_come_from_the_file(tmp_path: Path, root_file: Path) -> None:
    """Without `branches:` the file's branches are the source's fields: a misspelt one is unknown (FF303)."""
    source = "  events: {kind: root_tree, tree: events}"
    stages = (
        "    - id: Sel\n      op: hep.selection.flag\n      params:\n"
        '        selection: ["NMuon >= 1", "‸EventWieght > 0"]\n'
    )
    result, marks, _ = _compile(tmp_path, WORKFLOW.format(files="dy.root", source=source, stages=stages))
    assert _found(result, "FF303") == marks
    assert {d.code.id for d in result.diagnostics} == {"FF303"}


def test_no_check_inputs_opens_nothing(tmp_path: Path, root_file: Path) -> None:
    source = "  events: {kind: root_tree, tree: events, branches: [NMuon, Muon_Pxx]}"
    result, _, _ = _compile(
        tmp_path, WORKFLOW.format(files="dy.root", source=source, stages=HIST_NMUON), check_inputs=False
    )
    assert result.diagnostics == ()


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a ROOT file\x00\x01\x02" * 20)


def _wrong_tree(path: Path) -> None:
    import numpy as np
    import uproot

    with uproot.recreate(path) as f:
        f["Events"] = {"NMuon": np.array([1], dtype=np.int32)}


def _empty(path: Path) -> None:
    path.write_bytes(b"")


UNREADABLE = {"missing": None, "corrupt": _corrupt, "wrong-tree": _wrong_tree, "empty": _empty}


@pytest.mark.parametrize("make", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_input_is_a_warning_at_the_file(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    if make is not None:
        make(tmp_path / "dy.root")
    source = "  events: {kind: root_tree, tree: events, branches: [NMuon]}"
    result, marks, _ = _compile(tmp_path, WORKFLOW.format(files="‸dy.root", source=source, stages=HIST_NMUON))
    assert _found(result, "FF306") == marks
    assert [d.severity for d in result.diagnostics] == [Severity.WARNING]
    assert result.plan is not None  # a warning does not stop the plan


def test_first_readable_file_is_used(tmp_path: Path, root_file: Path) -> None:
    """A missing first file warns; the second, readable one is still checked for the listed branches."""
    source = "  events: {kind: root_tree, tree: events, branches: [NMuon, ‸Muon_Pxx]}"
    text = WORKFLOW.format(files="‸absent.root, dy.root", source=source, stages=HIST_NMUON)
    result, marks, _ = _compile(tmp_path, text)
    absent_mark, branch_mark = sorted(marks)
    assert _found(result, "FF306") == [absent_mark]
    assert _found(result, "FF305") == [branch_mark]


def test_corrupt_file_message_names_the_file(tmp_path: Path) -> None:
    _corrupt(tmp_path / "dy.root")
    source = "  events: {kind: root_tree, tree: events, branches: [NMuon]}"
    result, _, _ = _compile(tmp_path, WORKFLOW.format(files="dy.root", source=source, stages=HIST_NMUON))
    (diag,) = result.diagnostics
    assert diag.code.id == "FF306"
    assert "dy.root" in diag.message
