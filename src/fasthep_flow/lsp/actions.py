"""Code actions (the quick fixes diagnostics carry) and code lenses (run, preview plan)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from fasthep_flow import service
from fasthep_flow.lsp import convert
from fasthep_flow.lsp.host import guarded, in_thread, snapshot, span_of, workspace_edit

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer


def register(server: FlowServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    @guarded(lambda: [])
    async def on_code_action(ls: FlowServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.code_actions, doc, span_of(doc, conv, params.range), ctx)
        out = []
        for a in found:
            by_file: dict[str, list[Any]] = {}
            for e in a.edits:
                by_file.setdefault(e.span.file, []).append(e)
            out.append(
                types.CodeAction(
                    title=a.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=convert.diagnostics(a.diagnostics, conv) or None,
                    edit=workspace_edit(ls, by_file),
                    is_preferred=a.preferred or None,
                )
            )
        return out

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    @guarded(lambda: [])
    async def on_code_lens(ls: FlowServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.code_lenses, doc, ctx)
        return [
            types.CodeLens(
                range=conv.range(lens.span),
                command=types.Command(title=lens.title, command=lens.command, arguments=list(lens.arguments)),
            )
            for lens in found
        ]
