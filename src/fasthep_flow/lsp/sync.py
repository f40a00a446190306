"""The document lifecycle: initialize (push or pull, trust), open/change/save/close, watched files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability

from fasthep_flow.service.document import uri_to_path

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer

log = logging.getLogger(__name__)

_WATCH_ID = "fasthep-flow-watch-yaml"


def register(server: FlowServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: FlowServer, params: types.InitializeParams) -> None:
        ls.configure(params.initialization_options)
        ls.diagnostics.choose_mode(params.capabilities)
        if ls.diagnostics.pull:
            # Registered here, before the capabilities are computed, and only for clients that can pull:
            # a client offered both would show every diagnostic twice.
            ls.feature(
                types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(
                    identifier="fasthep-flow", inter_file_dependencies=True, workspace_diagnostics=False
                ),
            )(_on_pull)

    @server.feature(types.INITIALIZED)
    def on_initialized(ls: FlowServer, params: types.InitializedParams) -> None:
        from fasthep_flow.lsp.server import warm_up

        ls.thread_pool.submit(warm_up)
        if get_capability(
            ls.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False
        ):
            ls.client_register_capability(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=_WATCH_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[types.FileSystemWatcher(glob_pattern="**/*.{yaml,yml}")]
                            ),
                        )
                    ]
                )
            )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_open(ls: FlowServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.refresh_context()
        ls.diagnostics.changed(params.text_document.uri, immediate=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_change(ls: FlowServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.refresh_context()
        ls.diagnostics.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_save(ls: FlowServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.diagnostics.file_changed_on_disk(uri_to_path(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls: FlowServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        ls.refresh_context()
        ls.diagnostics.closed(uri)
        ls.diagnostics.file_changed_on_disk(uri_to_path(uri))  # includers now read it from disk again

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_watched(ls: FlowServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.refresh_context()
        for change in params.changes:
            ls.diagnostics.file_changed_on_disk(uri_to_path(change.uri))


async def _on_pull(ls: FlowServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    return await ls.diagnostics.pulled(params)
