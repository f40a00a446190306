"""Semantic tokens inside expression strings: fields, functions, numbers, strings, operators, keywords.

YAML highlighting colours a whole ``expr: "..."`` string alike; these tokens let the editor colour what the
expression grammar sees. Positions are in code points; ``lsp/convert.py`` encodes them for the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.document.node_memo import NodeMemo
from fasthep_flow.document.nodes import MapNode, SeqNode
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
    for the lines in view, which need not parse the others' expressions).

    The tokens of one stage depend on its nodes and the registry alone, so they are remembered per stage
    node (``document/node_memo.py``): after an edit only the stages it touched are tokenised again."""
    from fasthep_flow.service import locate as loc  # here: the LSP host reads LEGEND before any compile

    reg = loc.registry_for(doc, ctx)
    root = doc.parsed.root
    stages = loc.get_path(root, "analysis", "stages") if root is not None else None
    if reg is None or not isinstance(stages, SeqNode):
        return []
    out: list[Token] = []
    for stage in stages.items:
        if not isinstance(stage, MapNode) or stage.span.file != doc.path:
            continue
        if lines is not None and (stage.span.end.line < lines[0] or stage.span.start.line > lines[1]):
            continue
        found = _STAGE_TOKENS.get((stage,), reg, lambda stage=stage: _stage_tokens(stage, reg, doc.path))
        if lines is None:
            out.extend(found)
        else:
            out.extend(t for t in found if lines[0] <= t.span.start.line <= lines[1])
    out.sort(key=lambda t: (t.span.start, t.span.end))
    return out


_STAGE_TOKENS: NodeMemo[tuple[Token, ...]] = NodeMemo(8192, keep=6)
"""Stage node -> the tokens of its expressions, made with the guarding registry (kept over a few compiles:
an editor asks for tokens after some edits, not after each)."""


def _stage_tokens(stage: MapNode, reg: object, path: str) -> tuple[Token, ...]:
    from fasthep_flow.expressions import Expr, parse
    from fasthep_flow.service import locate as loc

    out: list[Token] = []
    seen: set[int] = set()
    for step in loc.stage_flow(stage, reg):  # type: ignore[arg-type]
        for use in step.uses:
            node = use.node
            if use.implicit or node.span.file != path:
                continue
            if id(node) in seen or not node.is_string or not node.offsets:
                continue
            seen.add(id(node))  # (within this one call: every node is alive)
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
    return tuple(out)


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
