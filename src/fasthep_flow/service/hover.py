"""Hover: what the thing under the cursor is — an op's documentation, a param, where a field comes from.

A field says where it comes from ("branch of tree `events`, `var * float32`", or "defined in stage
`MuonVars`: `sqrt(Muon_Px ** 2 + Muon_Py ** 2)`"); a stage id its op and inputs; a function its signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.compiler.symbols import SymbolKind
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import fields as fieldinfo
from fasthep_flow.service import locate as loc
from fasthep_flow.service.references import symbol_at

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


@dataclass(frozen=True)
class HoverText:
    markdown: str
    span: Span


def hover(doc: Document, pos: Pos, ctx: Context) -> HoverText | None:
    sym = symbol_at(doc, pos, ctx)
    if sym is not None:
        text = _symbol_markdown(doc, ctx, sym)
        if text:
            return HoverText(text, sym.span)
    w = loc.where(doc, pos, ctx)
    found = loc.classify(w, ctx)
    word_span = Span(doc.path, w.place.start_pos, w.place.end_pos)
    word = w.place.word
    reg = w.registry
    if isinstance(found, loc.OpValue) and reg is not None and word:
        spec = reg.ops_for(found.group).get(word)
        if spec is not None:
            from fasthep_flow.registry.reference import op_markdown

            return HoverText(op_markdown(spec), word_span)
    if isinstance(found, loc.ParamKey) and word:
        p = loc.param_of(found.types, word)
        if p is not None:
            from fasthep_flow.service.complete import _param_markdown

            return HoverText(_param_markdown(p), word_span)
    if isinstance(found, loc.InExpression):
        return _expression_hover(found, w, ctx)
    if isinstance(found, loc.DocKey) and word:
        key = found.keys.get(word)
        if key is not None and key.doc:
            return HoverText(f"**{word}**\n\n{key.doc}", word_span)
    return None


def _symbol_markdown(doc: Document, ctx: Context, sym: object) -> str:
    from fasthep_flow.service.references import Symbol

    assert isinstance(sym, Symbol)
    index = doc.compiled(ctx).index
    if sym.kind in (SymbolKind.STAGE, SymbolKind.SOURCE):
        info = index.stage(sym.name)
        if info is not None:
            lines = [f"**stage** `{info.id}`", f"op: `{info.op or '?'}`"]
            if info.inputs:
                lines.append("inputs: " + ", ".join(f"`{i.removeprefix('source:')}`" for i in info.inputs))
            if info.needs:
                lines.append("needs: " + ", ".join(f"`{n}`" for n in info.needs))
            return "\n\n".join(lines)
        source = index.definitions_of(sym.name, SymbolKind.SOURCE)
        if source:
            return f"**source** `{sym.name}` ({source[0].detail})"
        return ""
    if sym.kind in (SymbolKind.FIELD, SymbolKind.GLOBAL, SymbolKind.CONTEXT):
        d = sym.definition
        if d is None:
            if sym.kind is SymbolKind.CONTEXT:
                from fasthep_flow.compiler.dataflow import CONTEXT_SYMBOLS

                return f"**{sym.name}** — context symbol: {CONTEXT_SYMBOLS.get(sym.name, '')}"
            return f"**{sym.name}** — unknown field"
        label = {
            SymbolKind.FIELD: "field",
            SymbolKind.GLOBAL: "global",
            SymbolKind.CONTEXT: "context symbol",
        }[sym.kind]
        text = f"**{label}** `{sym.name}` — {fieldinfo.describe(d, index)}"
        typ = index.branch_types.get(sym.name)
        if typ and typ not in text:
            text += f"\n\ntype: `{typ}`"
        return text
    if sym.kind is SymbolKind.WORKFLOW:
        d = sym.definition
        return f"**workflow** `{sym.name}`" + (f"\n\n{d.detail}" if d is not None and d.detail else "")
    if sym.kind is SymbolKind.STYLE:
        d = sym.definition
        return f"**style** `{sym.name}`" + (f" — {d.detail}" if d is not None and d.detail else "")
    if sym.kind is SymbolKind.DATASET:
        d = sym.definition
        return f"**dataset** `{sym.name}`" + (f" ({d.detail})" if d is not None and d.detail else "")
    if sym.kind is SymbolKind.OUTPUT:
        return f"**output** `{sym.name}`"
    if sym.kind is SymbolKind.PROFILE:
        return f"**profile** `{sym.name}`"
    return ""


def _expression_hover(found: loc.InExpression, w: loc.Where, ctx: Context) -> HoverText | None:
    """A function name inside an expression (fields are symbols and answered above)."""
    from fasthep_flow.expressions import Expr, parse

    expr = parse(found.text)
    if not isinstance(expr, Expr) or w.registry is None:
        return None
    for kind, start, end in expr.tokens():
        if kind == "function" and start <= found.offset <= end:
            name = found.text[start:end]
            fn = w.registry.functions.get(name)
            if fn is not None:
                return HoverText(f"```\n{fn.display}\n```\n\n{fn.doc}", found.span_of(start, end))
    return None
