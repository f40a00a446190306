"""Every request feature, each a few lines: snapshot, convert in, call the service in a thread, convert out.

A failure inside a feature is logged with its traceback and answered with an empty result: one bad request
must never take the server down or pop an error at the user.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from fasthep_flow import service
from fasthep_flow.document.spans import Span
from fasthep_flow.lsp import convert
from fasthep_flow.service.document import path_to_uri

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer
    from fasthep_flow.service.document import Document

log = logging.getLogger(__name__)
T = TypeVar("T")

# Keyed by the service's enum values (StrEnum members equal their strings), so that registering the
# handlers imports no service module: the server answers `initialize` before the compiler is loaded.
_COMPLETION_KIND = {
    "key": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.Value,
    "op": types.CompletionItemKind.Module,
    "stage": types.CompletionItemKind.Reference,
    "field": types.CompletionItemKind.Field,
    "function": types.CompletionItemKind.Function,
    "constant": types.CompletionItemKind.Constant,
    "style": types.CompletionItemKind.Color,
    "output": types.CompletionItemKind.File,
    "dataset": types.CompletionItemKind.Folder,
    "profile": types.CompletionItemKind.Module,
    "file": types.CompletionItemKind.File,
    "snippet": types.CompletionItemKind.Snippet,
    "workflow": types.CompletionItemKind.Module,
}
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
TRIGGER_CHARACTERS = [":", " ", "[", ",", "(", ".", "-", '"', "'", "/"]


def guarded(empty: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log a handler's exception (with traceback) and answer ``empty()``; the server keeps serving."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def run(ls: FlowServer, params: Any) -> Any:
            try:
                return await fn(ls, params)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", fn.__name__)
                return empty()

        return run

    return wrap


async def in_thread(ls: FlowServer, fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(ls.thread_pool, functools.partial(fn, *args))


def _doc(ls: FlowServer, uri: str) -> tuple[Document, service.Context, convert.Converter]:
    doc, ctx = ls.snapshot(uri)
    return doc, ctx, ls.converter(doc)


def _span_of(doc: Document, conv: convert.Converter, rng: types.Range) -> Span:
    return Span(doc.path, conv.pos(rng.start), conv.pos(rng.end))


def _snippets(ls: FlowServer) -> bool:
    td = ls.client_capabilities.text_document
    comp = td.completion if td is not None else None
    item = comp.completion_item if comp is not None else None
    return bool(item is not None and item.snippet_support)


def _markup(markdown: str) -> types.MarkupContent | None:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown) if markdown else None


def _strip_snippet(text: str) -> str:
    """Plain text of a snippet for clients without snippet support."""
    import re

    text = re.sub(r"\$\{\d+\|([^,|}]*)[^}]*\}", r"\1", text)
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", text)
    return re.sub(r"\$\d+", "", text)


def _edits(ls: FlowServer, edits_by_file: dict[str, list[Any]]) -> types.WorkspaceEdit:
    lookup = ls.converters()
    changes: dict[str, list[types.TextEdit]] = {}
    for file, edits in edits_by_file.items():
        conv = lookup(file)
        changes[path_to_uri(file)] = [
            types.TextEdit(range=conv.range(e.span), new_text=e.new_text) for e in edits
        ]
    return types.WorkspaceEdit(changes=changes)


def _refused(reason: str) -> JsonRpcException:
    """A refused rename answers with LSP's RequestFailed error and the reason, which editors show."""
    return JsonRpcException(reason, code=types.LSPErrorCodes.RequestFailed)


