"""Answers over the protocol (issue 13): rename across an include, rename onto a taken name refused with the
reason, `keep` typos diagnosed in the editor."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_session import WORKFLOW, Session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

STYLES = "styles:\n  muon_pt: {op: hep.render.hist1d}\n"
MAIN = (
    WORKFLOW.replace("version: 1.0\n", "version: 1.0\ninclude: [styles.yaml]\n")
    + "      render: {style: muon_pt, out: pt.png}\n"
)


async def test_rename_a_style_from_its_definition_in_the_included_file(
    vscode: Session, tmp_path: Path
) -> None:
    styles = tmp_path / "styles.yaml"
    styles.write_text(STYLES, encoding="utf-8")
    main_uri = vscode.open(tmp_path / "workflow.yaml", MAIN)
    assert await vscode.diagnostics(main_uri, 1) == []
    styles_uri = vscode.open(styles, STYLES)
    await asyncio.sleep(0.3)
    edit = await vscode.client.text_document_rename_async(
        types.RenameParams(
            text_document=types.TextDocumentIdentifier(styles_uri),
            position=types.Position(1, 4),
            new_name="pt_plot",
        )
    )
    assert edit is not None and edit.changes is not None
    assert set(edit.changes) == {styles_uri, main_uri}
    [use] = edit.changes[main_uri]
    line = MAIN.splitlines()[use.range.start.line]
    assert (
        line[use.range.start.character : use.range.end.character] == "muon_pt" and use.new_text == "pt_plot"
    )


async def test_rename_onto_a_taken_stage_id_is_refused_with_the_reason(
    vscode: Session, tmp_path: Path
) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    line = WORKFLOW[: WORKFLOW.index("- id: Baseline")].count("\n")
    with pytest.raises(JsonRpcException) as refused:
        await vscode.client.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(line, 12),
                new_name="MuonVars",
            )
        )
    assert "'MuonVars' is already the name of a stage" in str(refused.value)


async def test_a_typo_in_an_output_keep_is_diagnosed(session: Session, tmp_path: Path) -> None:
    text = (
        WORKFLOW.replace(
            "analysis:\n",
            "outputs:\n  skim: {kind: root_tree, path: skim.root, keep: [Muon_Ptt]}\nanalysis:\n",
        )
        + "      write: {output: skim}\n"
    )
    uri = session.open(tmp_path / "w.flow.yaml", text)
    items = await session.diagnostics(uri, 1)
    assert [(d.code, d.range.start.line) for d in items] == [("FF303", 4)]
    assert "did you mean 'Muon_Pt'?" in items[0].message


def _absolute(data: list[int]) -> list[tuple[int, int, int, int]]:
    out, line, col = [], 0, 0
    for i in range(0, len(data), 5):
        d_line, d_col, length, kind = data[i : i + 4]
        line += d_line
        col = col + d_col if d_line == 0 else d_col
        out.append((line, col, length, kind))
    return out


async def test_semantic_tokens_for_a_range_are_those_of_the_full_answer_on_its_lines(
    vscode: Session, tmp_path: Path
) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    assert vscode.result.capabilities.semantic_tokens_provider is not None
    doc = types.TextDocumentIdentifier(uri)
    full = await vscode.client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(doc))
    first = WORKFLOW[: WORKFLOW.index("selection:")].count("\n")
    window = types.Range(types.Position(first, 0), types.Position(first + 5, 0))
    part = await vscode.client.text_document_semantic_tokens_range_async(
        types.SemanticTokensRangeParams(doc, window)
    )
    assert full is not None and part is not None
    whole = _absolute(full.data)
    in_range = [t for t in whole if first <= t[0] <= first + 5]
    assert in_range and _absolute(part.data) == in_range
    assert len(in_range) < len(whole)


# --- the rest of issue 13's "wrong or missing answers", each over the protocol --------------------------------

KEEP = WORKFLOW.replace(
    "analysis:\n", "outputs:\n  skim: {kind: root_tree, path: skim.root, keep: [Muon_Pt, NMuon]}\nanalysis:\n"
).replace(
    '          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}\n',
    '          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}\n'
    '          - {name: Muon_P2, expr: "Muon_Pt ** 2"}\n'
    "      write: {output: skim}\n",
)


def _at(text: str, marker: str = "|") -> tuple[str, types.Position]:
    """``text`` without the marker, and the marker's position (ASCII text: columns are the same in every
    encoding)."""
    index = text.index(marker)
    before = text[:index]
    return text[:index] + text[index + len(marker) :], types.Position(
        before.count("\n"), index - (before.rfind("\n") + 1)
    )


async def _labels(session: Session, uri: str, pos: types.Position) -> list[str]:
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), pos)
    )
    items = result.items if isinstance(result, types.CompletionList) else result or []
    return [i.label for i in items]


async def test_renaming_a_field_renames_it_in_keep_too(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", KEEP)
    assert await vscode.diagnostics(uri, 1) == []
    line = KEEP.splitlines().index('          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}')
    edit = await vscode.client.text_document_rename_async(
        types.RenameParams(types.TextDocumentIdentifier(uri), types.Position(line, 20), "MuonPT")
    )
    assert edit is not None and edit.changes is not None
    keep_line = KEEP.splitlines().index("  skim: {kind: root_tree, path: skim.root, keep: [Muon_Pt, NMuon]}")
    assert keep_line in {e.range.start.line for e in edit.changes[uri]}


async def test_keep_entries_complete_and_reference_fields(vscode: Session, tmp_path: Path) -> None:
    text, pos = _at(KEEP.replace("keep: [Muon_Pt, NMuon]", "keep: [Muon_Pt, Mu|]"))
    uri = vscode.open(tmp_path / "w.flow.yaml", text)
    labels = await _labels(vscode, uri, pos)
    assert "Muon_P2" in labels and "Muon_Px" in labels
    text, pos = _at(KEEP.replace("keep: [Muon_Pt,", "keep: [Muon|_Pt,"))
    vscode.change(uri, 2, text)
    await vscode.diagnostics(uri, 2)
    refs = await vscode.client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True),
            text_document=types.TextDocumentIdentifier(uri),
            position=pos,
        )
    )
    lines = {r.range.start.line for r in refs or []}
    defined = text.splitlines().index(
        '          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}'
    )
    assert {pos.line, defined} <= lines


async def test_completion_leaves_out_what_would_be_an_error_at_once(vscode: Session, tmp_path: Path) -> None:
    own, pos = _at(KEEP.replace('"Muon_Pt ** 2"', '"Muon_Pt ** 2 + Muon_P|"'))
    uri = vscode.open(tmp_path / "own.flow.yaml", own)
    labels = await _labels(vscode, uri, pos)
    assert "Muon_Pt" in labels and "Muon_P2" not in labels  # a variable inside its own expression
    flag, pos = _at(
        WORKFLOW.replace(
            'selection: {dimuon: ["NMuon >= 2"]}', 'selection: {dimuon: ["NMuon >= 2", "Base|"]}'
        )
    )
    uri = vscode.open(tmp_path / "flag.flow.yaml", flag)
    assert "Baseline.dimuon" not in await _labels(vscode, uri, pos)  # a cutflow's own flag
    cycle, pos = _at(WORKFLOW.replace("    - id: MuonVars\n", "    - id: MuonVars\n      needs: [|]\n"))
    uri = vscode.open(tmp_path / "cycle.flow.yaml", cycle)
    assert "MuonPt" not in await _labels(vscode, uri, pos)  # MuonPt needs Baseline, which follows MuonVars
    assert "Baseline" not in await _labels(vscode, uri, pos)


async def test_an_unknown_op_gives_one_error_not_one_per_field(session: Session, tmp_path: Path) -> None:
    text = WORKFLOW.replace("op: hep.define", "op: hep.defin")
    uri = session.open(tmp_path / "w.flow.yaml", text)
    items = await session.diagnostics(uri, 1)
    op_line = text.splitlines().index("      op: hep.defin")
    assert [(d.code, d.range.start.line) for d in items] == [("FF101", op_line)]


DATA = Path(__file__).resolve().parents[1] / "data"
INCLUDING = """\
version: 1.0
include: [datasets.yaml]
sources:
  events: {kind: root_tree, tree: event}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: x, expr: "NMuon * 2"}
"""


async def test_an_included_files_warning_is_shown_in_the_including_file(
    session: Session, tmp_path: Path
) -> None:
    datasets = tmp_path / "datasets.yaml"
    datasets.write_text(
        f"data:\n  datasets:\n    - {{name: hzz, files: [{DATA / 'uproot-HZZ.root'}]}}\n", encoding="utf-8"
    )
    uri = session.open(tmp_path / "workflow.yaml", INCLUDING)
    items = await session.diagnostics(uri, 1)
    assert [(d.code, d.severity, d.range.start.line) for d in items] == [
        ("FF005", types.DiagnosticSeverity.Warning, 1)
    ]
    [related] = items[0].related_information or []
    assert related.location.uri == datasets.as_uri() and "FF306" in related.message
