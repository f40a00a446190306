"""``parse(text)``: an expression string to an ``Expr`` (AST, symbols, functions) or an ``ExprError``.

Parsing never raises for a user's text and is cached per string: a workflow repeats the same selections and the
language server re-checks the same strings on every keystroke.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lark.exceptions import UnexpectedInput

from fasthep_flow.document import codes
from fasthep_flow.expressions.errors import ExprError
from fasthep_flow.expressions.grammar import KEYWORD_TERMINALS, OPERATOR_TERMINALS, lex, parser
from fasthep_flow.expressions.syntax import empty_expression, explain
from fasthep_flow.expressions.tree import Call, Const, Field, Name, Node, depth, is_dunder, unwrap, walk

MAX_DEPTH = 200
"""Deepest AST accepted (Python's own parser stops at 200 nested parentheses); the evaluator recurses this deep."""

_CONST_KINDS = {"number": "number", "string": "string", "fstring": "string", "keyword": "keyword"}


@dataclass(frozen=True)
class Expr:
    """A parsed expression. ``symbols`` are the names it reads (dotted names joined: ``Dimuon.dimuon``; names
    with a dunder part, which check() rejects, left out) and ``functions`` the names it calls; both drive the
    compiler's data-flow and checks."""

    text: str
    tree: Node
    symbols: frozenset[str]
    functions: frozenset[str]
    _symbols_at: tuple[tuple[str, int, int], ...] = field(default=(), repr=False, compare=False)
    _functions_at: tuple[tuple[str, int, int], ...] = field(default=(), repr=False, compare=False)

    def symbol_spans(self) -> list[tuple[str, int, int]]:
        """Each occurrence of a symbol as (name, start, end), in text order: for rename, hover, references."""
        return list(self._symbols_at)

    def function_spans(self) -> list[tuple[str, int, int]]:
        """Each called function name as (name, start, end), in text order: for hover and signature help."""
        return list(self._functions_at)

    def tokens(self) -> list[tuple[str, int, int]]:
        """(kind, start, end) for semantic highlighting, in text order. ``kind`` is one of ``field``,
        ``function``, ``number``, ``string``, ``operator``, ``keyword``; a dotted field is one token."""
        return list(self._tokens)

    @functools.cached_property
    def _tokens(self) -> tuple[tuple[str, int, int], ...]:
        found = [("field", start, end) for _, start, end in self._symbols_at]
        found += [("function", start, end) for _, start, end in self._functions_at]
        method_names = {
            id(node.func)
            for node in walk(self.tree)
            if isinstance(node, Call) and isinstance(node.func, Field)
        }
        for node in walk(self.tree):
            if isinstance(node, Const) and node.kind in _CONST_KINDS:
                found.append((_CONST_KINDS[node.kind], node.start, node.end))
            elif isinstance(node, Field):
                kind = "function" if id(node) in method_names else "field"
                found.append((kind, node.attr.start, node.attr.end))
        lexed, _ = lex(self.text)
        for tok in lexed:
            if tok.type in OPERATOR_TERMINALS:
                found.append(("operator", tok.start_pos, tok.end_pos))
            elif tok.type in KEYWORD_TERMINALS:
                found.append(("keyword", tok.start_pos, tok.end_pos))
        return tuple(sorted(found, key=lambda t: (t[1], t[2])))


@functools.lru_cache(maxsize=8192)
def parse(text: str) -> Expr | ExprError:
    """The expression in ``text``, or the first syntax error in it (FF201, or FF202 for a lambda & co.)."""
    if not text.strip():
        return empty_expression(text)
    try:
        tree: Node = parser().parse(text)
    except UnexpectedInput as exc:
        return explain(text, exc)
    if len(text) > MAX_DEPTH and depth(tree) > MAX_DEPTH:
        return ExprError(
            codes.EXPR_SYNTAX,
            0,
            len(text),
            f"expression nested too deeply (more than {MAX_DEPTH} levels)",
            "split it into several variables with hep.define",
        )
    symbols: list[tuple[str, int, int]] = []
    functions: list[tuple[str, int, int]] = []
    callees: set[int] = set()
    for node in walk(tree):
        if isinstance(node, Call):
            func = unwrap(node.func)
            if isinstance(func, Name):
                callees.add(id(func))
                functions.append((func.id, func.start, func.end))
        elif (
            isinstance(node, Name)
            and id(node) not in callees
            and not any(is_dunder(p.text) for p in node.parts)
        ):
            symbols.append((node.id, node.start, node.end))
    symbols.sort(key=lambda s: s[1])
    functions.sort(key=lambda s: s[1])
    return Expr(
        text,
        tree,
        frozenset(s[0] for s in symbols),
        frozenset(f[0] for f in functions),
        tuple(symbols),
        tuple(functions),
    )
