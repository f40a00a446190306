"""End-to-end: the real server over stdio, with the capabilities of VS Code, Neovim 0.7 (push) and 0.11 (pull)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsp_session import WORKFLOW, Session, client_col
from lsprotocol import types

BROKEN = WORKFLOW.replace("op: hep.hist", "op: hep.hsit")


def _line(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n")


async def test_diagnostics_arrive_once_by_push_or_by_pull(session: Session, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "w.flow.yaml", BROKEN)
    items = await session.diagnostics(uri, 1)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in items] == [
        ("FF101", _line(BROKEN, "op: hep.hsit"), 10)
    ]
    d = items[0]
    assert d.source == "fasthep-flow" and "did you mean 'hep.hist'?" in d.message
    assert d.code_description is not None and d.code_description.href.endswith("#ff101")
    await asyncio.sleep(0.5)
    if session.pull:
        assert session.result.capabilities.diagnostic_provider is not None
        assert session.published == []  # a pull client must receive nothing pushed
    else:
        assert session.result.capabilities.diagnostic_provider is None
        assert [p.version for p in session.published if p.uri == uri] == [1]


async def test_fast_typing_publishes_only_the_last_version(session: Session, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "w.flow.yaml", WORKFLOW)
    assert await session.diagnostics(uri, 1) == []
    texts = [WORKFLOW.replace("op: hep.hist", "op: hep.h" + "x" * k) for k in range(1, 7)]
    texts.append(BROKEN)
    for version, text in enumerate(texts, start=2):
        session.change(uri, version, text)
    last = len(texts) + 1
    items = await session.diagnostics(uri, last)
    assert [d.code for d in items] == ["FF101"] and "hep.hsit" in items[0].message
    await asyncio.sleep(0.6)  # a stale computation finishing late must not overwrite it
    if not session.pull:
        versions = [p.version for p in session.published if p.uri == uri]
        assert versions[-1] == last
        assert versions == sorted(versions)
        assert versions.count(last) == 1


async def test_positions_are_in_the_negotiated_encoding(session: Session, tmp_path: Path) -> None:
    text = WORKFLOW.replace('"NMuon >= 2"', '{label: "é😋", expr: "NMuon >= = 2"}')
    uri = session.open(tmp_path / "w.flow.yaml", text)
    items = await session.diagnostics(uri, 1)
    line_no = _line(text, '"é😋"')
    line = text.splitlines()[line_no]
    col = line.index("= 2")
    assert [(d.code, d.range.start.line, d.range.start.character) for d in items] == [
        ("FF201", line_no, client_col(line, col, session.encoding))
    ]
    if session.encoding == "utf-16":
        assert items[0].range.start.character == col + 1  # 😋 is two UTF-16 units


async def test_editing_an_included_file_rediagnoses_its_includer(session: Session, tmp_path: Path) -> None:
    data = tmp_path / "datasets.yaml"
    data_text = "data:\n  datasets:\n    - {name: dy, nevents: 100}\n"
    data.write_text(data_text)
    main = "include: [datasets.yaml]\n" + WORKFLOW
    uri = session.open(tmp_path / "w.flow.yaml", main)
    assert await session.diagnostics(uri, 1) == []
    data_uri = session.open(data, data_text)
    await asyncio.sleep(0.3)
    session.change(data_uri, 2, "data:\n  datasets:\n    - {name: dy, nevents: 100\n")  # unclosed
    if session.pull:  # the client is told to pull again (Neovim 0.11, which cannot be told, is pushed to)
        async with asyncio.timeout(10):
            while session.refreshes == 0:
                await asyncio.sleep(0.02)
        items = await session.diagnostics(uri, 1)
        own = await session.diagnostics(data_uri, 2)
    else:
        async with asyncio.timeout(10):
            while not (mine := [p for p in session.published if p.uri == uri]) or not mine[-1].diagnostics:
                await asyncio.sleep(0.02)
        items = list(mine[-1].diagnostics)
        own = await session.diagnostics(data_uri, 2)
    assert [d.code for d in own] == ["FF001"]  # the included file shows its own problem, in context
    assert [d.code for d in items] == ["FF005"]
    assert items[0].related_information and items[0].related_information[0].location.uri == data_uri


async def test_completion_items_carry_their_replace_range(session: Session, tmp_path: Path) -> None:
    text = WORKFLOW + "    - id: Flag\n      needs: [Bas\n"
    uri = session.open(tmp_path / "w.flow.yaml", text)
    line = text.count("\n") - 1
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, 17)
        )
    )
    assert result is not None
    items = result.items if isinstance(result, types.CompletionList) else result
    assert [i.label for i in items] == ["Baseline"]
    edit = items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    assert (edit.range.start.character, edit.range.end.character, edit.new_text) == (14, 17, "Baseline")


async def test_hover_definition_and_references(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    doc = types.TextDocumentIdentifier(uri)
    line = _line(WORKFLOW, "source: Muon_Pt")
    col = WORKFLOW.splitlines()[line].index("Muon_Pt") + 2
    hover = await vscode.client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=types.Position(line, col))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "defined in stage `MuonVars`" in hover.contents.value
    found = await vscode.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=types.Position(line, col))
    )
    assert isinstance(found, list) and len(found) == 1
    def_line = _line(WORKFLOW, "{name: Muon_Pt")
    assert found[0].uri == uri and found[0].range.start.line == def_line
    refs = await vscode.client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc,
            position=types.Position(line, col),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None and sorted(r.range.start.line for r in refs) == [def_line, line]


async def test_prepare_rename_and_rename(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    doc = types.TextDocumentIdentifier(uri)
    line = _line(WORKFLOW, "needs: [Baseline]")
    pos = types.Position(line, 17)
    prepared = await vscode.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc, position=pos)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder) and prepared.placeholder == "Baseline"
    edit = await vscode.client.text_document_rename_async(
        types.RenameParams(text_document=doc, position=pos, new_name="Preselection")
    )
    assert edit is not None and edit.changes is not None
    lines = sorted(e.range.start.line for e in edit.changes[uri])
    assert lines == [_line(WORKFLOW, "- id: Baseline"), line]
    branch_line = _line(WORKFLOW, "sqrt(Muon_Px")
    col = WORKFLOW.splitlines()[branch_line].index("Muon_Px")
    refused = None
    try:
        await vscode.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=doc, position=types.Position(branch_line, col + 1))
        )
    except Exception as exc:  # the server answers RequestFailed with the reason
        refused = str(exc)
    assert refused is not None and "branch of the input file" in refused


async def test_outline_folding_tokens_links_lenses(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    doc = types.TextDocumentIdentifier(uri)
    symbols = await vscode.client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names == ["version", "sources", "analysis"]
    folds = await vscode.client.text_document_folding_range_async(types.FoldingRangeParams(doc))
    assert folds is not None and any(f.start_line == _line(WORKFLOW, "analysis:") for f in folds)
    tokens = await vscode.client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(doc))
    assert tokens is not None
    legend = vscode.result.capabilities.semantic_tokens_provider.legend.token_types  # type: ignore[union-attr]
    first = list(tokens.data[:5])
    line = _line(WORKFLOW, "sqrt(")
    assert first == [line, WORKFLOW.splitlines()[line].index("sqrt"), 4, legend.index("function"), 0]
    lenses = await vscode.client.text_document_code_lens_async(types.CodeLensParams(doc))
    assert lenses is not None
    titles = [(lens.range.start.line, lens.command.title) for lens in lenses if lens.command]
    assert (0, "▶ Run plan") in titles and (0, "Preview plan") in titles
    assert (_line(WORKFLOW, "- id: Baseline"), "▶ Run to here") in titles


async def test_quick_fix_code_action(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", BROKEN)
    items = await vscode.diagnostics(uri, 1)
    actions = await vscode.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=items[0].range,
            context=types.CodeActionContext(diagnostics=items),
        )
    )
    assert actions is not None
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and "hep.hist" in a.title)
    assert fix.edit is not None and fix.edit.changes is not None
    [edit] = fix.edit.changes[uri]
    assert edit.new_text == "hep.hist" and edit.range == items[0].range


async def test_preview_plan_command(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    result = await vscode.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.previewPlan", arguments=[uri])
    )
    assert result["ok"] and result["mermaid"].startswith("flowchart")
    assert any(n["id"] == "stage.MuonPt" for n in result["plan"]["nodes"])


async def test_a_failing_request_is_answered_and_the_server_keeps_serving(
    vscode: Session, tmp_path: Path
) -> None:
    missing = (tmp_path / "never-opened.flow.yaml").as_uri()
    hover = await vscode.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(missing), position=types.Position(0, 0))
    )
    assert hover is None
    vscode.change(missing, 2, "x")  # a notification that fails inside the server
    await asyncio.sleep(0.3)
    uri = vscode.open(tmp_path / "w.flow.yaml", BROKEN)
    assert [d.code for d in await vscode.diagnostics(uri, 1)] == ["FF101"]
    assert vscode.client.messages == []  # no error popped at the user


async def test_run_plan_command_reports_progress_and_a_summary(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    result = await vscode.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri])
    )
    outdir = tmp_path / "fasthep-output" / "w"
    assert result["ok"], result
    assert result["outdir"] == str(outdir) and (outdir / "run.json").exists()
    [(token, reports)] = list(vscode.client.progress_reports.items())
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == "Run plan"
    partial = [r for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert partial and partial[-1].message is not None and "partitions" in partial[-1].message
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and str(outdir) in (reports[-1].message or "")
    assert any(str(outdir) in m.message for m in vscode.client.messages)
    del token


async def test_run_to_here_runs_only_what_the_stage_needs(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    result = await vscode.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri, "MuonVars"])
    )
    assert result["ok"] and "up to stage 'MuonVars'" in result["message"]
    broken = vscode.open(tmp_path / "b.flow.yaml", BROKEN)
    refused = await vscode.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[broken])
    )
    assert not refused["ok"] and any("FF101" in e for e in refused["errors"])


async def test_run_plan_reports_on_the_clients_own_token(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", WORKFLOW)
    vscode.client.progress_reports["mine"] = []  # the client made this token (as VS Code does)
    result = await vscode.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri], work_done_token="mine")
    )
    assert result["ok"]
    assert list(vscode.client.progress_reports) == ["mine"]  # no second token created
    kinds = [type(r).__name__ for r in vscode.client.progress_reports["mine"]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


async def test_inlay_hints_and_branch_hover_from_the_input_files_metadata(
    vscode: Session, tmp_path: Path, root_file: Path
) -> None:
    text = f"""\
