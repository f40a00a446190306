"""Document symbols, folding ranges and semantic tokens: the shape of the file as the editor draws it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from fasthep_flow import service
from fasthep_flow.document.spans import Span
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


_SYMBOL_JSON: dict[service.OutlineSymbol, dict[str, Any]] = {}
"""An outline symbol (its whole content: names, spans, children) -> its JSON, for ASCII texts, where a span
alone fixes the client's positions. A 300-stage outline is ~1,500 protocol objects to build and serialise;
after an edit all but the edited stage's come from here."""
_SYMBOL_JSON_MAX = 8192


def _symbols(doc: Document, ctx: service.Context, conv: convert.Converter) -> list[dict[str, Any]]:
    """The outline as the JSON the protocol sends (``DocumentSymbol``s), made once per distinct symbol."""
    found = service.document_symbols(doc, ctx)
    remember = conv.same_units
    if len(_SYMBOL_JSON) > _SYMBOL_JSON_MAX:
        _SYMBOL_JSON.clear()

    def to_json(s: service.OutlineSymbol) -> dict[str, Any]:
        hit = _SYMBOL_JSON.get(s) if remember else None
        if hit is not None:
            return hit
        out: dict[str, Any] = {
            "name": s.name or "?",
            "kind": int(_OUTLINE_KIND[s.kind]),
            "range": _range_json(conv, s.span),
            "selectionRange": _range_json(conv, s.selection),
        }
        if s.detail:
            out["detail"] = s.detail
        if s.children:
            out["children"] = [to_json(c) for c in s.children]
        if remember:
            _SYMBOL_JSON[s] = out
        return out

    return [to_json(s) for s in found]


def _range_json(conv: convert.Converter, span: Span) -> dict[str, Any]:
    line, character = conv.line_character(span.start)
    end_line, end_character = conv.line_character(span.end)
    return {
        "start": {"line": line, "character": character},
        "end": {"line": end_line, "character": end_character},
    }


def _folds(doc: Document) -> list[service.Fold]:
    return service.folding_ranges(doc.text, doc.path, doc.parsed)


def register(server: FlowServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(lambda: [])
    async def on_symbols(ls: FlowServer, params: types.DocumentSymbolParams) -> list[Any]:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        return await in_thread(ls, _symbols, doc, ctx, conv)

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
