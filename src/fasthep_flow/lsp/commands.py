"""Commands behind the code lenses: ``fasthep-flow.runPlan`` and ``fasthep-flow.previewPlan``.

"Run plan" runs in a worker thread and reports cancellable work-done progress (partitions done/total,
events) from the runtime's progress events. Cancelling it — ``window/workDoneProgress/cancel`` on its token
or ``$/cancelRequest`` on the command — stops the executor (no new partition starts, nothing is promoted into
the output folder), and the progress always ends, whatever happened.

"Preview plan" answers with the plan (JSON and Mermaid) for the VS Code webview and, for every other client,
writes the plan as a Markdown document (a text graph and the Mermaid source) to a temporary file and asks the
client to show it (``window/showDocument``). Errors reach the client as a message, never as a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability

from fasthep_flow import service
from fasthep_flow.lsp.server import FlowServer  # evaluated at run time: pygls reads command annotations
from fasthep_flow.service.document import Document, uri_to_path

log = logging.getLogger(__name__)


class _Unreadable(Exception):
    """The command names a document that is neither open nor readable: said to the user in one line."""


def _document(ls: FlowServer, uri: str) -> tuple[Document, service.Context]:
    if uri in ls.open_uris():
        return ls.snapshot(uri)
    try:
        text = Path(uri_to_path(uri)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Unreadable(
            f"cannot read '{uri_to_path(uri)}': {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return Document(uri, text, 0), ls.ctx


def _progress_supported(ls: FlowServer) -> bool:
    return bool(get_capability(ls.client_capabilities, "window.work_done_progress", False))


def _show_document_supported(ls: FlowServer) -> bool:
    return bool(get_capability(ls.client_capabilities, "window.show_document.support", False))


class _Progress:
    """Forwards the runtime's events (from a worker thread) as ``$/progress`` reports on the event loop."""

    def __init__(
        self, ls: FlowServer, token: types.ProgressToken | None, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.ls, self.token, self.loop = ls, token, loop

    def __call__(self, event: Any) -> None:
        from fasthep_flow.runtime.progress import PartitionDone

        if self.token is None or not isinstance(event, PartitionDone):
            return
        pct = int(100 * event.done / event.total) if event.total else None
        message = f"{event.done}/{event.total} partitions, {event.events:,} events"
        value = types.WorkDoneProgressReport(message=message, percentage=pct, cancellable=True)
        self.loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, value)


async def _begin(ls: FlowServer, uri: str, title: str, cancel: threading.Event) -> types.ProgressToken | None:
    """The progress token (the client's, or one created here), begun as cancellable; cancelling it sets
    ``cancel``."""
    token: types.ProgressToken | None = ls.work_done_tokens.pop((service.RUN_PLAN, uri), None)
    if token is None and _progress_supported(ls):
        token = f"fasthep-flow-run-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:  # the client refused the token: run without progress
            log.warning("the client refused a progress token; running without progress")
            return None
    if token is None:
        return None
    ls.work_done_progress.begin(
        token, types.WorkDoneProgressBegin(title=title, percentage=0, cancellable=True)
    )
    future = ls.work_done_progress.tokens.get(token)
    if future is not None:
        future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
    return token


def _end(ls: FlowServer, token: types.ProgressToken | None, message: str) -> None:
    if token is None:
        return
    ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
    ls.work_done_progress.tokens.pop(token, None)


def register(server: FlowServer) -> None:
    @server.command(service.RUN_PLAN)
    async def run_plan(ls: FlowServer, *args: Any) -> dict[str, Any]:
        """Arguments: the document URI, and optionally a stage id ("Run to here")."""
        if not args or not isinstance(args[0], str):
            return {"ok": False, "message": "runPlan needs the workflow's URI"}
        uri = args[0]
        stage = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        cancel = threading.Event()
        request = ls.command_requests.pop((service.RUN_PLAN, uri), None)
        if request is not None:  # $/cancelRequest cancels this future (pygls does not stop the handler)
            request.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
        token = await _begin(ls, uri, f"Run to {stage}" if stage else "Run plan", cancel)
        report = service.RunReport(False, "Run failed")
        try:
            doc, ctx = _document(ls, uri)
            progress = _Progress(ls, token, asyncio.get_running_loop())
            work = asyncio.get_running_loop().run_in_executor(
                ls.thread_pool, functools.partial(service.run_plan, doc, ctx, stage, progress, None, cancel)
            )
            try:
                report = await asyncio.shield(work)
            except asyncio.CancelledError:  # $/cancelRequest: stop the workers, then answer "cancelled"
                cancel.set()
                report = await work
                raise
        except _Unreadable as exc:
            report = service.RunReport(False, f"Run failed: {exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("runPlan failed")
            report = service.RunReport(False, f"Run failed: {exc}")
        finally:
            _end(ls, token, report.message)
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info if report.ok else types.MessageType.Error,
                    message=report.message,
                )
            )
        return report.to_json()

    @server.command(service.PREVIEW_PLAN)
    async def preview_plan(ls: FlowServer, *args: Any) -> dict[str, Any]:
        """Argument: the document URI. Returns ``{ok, mermaid, plan, problems}`` (and ``document``, the URI of
        the preview shown with ``window/showDocument``)."""
        if not args or not isinstance(args[0], str):
            return {
                "ok": False,
                "mermaid": "",
                "plan": {},
                "problems": ["previewPlan needs the workflow's URI"],
            }
        uri = args[0]
        try:
            doc, ctx = _document(ls, uri)
            preview = await asyncio.get_running_loop().run_in_executor(
                ls.thread_pool, service.preview_plan, doc, ctx
            )
        except _Unreadable as exc:
            return {"ok": False, "mermaid": "", "plan": {}, "problems": [str(exc)]}
        except Exception as exc:
            log.exception("previewPlan failed")
            return {"ok": False, "mermaid": "", "plan": {}, "problems": [f"internal error: {exc}"]}
        answer = preview.to_json()
        if ls.preview_document and _show_document_supported(ls):
            target = _write_preview(doc, preview)
            if target is not None:
                answer["document"] = target.as_uri()
                await _show(ls, target)
        return answer


def _write_preview(doc: Document, preview: service.PlanPreview) -> Path | None:
    """The preview as a Markdown file in the temporary folder (never beside the workflow)."""
    folder = Path(tempfile.gettempdir()) / "fasthep-flow-preview"
    name = Path(doc.path).name or "workflow"
    try:
        folder.mkdir(exist_ok=True)
        target = folder / f"{Path(name).stem}.plan.md"
        target.write_text(preview.markdown(name), encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the plan preview: %s", exc)
        return None
    return target


async def _show(ls: FlowServer, target: Path) -> None:
    try:
        await ls.window_show_document_async(types.ShowDocumentParams(uri=target.as_uri(), take_focus=True))
    except Exception as exc:  # a client that fails to open it still has the JSON answer
        log.warning("window/showDocument failed: %s", exc)
