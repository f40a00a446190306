"""The one Lark parser of report templates (``grammar/template.lark``), and its errors in a user's words.

Built once per process on first use, never at import: ``fasthep-flow check`` pays for it only when a workflow
has a report template of its own. ``parse`` returns the tree of ``text_templates`` (the builder is the parser's
transformer) or raises ``TemplateError`` at the place of the first mistake.

Lark says "Unexpected token Token('_ENDIF', 'endif') ... Expected one of: * IF * FOR". The user wants
"'endif' without an opening tag" at the keyword, or "'for' is never closed" at the ``for`` that lacks its
``endfor``. Both come from the parser's stack at the error: the tags and blocks still open on it are exactly
the ones not yet closed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput
from lark.lark import PostLex

from fasthep_flow.document import InternalError
from fasthep_flow.expressions.parser_tables import lark_parser
from fasthep_flow.expressions.template_builder import Opened, TemplateBuilder, fail
from fasthep_flow.expressions.text_templates import Template, TemplateError

MAX_DEPTH = 200
"""Most blocks around a tag plus tokens in the tag. It bounds the depth of the tree, which the renderer and
``check_names`` walk recursively; Python's own parser stops at 200 nested parentheses too."""

_TAG_ENDS = frozenset({"_CLOSE_OUT", "_CLOSE_TAG"})
_OUTSIDE_TAGS = _TAG_ENDS | {"TEXT", "_COMMENT"}
_OPENERS = {"OPEN_OUT": "}}", "OPEN_TAG": "%}"}
_VALUES = frozenset({"NAME", "NUMBER", "STRING"})
_OPERATORS = frozenset({"COMP_OP", "TILDE", "_VBAR", "_DOT", "LSQB", "_IS", "AND", "OR"})
"""Said as "an operator" (with ``in`` and ``not``, which a for tag and ``not in`` also expect on their own)."""
_SPELLING = {
    "_CLOSE_OUT": "'}}'",
    "_CLOSE_TAG": "'%}'",
    "NAME": "name",
    "NUMBER": "number",
    "STRING": "string",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_RSQB": "']'",
    "_COMMA": "','",
    "IN": "'in'",
    "NOT": "'not'",
    "FOR": "'for'",
    "IF": "'if'",
    "_ELIF": "'elif'",
    "_ELSE": "'else'",
    "_ENDFOR": "'endfor'",
    "_ENDIF": "'endif'",
}
_TAGS = "for, if (with else, elif, endfor, endif)"


class _DepthGuard(PostLex):
    """Stops a template whose tree would be deeper than ``MAX_DEPTH`` before the parser builds it: the depth of a
    node is at most the blocks around its tag plus the tokens before it in the tag."""

    always_accept = ()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        blocks = in_tag = 0
        for tok in stream:
            blocks += {"FOR": 1, "IF": 1, "_ENDFOR": -1, "_ENDIF": -1}.get(tok.type, 0)
            in_tag = 0 if tok.type in _OUTSIDE_TAGS else in_tag + 1
            if blocks + in_tag > MAX_DEPTH:
                raise fail(f"nested too deeply (more than {MAX_DEPTH} blocks and tokens around here)", tok)
            yield tok


@functools.cache
def template_parser() -> Lark:
    """The LALR parser of templates; its ``parse`` returns a ``Template``."""
    return lark_parser("template", postlex=_DepthGuard(), transformer=TemplateBuilder())


def parse(source: str) -> Template:
    """The tree of ``source``, or ``TemplateError`` at its first mistake."""
    try:
        return template_parser().parse(source)
    except UnexpectedInput as exc:
        raise explain(source, exc) from None


# ------------------------------------------------------------------------------------------------ the errors


