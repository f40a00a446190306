"""Definition, references, rename and document links: where a name is defined, used, and what it opens."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from fasthep_flow import service
from fasthep_flow.lsp import convert
from fasthep_flow.lsp.host import guarded, in_thread, refused, snapshot, workspace_edit
from fasthep_flow.service.document import path_to_uri

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer

log = logging.getLogger(__name__)


def register(server: FlowServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(lambda: [])
    async def on_definition(ls: FlowServer, params: types.DefinitionParams) -> list[types.Location]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        spans = await in_thread(ls, service.definition, doc, conv.pos(params.position), ctx)
        lookup = ls.converters()
        return [convert.location(s, conv if s.file == doc.path else lookup(s.file)) for s in spans]

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(lambda: [])
    async def on_references(ls: FlowServer, params: types.ReferenceParams) -> list[types.Location]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        spans = await in_thread(
            ls,
            service.references,
            doc,
            conv.pos(params.position),
            ctx,
            params.context.include_declaration,
            ls.diagnostics.includer_of(doc.uri),
        )
        lookup = ls.converters()
        return [convert.location(s, conv if s.file == doc.path else lookup(s.file)) for s in spans]

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def on_prepare_rename(ls: FlowServer, params: types.PrepareRenameParams) -> Any:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        try:
            found = await in_thread(
                ls,
                service.prepare_rename,
                doc,
                conv.pos(params.position),
                ctx,
                ls.diagnostics.includer_of(doc.uri),
            )
        except Exception:
            log.exception("prepareRename failed")
            return None
        if isinstance(found, service.Refusal):
            raise refused(found.reason)
        if found is None:
            return None
        return types.PrepareRenamePlaceholder(range=conv.range(found.span), placeholder=found.placeholder)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    async def on_rename(ls: FlowServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        try:
            found = await in_thread(
                ls,
                service.rename,
                doc,
                conv.pos(params.position),
                params.new_name,
                ctx,
                ls.diagnostics.includer_of(doc.uri),
            )
        except Exception:
            log.exception("rename failed")
            return None
        if isinstance(found, service.Refusal):
            raise refused(found.reason)
        return workspace_edit(ls, found)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    @guarded(lambda: [])
    async def on_links(ls: FlowServer, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.document_links, doc, ctx)
        return [
            types.DocumentLink(
                range=conv.range(link.span), target=path_to_uri(link.target), tooltip=link.tooltip
            )
            for link in found
        ]
