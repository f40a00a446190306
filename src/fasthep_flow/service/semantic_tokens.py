"""Semantic tokens inside expression strings: fields, functions, numbers, strings, operators, keywords.

YAML highlighting colours a whole ``expr: "..."`` string alike; these tokens let the editor colour what the
expression grammar sees. Positions are in code points; ``lsp/convert.py`` encodes them for the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.document.spans import Span

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

LEGEND: tuple[str, ...] = ("variable", "function", "number", "string", "operator", "keyword")
"""Token types (LSP standard names), indexed by ``Token.kind``."""

_KIND = {"field": 0, "function": 1, "number": 2, "string": 3, "operator": 4, "keyword": 5}


@dataclass(frozen=True, slots=True)
class Token:
    span: Span
    """Always on one line."""
    kind: int
    """Index into ``LEGEND``."""


def semantic_tokens(doc: Document, ctx: Context, lines: tuple[int, int] | None = None) -> list[Token]:
    """Tokens of every expression in the file, or only of those on ``lines`` (first, last; a range request
    for the lines in view, which need not parse the others' expressions)."""
    from fasthep_flow.expressions import Expr, parse
    from fasthep_flow.service import locate as loc  # here: the LSP host reads LEGEND before any compile

    reg = loc.registry_for(doc, ctx)
    out: list[Token] = []
    seen: set[int] = set()
    for use in loc.expression_uses(doc, reg):
        node = use.node
        if id(node) in seen or not node.is_string or not node.offsets:
            continue
        if lines is not None and (node.span.end.line < lines[0] or node.span.start.line > lines[1]):
            continue
        seen.add(id(node))
        if use.kind == "field":
            spans = [("field", 0, len(node.text))] if node.text.strip() else []
        else:
            expr = parse(node.text)
            if not isinstance(expr, Expr):
                continue
            spans = expr.tokens()
        for kind, start, end in spans:
            if kind not in _KIND or end <= start:
                continue
            for piece in _one_line_pieces(node, start, end):
                out.append(Token(piece, _KIND[kind]))
    out.sort(key=lambda t: (t.span.start, t.span.end))
    return out


def _one_line_pieces(node, start: int, end: int) -> list[Span]:  # type: ignore[no-untyped-def]
    """A token's document span, split where a folded/escaped string crosses a line break."""
    span = node.span_of(start, end)
    if span.start.line == span.end.line:
        return [span]
    pieces = []
    i = start
    while i < end:
        j = i
        line = node.pos_of(i).line
        while j < end and node.pos_of(j).line == line:
            j += 1
        pieces.append(node.span_of(i, j))
        i = j
    return [p for p in pieces if p.start.line == p.end.line]