version: 1.0
data:
  datasets:
    - {{name: dy, files: [{root_file}]}}
sources:
  events: {{kind: root_tree, tree: events}}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {{name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}}
          - {{name: Bad, expr: "NMuon[:, 0]"}}
"""
    uri = vscode.open(tmp_path / "w.flow.yaml", text)
    doc = types.TextDocumentIdentifier(uri)
    # The file's metadata types NMuon as one number per event: indexing it is FF205 at the expression.
    bad = _line(text, "{name: Bad")
    got_diagnostics = await vscode.diagnostics(uri, 1)
    assert [(d.code, d.range.start.line) for d in got_diagnostics] == [("FF205", bad)]
    end = types.Position(len(text.splitlines()), 0)
    hints = await vscode.client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc, range=types.Range(types.Position(0, 0), end))
    )
    assert hints is not None
    line = _line(text, "{name: Muon_Pt")
    got = [(h.position.line, h.position.character, h.label) for h in hints]
    assert got[0] == (line, len("          - {name: Muon_Pt"), ": var * float32")
    assert got[1][2] == ": ⚠ type error"
    col = text.splitlines()[line].index("Muon_Px") + 1
    hover = await vscode.client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=types.Position(line, col))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "branch of root_tree `events`" in hover.contents.value and "var * float32" in hover.contents.value


async def test_problems_in_an_unopened_included_file_are_shown_there(vscode: Session, tmp_path: Path) -> None:
    data = tmp_path / "datasets.yaml"
    data.write_text("data:\n  datasets:\n    - {name: dy, nevents: 100}\nsourcez: {}\n")
    uri = vscode.open(tmp_path / "w.flow.yaml", "include: [datasets.yaml]\n" + WORKFLOW)
    await vscode.diagnostics(uri, 1)
    shown = [p for p in vscode.published if p.uri == data.as_uri()]
    assert shown and [(d.code, d.range.start.line) for d in shown[-1].diagnostics] == [("FF102", 3)]
    vscode.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    async with asyncio.timeout(10):
        while [p for p in vscode.published if p.uri == data.as_uri()][-1].diagnostics:
            await asyncio.sleep(0.02)
