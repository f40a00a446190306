"""Commands behind the code lenses: ``fasthep-flow.runPlan`` and ``fasthep-flow.previewPlan``.

"Run plan" runs in a worker thread and reports work-done progress (partitions done/total, events) from the
runtime's progress events; it ends with a summary message naming the output directory.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types

from fasthep_flow import service
from fasthep_flow.lsp.features import in_thread
from fasthep_flow.lsp.server import FlowServer  # evaluated at run time: pygls reads command annotations
from fasthep_flow.service.document import Document, uri_to_path

log = logging.getLogger(__name__)


def _document(ls: FlowServer, uri: str) -> tuple[Document, service.Context]:
    if uri in ls.open_uris():
        return ls.snapshot(uri)
    text = Path(uri_to_path(uri)).read_text(encoding="utf-8")
    return Document(uri, text, 0), ls.ctx


def _progress_supported(ls: FlowServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window is not None and window.work_done_progress)


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
        value = types.WorkDoneProgressReport(message=message, percentage=pct)
        self.loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, value)


def register(server: FlowServer) -> None:
    @server.command(service.RUN_PLAN)
    async def run_plan(ls: FlowServer, *args: Any) -> dict[str, Any]:
        """Arguments: the document URI, and optionally a stage id ("Run to here")."""
        if not args or not isinstance(args[0], str):
            return {"ok": False, "message": "runPlan needs the workflow's URI"}
        uri = args[0]
        stage = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        doc, ctx = _document(ls, uri)
        token: types.ProgressToken | None = ls.work_done_tokens.pop((service.RUN_PLAN, uri), None)
        if token is None and _progress_supported(ls):
            token = f"fasthep-flow-run-{uuid.uuid4()}"
            await ls.work_done_progress.create_async(token)
        if token is not None:
            title = f"Run to {stage}" if stage else "Run plan"
            ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0))
        report: service.RunReport
        try:
            progress = _Progress(ls, token, asyncio.get_running_loop())
            report = await in_thread(ls, service.run_plan, doc, ctx, stage, progress)
        except Exception as exc:
            log.exception("runPlan failed")
            report = service.RunReport(False, f"Run failed: {exc}")
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=report.message))
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info if report.ok else types.MessageType.Error, message=report.message
            )
        )
        return report.to_json()

    @server.command(service.PREVIEW_PLAN)
    async def preview_plan(ls: FlowServer, *args: Any) -> dict[str, Any]:
        """Argument: the document URI. Returns ``{ok, mermaid, plan, problems}``."""
        if not args or not isinstance(args[0], str):
            return {
                "ok": False,
                "mermaid": "",
                "plan": {},
                "problems": ["previewPlan needs the workflow's URI"],
            }
        doc, ctx = _document(ls, args[0])
        try:
            preview = await in_thread(ls, service.preview_plan, doc, ctx)
        except Exception as exc:
            log.exception("previewPlan failed")
            return {"ok": False, "mermaid": "", "plan": {}, "problems": [f"internal error: {exc}"]}
        return preview.to_json()
