"""Diagnostics over LSP: pushed, or pulled when the client can pull — never both.

Push: every edit schedules a diagnosis of that URI. The first edit after a quiet spell goes at once; edits
arriving faster than the debounce window wait until the user pauses, and each new edit cancels the pending
one (last edit wins). The compile runs in a worker thread on an immutable snapshot; its result is published
only if no newer diagnosis of that URI has been scheduled meanwhile, so a slow compile of version 3 can
never overwrite the diagnostics of version 4.

Pull (only for clients that support ``workspace/diagnostic/refresh``, so that an edit to an included file can
reach the workflows including it): the client asks (``textDocument/diagnostic``); the answer is cached by ``resultId`` (document version
and workspace snapshot), so an unchanged document answers "unchanged".

Included files: after each compile the host remembers which files a workflow read. An edit to one of them
(an open buffer, a save, or a watched-file event) re-diagnoses every open workflow that includes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from fasthep_flow import service
from fasthep_flow.lsp import convert
from fasthep_flow.service.document import path_to_uri, uri_to_path

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

log = logging.getLogger(__name__)


class DiagnosticsHost:
    def __init__(self, server: FlowServer) -> None:
        self.server = server
        self.pull = False
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._seq: dict[str, int] = {}
        self._last_edit: dict[str, float] = {}
        self.includes: dict[str, frozenset[str]] = {}
        """URI of an open workflow -> paths of the other files its last compile read."""
        self._elsewhere: dict[str, set[str]] = {}
        """URI of a workflow -> unopened included files it last published diagnostics into."""
        self.published: dict[str, int] = {}
        """URI -> version of the diagnostics last published (tests and the benchmark read it)."""

    # -- choosing push or pull (called from `initialize`) -----------------------------------------------------
    def choose_mode(self, capabilities: types.ClientCapabilities) -> None:
        """Pull only from a client that can also be told to pull again (``workspace/diagnostic/refresh``).

        An edit to an included file changes the diagnostics of the workflows including it; a pull client
        learns that only through a refresh. Neovim 0.11 pulls but does not advertise refresh, so it is
        pushed to instead (and then offered no pull at all: both at once shows everything twice).
        """
        can_pull = get_capability(capabilities, "text_document.diagnostic") is not None
        can_refresh = bool(get_capability(capabilities, "workspace.diagnostics.refresh_support", False))
        self.pull = can_pull and can_refresh
        log.info("diagnostics mode: %s", "pull" if self.pull else "push")

    @property
    def window(self) -> float:
        return self.server.settings.debounce_ms / 1000.0

    # -- push -------------------------------------------------------------------------------------------------
    def changed(self, uri: str, *, immediate: bool = False) -> None:
        """``uri`` changed (or opened): diagnose it, and the open workflows that include it."""
        path = _resolved(uri_to_path(uri))
        for other, files in list(self.includes.items()):
            if other != uri and path in files:
                self._dependents_changed(other)
        if not self.pull:
            self.schedule(uri, immediate=immediate)

    def file_changed_on_disk(self, path: str) -> None:
        path = _resolved(path)
        for other, files in list(self.includes.items()):
            if path in files or _resolved(uri_to_path(other)) == path:
                self._dependents_changed(other)

    def _dependents_changed(self, uri: str) -> None:
        if self.pull:
            self._request_refresh()
        else:
            self.schedule(uri, immediate=True)

    def _request_refresh(self) -> None:
        if get_capability(self.server.client_capabilities, "workspace.diagnostics.refresh_support", False):
            self.server.workspace_diagnostic_refresh(None)

    def schedule(self, uri: str, *, immediate: bool = False) -> None:
        now = time.monotonic()
        burst = now - self._last_edit.get(uri, float("-inf")) < self.window
        self._last_edit[uri] = now
        seq = self._seq[uri] = self._seq.get(uri, 0) + 1
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        delay = self.window if burst and not immediate else 0.0
        task = asyncio.get_running_loop().create_task(self._run(uri, seq, delay))
        self._pending[uri] = task
        task.add_done_callback(lambda t, u=uri: self._done(u, t))

    def _done(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._pending.get(uri) is task:
            del self._pending[uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("diagnosing %s failed", uri, exc_info=task.exception())

    async def _run(self, uri: str, seq: int, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if uri not in self.server.open_uris():
            return
        doc, ctx = self.server.snapshot(uri)
        known = self.includes.get(uri)
        items = await self.compute(doc, ctx)
        if self._seq.get(uri) != seq or uri not in self.server.open_uris():
            return  # a newer edit has been scheduled: it will publish
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=doc.version)
        )
        self.published[uri] = doc.version
        includes = self.includes.get(uri, frozenset())
        if includes and ctx is not self.server.ctx:
            # another buffer changed while this compile ran (an included file, maybe, which it did not know it
            # included when that edit came): what was just published may already be stale
            self.schedule(uri, immediate=True)
        if includes != known:
            # open files it includes were diagnosed alone until now: diagnose them again, in context
            opened = {_resolved(uri_to_path(u)): u for u in self.server.open_uris()}
            for path in includes - (known or frozenset()):
                if path in opened:
                    self.schedule(opened[path], immediate=True)

    async def compute(self, doc: Document, ctx: Context) -> list[types.Diagnostic]:
        includer = self.includer_of(doc.uri)
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self.server.thread_pool, _diagnose, doc, ctx, includer)
        if includer is None:
            elsewhere = await loop.run_in_executor(
                self.server.thread_pool, service.diagnostics_elsewhere, doc, ctx
            )
            self.includes[doc.uri] = frozenset(elsewhere)
            if not self.pull:
                self._publish_elsewhere(doc.uri, elsewhere)
        conv = convert.converter(doc.text, self.server.codec)
        return convert.diagnostics(found, conv, self.server.converters())

    def _publish_elsewhere(self, uri: str, found: dict[str, list[Any]]) -> None:
        """Problems the workflow's compile found in included files that are not open: shown in those files."""
        lookup = self.server.converters()
        opened = {_resolved(uri_to_path(u)) for u in self.server.open_uris()}
        before = self._elsewhere.get(uri, set())
        now: set[str] = set()
        for path, diags in found.items():
            if path in opened:
                continue
            if diags or path in before:
                self.server.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(
                        uri=path_to_uri(path), diagnostics=convert.diagnostics(diags, lookup(path), lookup)
                    )
                )
            if diags:
                now.add(path)
        for path in before - set(found) - opened:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=path_to_uri(path), diagnostics=[])
            )
        self._elsewhere[uri] = now

    def includer_of(self, uri: str) -> Document | None:
        """An open workflow that includes this file: its diagnostics here are the includer's (in context)."""
        path = _resolved(uri_to_path(uri))
        for other, files in self.includes.items():
            if other != uri and path in files and other in self.server.open_uris():
                return self.server.snapshot(other)[0]
        return None

    def closed(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._seq[uri] = self._seq.get(uri, 0) + 1
        self.includes.pop(uri, None)
        self.published.pop(uri, None)
        if not self.pull:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
            for path in self._elsewhere.pop(uri, set()):  # what it showed in unopened included files goes too
                self.server.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=path_to_uri(path), diagnostics=[])
                )

    # -- pull -------------------------------------------------------------------------------------------------
    async def pulled(self, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        doc, ctx = self.server.snapshot(uri)
        result_id = f"{doc.version}:{self.server.generation}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        items = await self.compute(doc, ctx)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


def _diagnose(doc: Document, ctx: Context, includer: Document | None) -> list:
    return service.diagnose(doc, ctx, includer=includer)


def _resolved(path: str) -> str:
    """Paths as the compile reports the files it read (resolved), so an edited buffer matches its include."""
    try:
        return str(Path(path).resolve())
    except OSError:
        return path
