"""textDocument/hover and textDocument/inlayHint: what the editor shows about the text in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from fasthep_flow import service
from fasthep_flow.lsp.host import guarded, in_thread, markup, snapshot, span_of

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer


def register(server: FlowServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(lambda: None)
    async def on_hover(ls: FlowServer, params: types.HoverParams) -> types.Hover | None:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.hover, doc, conv.pos(params.position), ctx)
        if found is None:
            return None
        return types.Hover(contents=markup(found.markdown) or "", range=conv.range(found.span))

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    @guarded(lambda: [])
    async def on_inlay(ls: FlowServer, params: types.InlayHintParams) -> list[types.InlayHint]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.inlay_hints, doc, span_of(doc, conv, params.range), ctx)
        return [
            types.InlayHint(
                position=conv.position(h.pos),
                label=h.label,
                kind=types.InlayHintKind.Type,
                tooltip=markup(h.tooltip),
                padding_left=False,
            )
            for h in found
        ]
