"""Document symbols, folding ranges and semantic tokens: the shape of the file as the editor draws it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from fasthep_flow import service
from fasthep_flow.lsp import convert
from fasthep_flow.lsp.host import guarded, in_thread, snapshot

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer
    from fasthep_flow.service.document import Document

_OUTLINE_KIND = {
    "section": types.SymbolKind.Namespace,
    "dataset": types.SymbolKind.Package,
    "source": types.SymbolKind.Interface,
    "stage": types.SymbolKind.Function,
    "field": types.SymbolKind.Field,
    "global": types.SymbolKind.Constant,
    "style": types.SymbolKind.Class,
    "output": types.SymbolKind.File,
    "workflow": types.SymbolKind.Module,
}


def _folds(doc: Document) -> list[service.Fold]:
    return service.folding_ranges(doc.text, doc.path, doc.parsed)


def register(server: FlowServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(lambda: [])
    async def on_symbols(ls: FlowServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.document_symbols, doc, ctx)

        def to_lsp(s: service.OutlineSymbol) -> types.DocumentSymbol:
            return types.DocumentSymbol(
                name=s.name or "?",
                kind=_OUTLINE_KIND[s.kind],
                range=conv.range(s.span),
                selection_range=conv.range(s.selection),
                detail=s.detail or None,
                children=[to_lsp(c) for c in s.children] or None,
            )

        return [to_lsp(s) for s in found]

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @guarded(lambda: [])
    async def on_folding(ls: FlowServer, params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        doc, _ctx, _conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, _folds, doc)  # a broken file may take a few parses: not on the event loop
        return [
            types.FoldingRange(
                start_line=f.start_line,
                end_line=f.end_line,
                kind=types.FoldingRangeKind.Comment if f.kind == "comment" else types.FoldingRangeKind.Region,
            )
            for f in found
        ]

    legend = types.SemanticTokensLegend(token_types=list(service.LEGEND), token_modifiers=[])

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, legend)
    @guarded(lambda: types.SemanticTokens(data=[]))
    async def on_tokens(ls: FlowServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.semantic_tokens, doc, ctx)
        return types.SemanticTokens(data=convert.semantic_tokens(found, conv))

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, legend)
    @guarded(lambda: types.SemanticTokens(data=[]))
    async def on_tokens_range(
        ls: FlowServer, params: types.SemanticTokensRangeParams
    ) -> types.SemanticTokens:
        """The tokens of the lines in view (editors ask for these first on a long file)."""
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        first, last = conv.pos(params.range.start).line, conv.pos(params.range.end).line
        found = await in_thread(ls, service.semantic_tokens, doc, ctx, (first, last))
        return types.SemanticTokens(
            data=convert.semantic_tokens([t for t in found if first <= t.span.start.line <= last], conv)
        )
