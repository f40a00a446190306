"""Relative input paths: the project root first (upstream's rule), then the workflow's folder, with FF141
when the choice matters — in `check` and in the editor alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, compile_file
from fasthep_flow.document.input_paths import resolve_input
from fasthep_flow.service import Context, Document, diagnose, path_to_uri

WORKFLOW = """\
version: 1.0
data:
  datasets:
    - {name: zz, files: [data/x.root]}
sources:
  events: {kind: root_tree, tree: events, branches: [NMuon]}
analysis:
  stages:
    - {id: Sel, op: hep.selection.flag, params: {selection: ["NMuon >= 1"]}}
"""
OPTIONS = CompileOptions(check_inputs=False)


def _layout(tmp_path: Path, *, beside: bool, at_root: bool) -> tuple[Path, Path]:
    """A project root and, inside it, `analysis/wf.yaml`; `data/x.root` under the root and/or beside it."""
    root, folder = tmp_path / "project", tmp_path / "project" / "analysis"
    folder.mkdir(parents=True)
    for base, wanted in ((root, at_root), (folder, beside)):
        if wanted:
            (base / "data").mkdir()
            (base / "data" / "x.root").write_bytes(f"{base.name}".encode())
    wf = folder / "wf.yaml"
    wf.write_text(WORKFLOW, encoding="utf-8")
    return root, wf


def _files(result) -> list[str]:  # type: ignore[no-untyped-def]
    plan = result.plan
    assert plan is not None
    return [f for d in plan.datasets for f in d.files]


def test_root_relative_path_is_found_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, wf = _layout(tmp_path, beside=False, at_root=True)
    monkeypatch.chdir(root)
    result = compile_file(wf, OPTIONS)
    assert [d.code.id for d in result.diagnostics] == []
    assert _files(result) == [str((root / "data" / "x.root").resolve())]


def test_path_found_only_beside_the_workflow_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, wf = _layout(tmp_path, beside=True, at_root=False)
    monkeypatch.chdir(root)
    result = compile_file(wf, OPTIONS)
    found = [(d.code.id, d.severity.label, d.span.start.line, d.span.start.col) for d in result.diagnostics]
    assert found == [("FF141", "warning", 3, 25)]
    assert str(wf.parent / "data" / "x.root") in result.diagnostics[0].message
    assert _files(result) == [str((wf.parent / "data" / "x.root").resolve())]


def test_path_in_both_places_uses_the_root_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, wf = _layout(tmp_path, beside=True, at_root=True)
    monkeypatch.chdir(root)
    result = compile_file(wf, OPTIONS)
    assert [d.code.id for d in result.diagnostics] == ["FF141"]
    assert "project root" in result.diagnostics[0].message
    assert _files(result) == [str((root / "data" / "x.root").resolve())]


def test_same_file_reached_twice_is_not_worth_a_warning(tmp_path: Path) -> None:
    (tmp_path / "x.root").write_bytes(b"x")
    assert resolve_input("x.root", tmp_path, tmp_path).note is None
    assert resolve_input("root://host//x.root", tmp_path).path == "root://host//x.root"


def test_editor_resolves_against_its_workspace_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The language server passes the workspace folder as the project root: same answer as `check` there."""
    root, wf = _layout(tmp_path, beside=True, at_root=False)
    monkeypatch.chdir(tmp_path)  # the server's own working directory is elsewhere
    doc = Document(path_to_uri(str(wf)), wf.read_text(encoding="utf-8"))
    ctx = Context(settings=Context().settings, project_root=root)
    got = [
        (d.code.id, d.span.start.line, d.span.start.col) for d in diagnose(doc, ctx) if d.code.id == "FF141"
    ]
    assert got == [("FF141", 3, 25)]
    monkeypatch.chdir(root)
    cli = compile_file(wf, CompileOptions(check_inputs=True))
    assert [
        (d.code.id, d.span.start.line, d.span.start.col) for d in cli.diagnostics if d.code.id == "FF141"
    ] == got
