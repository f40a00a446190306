"""Runs and previews from the editor (issue 13): cancellable progress that always ends, cancelling stops the
run and writes nothing, "Preview plan" opens a document every client can show, no tracebacks to the client."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest_lsp
from lsp_session import SERVER, Session, start
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

LONG = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 20000000}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]
"""
"""200 partitions of 100k toy events: minutes of work, so a cancel always lands mid-run."""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def neovim_client(lsp_client: LanguageClient):
    await start(lsp_client, "neovim@v0.11.0")
    yield
    await lsp_client.shutdown_session()


async def _first_report(client: LanguageClient) -> types.ProgressToken:
    async with asyncio.timeout(60):
        while True:
            for token, reports in client.progress_reports.items():
                if any(isinstance(r, types.WorkDoneProgressReport) for r in reports):
                    return token
            await asyncio.sleep(0.02)


def _assert_cancelled(result: object, reports: list, outdir: Path) -> None:
    begin, end = reports[0], reports[-1]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable is True
    assert isinstance(end, types.WorkDoneProgressEnd) and "cancelled" in (end.message or "")
    assert sum(isinstance(r, types.WorkDoneProgressEnd) for r in reports) == 1
    assert not (outdir / "run.json").exists()  # nothing promoted into the output folder
    assert not any(p.is_file() for p in outdir.rglob("*")) if outdir.exists() else True


async def test_progress_cancel_stops_the_run_and_writes_nothing(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", LONG)
    client = vscode.client
    running = asyncio.ensure_future(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri])
        )
    )
    token = await _first_report(client)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    async with asyncio.timeout(60):
        result = await running
    assert result["ok"] is False and "cancelled" in result["message"]
    done, total = result["message"].split(" after ")[1].split(" partitions")[0].split("/")
    assert int(done) < int(total) == 200
    _assert_cancelled(result, client.progress_reports[token], tmp_path / "fasthep-output" / "w")


async def test_cancel_request_stops_the_run_and_ends_the_progress(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", LONG)
    client = vscode.client
    future = client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri]),
        msg_id="run-1",
    )
    token = await _first_report(client)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="run-1"))
    async with asyncio.timeout(60):
        while not any(isinstance(r, types.WorkDoneProgressEnd) for r in client.progress_reports[token]):
            await asyncio.sleep(0.02)
    reports = client.progress_reports[token]
    done = sum(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    await asyncio.sleep(1.0)  # workers stopped: no more reports after the end
    assert sum(isinstance(r, types.WorkDoneProgressReport) for r in client.progress_reports[token]) == done
    assert done < 200
    assert future.done()
    _assert_cancelled(None, client.progress_reports[token], tmp_path / "fasthep-output" / "w")


async def test_preview_plan_shows_a_document_in_neovim(neovim_client: LanguageClient, tmp_path: Path) -> None:
    session: Session = neovim_client.fasthep_session  # type: ignore[attr-defined]
    text = LONG.replace("20000000", "100")
    uri = session.open(tmp_path / "w.flow.yaml", text)
    result = await neovim_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.previewPlan", arguments=[uri])
    )
    assert result["ok"]
    [params] = neovim_client.shown_documents
    assert params.uri == result["document"] and params.uri.endswith(".plan.md")
    body = Path(params.uri.removeprefix("file://")).read_text(encoding="utf-8")
    assert "stage.MuonPt" in body and "<- stage.MuonVars" in body and "```mermaid\nflowchart TD" in body
    assert not (tmp_path / "w.plan.md").exists()  # never written beside the workflow


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def extension_client(lsp_client: LanguageClient):
    """VS Code with our extension's ``initializationOptions``: it shows the preview in its own webview."""

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        return None

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"trust": False, "previewDocument": False},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_the_vscode_extension_gets_no_extra_document(
    extension_client: LanguageClient, tmp_path: Path
) -> None:
    path = tmp_path / "w.flow.yaml"
    path.write_text(LONG.replace("20000000", "100"), encoding="utf-8")
    result = await extension_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.previewPlan", arguments=[path.as_uri()])
    )
    assert result["ok"] and result["mermaid"].startswith("flowchart") and "document" not in result
    assert extension_client.shown_documents == []


async def test_preview_of_an_unopened_missing_file_has_no_traceback(vscode: Session, tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere.flow.yaml").as_uri()
    for command in ("fasthep-flow.previewPlan", "fasthep-flow.runPlan"):
        result = await vscode.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[missing])
        )
        assert result["ok"] is False
        text = str(result)
        assert "cannot read" in text and "Traceback" not in text and 'File "' not in text
    # the run's progress began and, although the run never started, ended
    [reports] = list(vscode.client.progress_reports.values())
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and "cannot read" in (reports[-1].message or "")


async def test_a_run_s_progress_is_cancellable(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", LONG.replace("20000000", "100"))
    result = await vscode.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri])
    )
    assert result["ok"]
    [reports] = list(vscode.client.progress_reports.values())
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable is True
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)


async def test_a_run_that_cannot_start_still_ends_its_progress(vscode: Session, tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere.flow.yaml").as_uri()
    with contextlib.suppress(JsonRpcException):  # how the failure is answered is another test's business
        await vscode.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[missing])
        )
    [reports] = list(vscode.client.progress_reports.values())
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert sum(isinstance(r, types.WorkDoneProgressEnd) for r in reports) == 1
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)


async def test_a_cancelled_request_s_run_stops_making_progress(vscode: Session, tmp_path: Path) -> None:
    """After ``$/cancelRequest`` the workers stop: no partition is reported done a while later."""
    uri = vscode.open(tmp_path / "w.flow.yaml", LONG)
    client = vscode.client
    client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="fasthep-flow.runPlan", arguments=[uri]),
        msg_id="run-2",
    )
    token = await _first_report(client)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="run-2"))
    await asyncio.sleep(2.0)  # partitions already running may finish
    settled = len(client.progress_reports[token])
    await asyncio.sleep(3.0)
    assert len(client.progress_reports[token]) == settled
    assert not (tmp_path / "fasthep-output" / "w" / "run.json").exists()
