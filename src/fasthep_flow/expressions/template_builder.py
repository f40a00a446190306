"""Builds the tree of ``text_templates`` straight from the template parser's reductions.

Passed to Lark as the transformer of ``template_grammar.template_parser``, as ``builder.py`` is for expressions:
each rule or alias of ``grammar/template.lark`` has one method here, which gets its already-built children and
its named tokens (with their positions), so no parse tree is made. The template language's rules that the
grammar leaves to names live here too (which filters, tests and methods exist; no name starting with ``_``):
they raise ``TemplateError`` at the name, so that a template that parses can be rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer

from fasthep_flow.expressions.text_templates import (
    FILTERS,
    METHODS,
    TESTS,
    Attr,
    Binary,
    Const,
    Filter,
    For,
    If,
    Item,
    Method,
    Name,
    Output,
    Template,
    TemplateError,
    Test,
    Unary,
    Where,
)

LITERALS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True, slots=True)
class Opened:
    """A block's opening tag, on the parser's stack until its end tag arrives (``keyword`` says where it is)."""

    keyword: Token
    head: Any  # for: (targets, iterable); if: the test


@dataclass(frozen=True, slots=True)
class _Branch:
    """``{% elif test %}`` (``test``) or ``{% else %}`` (None) inside a block."""

    test: Any


def _where(tok: Token) -> Where:
    return Where(tok.line, tok.column)


def fail(message: str, tok: Token) -> TemplateError:
    return TemplateError(message, tok.line, tok.column)


def _segments(children: list[Any]) -> list[tuple[Any, tuple[Any, ...]]]:
    """A block's children after its opening tag, split at its ``elif``/``else`` tags: (branch, body) pairs, the
    first with branch None. Raw text becomes plain ``str``."""
    out: list[tuple[Any, list[Any]]] = [(None, [])]
    for child in children:
        if isinstance(child, _Branch):
            out.append((child, []))
        elif isinstance(child, Token):  # raw text, or the `{%` of an end tag
            if child.type == "TEXT":
                out[-1][1].append(str(child))
        elif child is not None:  # None: the placeholder of an absent `[else_tag _item*]`
            out[-1][1].append(child)
    return [(branch, tuple(body)) for branch, body in out]


class TemplateBuilder(Transformer):
    """One method per rule or alias of the grammar; raises ``TemplateError`` for names the language lacks."""

    def start(self, children: list[Any]) -> Template:
        return Template(_segments(children)[0][1])

    def output(self, children: list[Any]) -> Output:
        return Output(children[1])

    def for_tag(self, children: list[Any]) -> Opened:
        _, keyword, *targets, _, iterable = children
        return Opened(keyword, (tuple(str(t) for t in targets), iterable))

    def if_tag(self, children: list[Any]) -> Opened:
        return Opened(children[1], children[2])

    def elif_tag(self, children: list[Any]) -> _Branch:
        return _Branch(children[1])

    def else_tag(self, children: list[Any]) -> _Branch:
        return _Branch(None)

    def for_block(self, children: list[Any]) -> For:
        opened, *rest = children
        (_, body), *otherwise = _segments(rest)
        return For(*opened.head, body, otherwise[0][1] if otherwise else ())

    def if_block(self, children: list[Any]) -> If:
        opened, *rest = children
        (_, body), *more = _segments(rest)
        branches = [
            (opened.head, body),
            *((branch.test, body) for branch, body in more if branch.test is not None),
        ]
        return If(tuple(branches), more[-1][1] if more and more[-1][0].test is None else ())

    # ---------------------------------------------------------------------------------------- expressions

    def not_(self, children: list[Any]) -> Unary:
        return Unary("not", children[1])

    def binary(self, children: list[Any]) -> Binary:  # or, and, comparisons, in, ~: the token is the operator
        return Binary(str(children[1]), children[0], children[2])

    def not_in(self, children: list[Any]) -> Unary:
        return Unary("not", Binary("in", children[0], children[3]))

    def test(self, children: list[Any]) -> Test:
        value, negated, name = children
        if name not in TESTS:
            raise fail(f"unknown test '{name}' (known: {', '.join(sorted(TESTS))})", name)
        return Test(value, str(name), negated is not None)

    def filter(self, children: list[Any]) -> Filter:
        value, name, args = children
        if name not in FILTERS:
            raise fail(f"unknown filter '{name}' (known: {', '.join(sorted(FILTERS))})", name)
        return Filter(value, str(name), tuple(args or ()), _where(name))

    def arguments(self, children: list[Any]) -> list[Any]:
        return [child for child in children if child is not None]

    def attr(self, children: list[Any]) -> Attr:
        return Attr(children[0], str(children[1]), _where(children[1]))

    def method(self, children: list[Any]) -> Method:
        obj, name, args = children
        if name not in METHODS or args:
            raise fail(f"'{name}()' cannot be called (only {', '.join(f'{m}()' for m in METHODS)})", name)
        return Method(obj, str(name), _where(name))

    def item(self, children: list[Any]) -> Item:
        return Item(children[0], children[2], _where(children[1]))

    def name(self, children: list[Any]) -> Const | Name:
        tok = children[0]
        if tok in LITERALS:
            return Const(LITERALS[tok])
        if tok.startswith("_"):
            raise fail(f"name '{tok}' is not allowed (names starting with '_')", tok)
        return Name(str(tok), _where(tok))

    def number(self, children: list[Any]) -> Const:
        text = str(children[0])
        return Const(float(text) if "." in text else int(text))

    def string(self, children: list[Any]) -> Const:
        return Const(re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), children[0][1:-1]))
