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