def explain(source: str, exc: UnexpectedInput) -> TemplateError:
    """The ``TemplateError`` for a Lark exception raised while parsing ``source``."""
    state = getattr(exc, "state", None)
    stack: list[Any] = list(state.value_stack) if state is not None else []
    if isinstance(exc, UnexpectedCharacters):
        if "TEXT" in (exc.allowed or ()) and source.startswith("{#", exc.pos_in_stream):
            return TemplateError("'{#' is never closed by '#}'", exc.line, exc.column)
        return TemplateError(_bad_character(exc.char, stack), exc.line, exc.column)
    tok: Token = exc.token  # type: ignore[attr-defined]  # every other error of an LALR parser has one
    if tok.type == "TEXT":  # no terminal of a tag matched here, so the fallback lexer read raw text
        return fail(_bad_character(tok[0], stack), tok)
    if tok.type == "$END":
        return _unclosed(source, stack)
    if stack and _is(stack[-1], "OPEN_TAG") and tok.type in ("NAME", "_ELIF", "_ELSE", "_ENDFOR", "_ENDIF"):
        return _misplaced_tag(tok, _open_block(stack))
    # exact, where `exc.expected` is not: LALR merges look-aheads, so a `)` inside brackets lists `}}` too
    expected = _expected(exc.interactive_parser.accepts(), stack)
    found = "the end of the tag" if tok.type in _TAG_ENDS else repr(tok.strip())
    return _at(source, tok, f"expected {expected}, found {found}")


def _is(value: Any, *types: str) -> bool:
    return isinstance(value, Token) and value.type in types


def _at(source: str, tok: Token, message: str) -> TemplateError:
    """The error at ``tok``, past the whitespace an opener such as `` {%-`` takes in."""
    offset = tok.start_pos + len(tok) - len(tok.lstrip())
    line_start = source.rfind("\n", 0, offset) + 1
    return TemplateError(message, source.count("\n", 0, offset) + 1, offset - line_start + 1)


def _bad_character(char: str, stack: list[Any]) -> str:
    opener = _open_tag(stack)
    if opener is not None and char in "}%":  # `{{ x }`: half a closer
        brace, closer = opener.lstrip()[:2], _OPENERS[opener.type]
        return f"unexpected character {char!r}: a tag opened with '{brace}' ends with '{closer}'"
    if char in "'\"":  # STRING did not match: no closing quote
        return f"a string opened with {char} is never closed"
    return f"unexpected character {char!r}"


def _open_block(stack: list[Any]) -> Token | None:
    """The keyword of the innermost block still open: its opening tag is built (``Opened``) or, when the error
    comes right after it, still tokens on the stack."""
    for value in reversed(stack):
        if isinstance(value, Opened):
            return value.keyword
        if _is(value, "FOR", "IF"):
            return value
    return None


def _open_tag(stack: list[Any]) -> Token | None:
    """The opener (``{{`` or ``{%``) of the tag the parser is in, if it is in one."""
    for value in reversed(stack):
        if _is(value, *_TAG_ENDS):
            return None
        if _is(value, *_OPENERS):
            return value
    return None


def _unclosed(source: str, stack: list[Any]) -> TemplateError:
    """The template ended inside a tag, or inside a block."""
    opener = _open_tag(stack)
    if opener is not None:
        return _at(source, opener, f"'{opener.lstrip()[:2]}' is never closed by '{_OPENERS[opener.type]}'")
    block = _open_block(stack)
    if block is None:
        raise InternalError("bug: a template ended early outside every tag and block")
    return fail(f"'{block}' is never closed: missing '{{% end{block} %}}'", block)


def _misplaced_tag(tok: Token, block: Token | None) -> TemplateError:
    if tok.type == "NAME":
        return fail(f"unknown tag '{tok}' (this template language has: {_TAGS})", tok)
    message = f"'{tok}' without an opening tag"
    if block is not None:
        message += (
            f": the '{block}' at line {block.line}, column {block.column} needs '{{% end{block} %}}' first"
        )
    return fail(message, tok)


def _expected(names: Iterable[str], stack: list[Any]) -> str:
    """What the parser wanted, in words: the end of the tag when it could end, else values and punctuation."""
    wanted = set(names) - {"WS"}
    opener = _open_tag(stack)
    if wanted & _TAG_ENDS and opener is not None:
        return f"'{_OPENERS[opener.type]}'"
    words = []
    if wanted >= _VALUES:
        words.append("a value")
        wanted -= _VALUES | {"_LPAR", "NOT"}
    operators = wanted & _OPERATORS
    if operators:
        wanted -= {"IN", "NOT"}
    words += sorted(_SPELLING.get(n, n) for n in wanted - _OPERATORS)
    if operators:
        words.append("an operator")
    return " or ".join(words)
