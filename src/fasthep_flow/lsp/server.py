"""``fasthep-flow lsp``: the pygls server, a thin host over ``fasthep_flow.service``.

The server owns the protocol state (open buffers, the negotiated position encoding, push or pull, the
workspace snapshot) and nothing else: each feature handler snapshots the document, converts the position in,
calls a pure service function in a worker thread and converts the result out. There is one module per LSP
area (``completion.py``, ``hover.py``, ``navigation.py``, ``outline.py``, ``actions.py``, ``commands.py``);
the plumbing they share is ``host.py``.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.workspace.position_codec import PositionCodec

from fasthep_flow._version import __version__
from fasthep_flow.lsp import convert
from fasthep_flow.lsp.buffers import LspWorkspace
from fasthep_flow.lsp.diagnostics import DiagnosticsHost
from fasthep_flow.service.context import Context, OverlayReader, Settings
from fasthep_flow.service.document import Document, uri_to_path

log = logging.getLogger("fasthep_flow.lsp")


class _Answered:
    """What a request that was already answered with an error structures to: ``handle_message`` drops it."""


_ANSWERED = _Answered()


class FlowProtocol(LanguageServerProtocol):
    """pygls's protocol with three repairs.

    - Keeps a command request's ``workDoneToken`` and its request future: pygls hands command handlers only
      their arguments. A client that sends a token (VS Code does) expects progress on that token rather than
      on one the server creates; "Run plan" looks it up by command and document URI. pygls answers
      ``$/cancelRequest`` for a command by cancelling the request's future without stopping the handler, so
      "Run plan" watches that future to stop its run.
    - Answers every request: pygls drops a request whose params do not structure (a negative position,
      ``params: null``, a string where a position belongs) and one that arrives after ``shutdown`` without a
      reply, and JSON-RPC requires one. They get ``InvalidParams`` / ``InvalidRequest`` errors.
    - Splits buffers into lines as the LSP does (``lsp/buffers.py``).
    """

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (isinstance(data, dict) and "method" in data and isinstance(data.get("id"), int | str)):
                raise  # a notification (nobody to answer) or a response
            detail = _why_invalid(exc)
            error = JsonRpcInvalidParams(
                f"invalid params for {data['method']}: {detail}", data={"reason": detail}
            )
            self._send_response(data["id"], None, error.to_response_error())
            return _ANSWERED

    answered_early: Any = None
    """The id of the ``initialize`` request ``lsp/handshake.py`` answered before pygls was imported: pygls
    still handles it (to set up the workspace and capabilities) but its identical answer is not sent again."""

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if msg_id is not None and msg_id == self.answered_early:
            self.answered_early = None
            return
        super()._send_response(msg_id, result, error)

    def handle_message(self, message: Any) -> None:
        if message is _ANSWERED:
            return
        method = getattr(message, "method", None)
        if self._shutdown and method is not None and method != types.EXIT and hasattr(message, "id"):
            error = JsonRpcInvalidRequest(f"the server is shutting down; '{method}' was not run")
            self._send_response(message.id, None, error.to_response_error())
            return
        super().handle_message(message)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Any:
        result = yield from super().lsp_initialize(params)
        self._workspace = LspWorkspace.like(self._workspace)  # no document is open before `initialize`
        return result

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Any:
        server = self._server
        if params.arguments and isinstance(server, FlowServer):
            key = (params.command, str(params.arguments[0]))
            if params.work_done_token is not None:
                server.work_done_tokens[key] = params.work_done_token
            msg_id = self._ctx_msg_id.get(None)
            request = self._request_futures.get(msg_id) if msg_id is not None else None
            if request is not None:
                server.command_requests[key] = request
        return (yield from super().lsp_workspace__execute_command(params))


def _why_invalid(exc: JsonRpcException) -> str:
    """The first reason cattrs gives (``invalid value for type, expected int @ $.params.position.line``)."""
    cause = exc.__cause__
    if cause is not None:
        try:
            from cattrs import transform_error

            reasons = transform_error(cause, path="$")  # type: ignore[arg-type]
        except (TypeError, ValueError, AttributeError):  # an error shape cattrs cannot describe
            reasons = []
        if reasons:
            return "; ".join(reasons[:3])
    return exc.message or "they do not match the method's parameters"


class FlowServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "fasthep-flow",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=FlowProtocol,
        )
        self.work_done_tokens: dict[tuple[str, str], types.ProgressToken] = {}
        self.command_requests: dict[tuple[str, str], Future[Any]] = {}
        """(command, document URI) -> the request's future, cancelled by ``$/cancelRequest``."""
        self.trust = False
        self.preview_document = True
        """"Preview plan" also opens a document with the graph (``window/showDocument``); the VS Code extension
        turns it off (``previewDocument: false``): it shows its own webview."""
        self.settings = Settings()
        self.generation = 0
        """Bumped whenever an open buffer changes: the workspace snapshot (``ctx``) is rebuilt."""
        self.ctx = Context()
        self.diagnostics = DiagnosticsHost(self)
        self._docs: dict[str, Document] = {}

    # -- state -------------------------------------------------------------------------------------------------
    @property
    def codec(self) -> PositionCodec:
        return self.workspace.position_codec

    def open_uris(self) -> set[str]:
        return set(self.workspace.text_documents)

    def refresh_context(self) -> None:
        """A new workspace snapshot: open buffers (what includes must see) plus trust and settings."""
        overlays = {uri_to_path(uri): d.source for uri, d in self.workspace.text_documents.items()}
        self.generation += 1
        root = self.workspace.root_path if self.workspace is not None else None
        self.ctx = Context(OverlayReader(overlays), self.trust, self.settings, Path(root) if root else None)

    def snapshot(self, uri: str) -> tuple[Document, Context]:
        """The immutable snapshot of an open document (one per version) and the current workspace context."""
        pdoc = self.workspace.get_text_document(uri)
        version = pdoc.version if pdoc.version is not None else 0
        doc = self._docs.get(uri)
        if doc is None or doc.version != version or doc.text != pdoc.source:
            doc = self._docs[uri] = Document(uri, pdoc.source, version).follows(doc)
        return doc, self.ctx

    def forget(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def converter(self, doc: Document) -> convert.Converter:
        return convert.converter(doc.text, self.codec)

    def converters(self) -> convert.ConverterLookup:
        return convert.ConverterLookup(self.ctx.reader.read, self.codec)

    def configure(self, options: Any) -> None:
        """``initializationOptions``: ``{trust: bool, debounceMs: int, checkInputs: bool, inlayHints: bool,
        previewDocument: bool}``."""
        if not isinstance(options, dict):
            return
        self.trust = bool(options.get("trust", self.trust))
        self.preview_document = bool(options.get("previewDocument", self.preview_document))
        s = self.settings
        self.settings = Settings(
            debounce_ms=int(options.get("debounceMs", s.debounce_ms)),
            check_inputs=bool(options.get("checkInputs", s.check_inputs)),
            inlay_hints=bool(options.get("inlayHints", s.inlay_hints)),
        )
        self.refresh_context()

    # -- errors ------------------------------------------------------------------------------------------------
    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log with the traceback instead of popping a message at the user on every keystroke."""
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error, exc_info=error)


def build_server() -> FlowServer:
    from fasthep_flow.lsp import actions, commands, completion, hover, navigation, outline, sync

    server = FlowServer()
    sync.register(server)
    for area in (completion, hover, navigation, outline, actions, commands):  # one module per LSP area
        area.register(server)
    return server


def warm_up() -> None:
    """Compile a tiny workflow once the client is initialized.

    Runs in a worker thread after `initialized` (``lsp/sync.py``), so `initialize` is answered with only pygls
    loaded. The first compile imports the compiler and builds the expression parser, the registry and the
    schema validators; doing it while the client opens its first file moves that cost out of the first
    `didOpen` (which waits on the same imports if it comes first).
    """
    from fasthep_flow.compiler import compile_text

    compile_text(
        "version: 1.0\nsources: {events: {kind: toy}}\nanalysis:\n  stages:\n"
        "    - {id: A, op: hep.define, params: {variables: [{name: x, expr: 'sqrt(NMuon) > 1'}]}}\n",
        "untitled:warm-up",
    )


from fasthep_flow.lsp.launch import main  # noqa: E402 (the entry point lives where pygls is not imported)

__all__ = ["FlowServer", "build_server", "main", "warm_up"]