def register(server: FlowServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False),
    )
    @guarded(lambda: types.CompletionList(is_incomplete=False, items=[]))
    async def on_completion(ls: FlowServer, params: types.CompletionParams) -> types.CompletionList:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.complete, doc, conv.pos(params.position), ctx)
        snippets = _snippets(ls)
        items = []
        for c in found:
            text = c.text if snippets or not c.snippet else _strip_snippet(c.text)
            items.append(
                types.CompletionItem(
                    label=c.label,
                    kind=_COMPLETION_KIND.get(c.kind, types.CompletionItemKind.Text),
                    detail=c.detail or None,
                    documentation=_markup(c.documentation),
                    sort_text=c.sort,
                    filter_text=c.label,
                    text_edit=types.TextEdit(range=conv.range(c.replace), new_text=text),
                    insert_text_format=types.InsertTextFormat.Snippet
                    if c.snippet and snippets
                    else types.InsertTextFormat.PlainText,
                )
            )
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(lambda: None)
    async def on_hover(ls: FlowServer, params: types.HoverParams) -> types.Hover | None:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.hover, doc, conv.pos(params.position), ctx)
        if found is None:
            return None
        return types.Hover(contents=_markup(found.markdown) or "", range=conv.range(found.span))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(lambda: [])
    async def on_definition(ls: FlowServer, params: types.DefinitionParams) -> list[types.Location]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        spans = await in_thread(ls, service.definition, doc, conv.pos(params.position), ctx)
        lookup = ls.converters()
        return [convert.location(s, conv if s.file == doc.path else lookup(s.file)) for s in spans]

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(lambda: [])
    async def on_references(ls: FlowServer, params: types.ReferenceParams) -> list[types.Location]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
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
        doc, ctx, conv = _doc(ls, params.text_document.uri)
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
            raise _refused(found.reason)
        if found is None:
            return None
        return types.PrepareRenamePlaceholder(range=conv.range(found.span), placeholder=found.placeholder)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    async def on_rename(ls: FlowServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
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
            raise _refused(found.reason)
        return _edits(ls, found)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(lambda: [])
    async def on_symbols(ls: FlowServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
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
        doc, _ctx, _conv = _doc(ls, params.text_document.uri)
        return [
            types.FoldingRange(
                start_line=f.start_line,
                end_line=f.end_line,
                kind=types.FoldingRangeKind.Comment if f.kind == "comment" else types.FoldingRangeKind.Region,
            )
            for f in service.folding_ranges(doc.text, doc.path, doc.parsed)
        ]

    legend = types.SemanticTokensLegend(token_types=list(service.LEGEND), token_modifiers=[])

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, legend)
    @guarded(lambda: types.SemanticTokens(data=[]))
    async def on_tokens(ls: FlowServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.semantic_tokens, doc, ctx)
        return types.SemanticTokens(data=convert.semantic_tokens(found, conv))

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, legend)
    @guarded(lambda: types.SemanticTokens(data=[]))
    async def on_tokens_range(
        ls: FlowServer, params: types.SemanticTokensRangeParams
    ) -> types.SemanticTokens:
        """The tokens of the lines in view (editors ask for these first on a long file)."""
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        first, last = conv.pos(params.range.start).line, conv.pos(params.range.end).line
        found = await in_thread(ls, service.semantic_tokens, doc, ctx, (first, last))
        return types.SemanticTokens(
            data=convert.semantic_tokens([t for t in found if first <= t.span.start.line <= last], conv)
        )

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    @guarded(lambda: [])
    async def on_links(ls: FlowServer, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.document_links, doc, ctx)
        return [
            types.DocumentLink(
                range=conv.range(link.span), target=path_to_uri(link.target), tooltip=link.tooltip
            )
            for link in found
        ]

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    @guarded(lambda: [])
    async def on_code_action(ls: FlowServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.code_actions, doc, _span_of(doc, conv, params.range), ctx)
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
                    edit=_edits(ls, by_file),
                    is_preferred=a.preferred or None,
                )
            )
        return out

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    @guarded(lambda: [])
    async def on_code_lens(ls: FlowServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.code_lenses, doc, ctx)
        return [
            types.CodeLens(
                range=conv.range(lens.span),
                command=types.Command(title=lens.title, command=lens.command, arguments=list(lens.arguments)),
            )
            for lens in found
        ]

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    @guarded(lambda: [])
    async def on_inlay(ls: FlowServer, params: types.InlayHintParams) -> list[types.InlayHint]:
        doc, ctx, conv = _doc(ls, params.text_document.uri)
        found = await in_thread(ls, service.inlay_hints, doc, _span_of(doc, conv, params.range), ctx)
        return [
            types.InlayHint(
                position=conv.position(h.pos),
                label=h.label,
                kind=types.InlayHintKind.Type,
                tooltip=_markup(h.tooltip),
                padding_left=False,
            )
            for h in found
        ]
