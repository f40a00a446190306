"""The one Lark parser for expressions, made lazily from the shipped grammar, and a tolerant lexer.

The parser is made once per process, on first use, never at import (``fasthep-flow check`` on a workflow
without expressions never pays for it), from the parse tables shipped beside the grammar
(``parser_tables.py``: JSON, never a pickle).
"""

from __future__ import annotations

import functools

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput

from fasthep_flow.expressions.builder import AstBuilder
from fasthep_flow.expressions.parser_tables import lark_parser

OPERATOR_TERMINALS = frozenset(
    {"OROR", "ANDAND", "COMP_OP", "VBAR", "CIRCUMFLEX", "AMPER", "ADD_OP", "MUL_OP", "TILDE", "DSTAR"}
)
"""Terminals that are operators (for semantic tokens and for telling 'an operator may come next')."""

KEYWORD_TERMINALS = {"NOT": "not", "AND": "and", "OR": "or", "IF": "if", "ELSE": "else"}
"""Keyword terminals and how they are spelled."""

OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB"}
CLOSERS = {"RPAR": "LPAR", "RSQB": "LSQB"}
SPELLING = {"LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "COMMA": ",", "COLON": ":", "ELSE": "else"}


@functools.cache
def parser() -> Lark:
    """The LALR parser; its ``parse`` returns AST nodes directly (the builder is its transformer)."""
    return lark_parser("expression", transformer=AstBuilder())


def lex(text: str) -> tuple[list[Token], int | None]:
    """All tokens of ``text`` up to the first character no terminal matches, and that character's offset."""
    tokens: list[Token] = []
    try:
        for tok in parser().lex(text):
            tokens.append(tok)
    except UnexpectedCharacters as exc:
        return tokens, exc.pos_in_stream
    return tokens, None


def accepted_after(tokens: list[Token]) -> set[str] | None:
    """Terminals that may follow ``tokens`` (None when the tokens themselves do not parse).

    Feeds the tokens to a fresh interactive parser and asks it: exact, where the ``expected`` set of a parse
    error is not (LALR merges look-aheads, and reductions run on the bad token before the error is seen).
    """
    interactive = parser().parse_interactive("")
    try:
        for tok in tokens:
            interactive.feed_token(tok)
    except UnexpectedInput:
        return None
    return set(interactive.accepts())
