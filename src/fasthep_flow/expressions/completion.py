"""``expected_at(text, offset)``: what may be typed at a cursor inside an expression.

The tokens before the cursor are fed to Lark's interactive LALR parser, whose ``accepts()`` is exactly the set
of terminals that may come next: a NAME means an operand (field, global, function), an operator terminal means
an operator. The word being typed (the prefix) is not fed, so ``"sqrt(Mu|"`` asks what may follow ``sqrt(``.
Brackets still open tell which call the cursor is in, for signature help and per-argument completion.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token

from fasthep_flow.expressions.grammar import (
    CLOSERS,
    KEYWORD_TERMINALS,
    OPENERS,
    OPERATOR_TERMINALS,
    accepted_after,
    lex,
)

_WORDS = {"NAME", *KEYWORD_TERMINALS}
_BINARY_OPERATORS = (OPERATOR_TERMINALS - {"TILDE"}) | {"AND", "OR", "IF"}


@dataclass(frozen=True, slots=True)
class CompletionContext:
    prefix: str
    """The part of the word before the cursor (replace ``text[prefix_start:offset]`` when completing)."""
    prefix_start: int
    wants_operand: bool
    """A field, global, constant, function call, number, string, '(' or a unary operator may come next."""
    wants_operator: bool
    """A binary operator (or ``and``/``or``/``if``) may come next."""
    in_call: str | None = None
    """The function whose argument list the cursor is in (the innermost call)."""
    after_dot: str | None = None
    """The (dotted) name before a '.' right before the prefix: complete the fields of ``Dimuon.``."""
    arg_index: int | None = None
    """Which argument of ``in_call`` the cursor is in (0-based), for signature help."""
    in_string: bool = False
    """The cursor is inside an unfinished string literal; ``prefix`` is the text typed after the quote."""
    keywords: frozenset[str] = frozenset()
    """Keywords the parser accepts here (``not``, ``and``, ``or``, ``if``, ``else``)."""


@dataclass(slots=True)
class _Frame:
    opener: Token
    function: str | None
    commas: int = 0


def expected_at(text: str, offset: int) -> CompletionContext:
    """What may come at ``offset`` of ``text`` (0 <= offset <= len(text); clamped otherwise)."""
    offset = max(0, min(offset, len(text)))
    head = text[:offset]
    tokens, bad = lex(head)
    if bad is not None:
        return _after_bad_character(head, bad)

    prefix, prefix_start = "", offset
    if tokens and tokens[-1].end_pos == offset and tokens[-1].type in _WORDS:
        last = tokens.pop()
        prefix, prefix_start = str(last), last.start_pos

    after_dot = None
    if tokens and tokens[-1].type == "DOT":
        after_dot = _dotted_name_before(tokens, len(tokens) - 1)

    frames = _open_frames(tokens)
    call = next((f for f in reversed(frames) if f.function is not None), None)

    in_call, arg_index = (call.function, call.commas) if call else (None, None)
    accepted = accepted_after(tokens)
    if accepted is None:  # the text before the cursor is already wrong: nothing sensible to offer
        return CompletionContext(prefix, prefix_start, False, False, in_call, after_dot, arg_index)
    wants_operand = "NAME" in accepted
    return CompletionContext(
        prefix=prefix,
        prefix_start=prefix_start,
        wants_operand=wants_operand,
        wants_operator=not wants_operand and bool(accepted & _BINARY_OPERATORS),
        in_call=in_call,
        after_dot=after_dot,
        arg_index=arg_index,
        keywords=frozenset(KEYWORD_TERMINALS[t] for t in accepted if t in KEYWORD_TERMINALS),
    )


def _after_bad_character(head: str, bad: int) -> CompletionContext:
    if head[bad] in "'\"" and "\n" not in head[bad:]:
        return CompletionContext(head[bad + 1 :], bad + 1, False, False, in_string=True)
    return CompletionContext("", len(head), False, False)


def _dotted_name_before(tokens: list[Token], dot: int) -> str | None:
    """'Dimuon' (or 'a.b') for the NAME (DOT NAME)* chain that ends right before ``tokens[dot]``."""
    parts: list[str] = []
    i = dot - 1
    while i >= 0 and tokens[i].type == "NAME":
        parts.append(str(tokens[i]))
        if i >= 1 and tokens[i - 1].type == "DOT":
            i -= 2
            continue
        break
    return ".".join(reversed(parts)) if parts else None


def _open_frames(tokens: list[Token]) -> list[_Frame]:
    frames: list[_Frame] = []
    for i, tok in enumerate(tokens):
        if tok.type in OPENERS:
            function = None
            if tok.type == "LPAR" and i > 0 and tokens[i - 1].type == "NAME":
                function = _callee_name(tokens, i - 1)
            frames.append(_Frame(tok, function))
        elif tok.type in CLOSERS:
            if frames and frames[-1].opener.type == CLOSERS[tok.type]:
                frames.pop()
        elif tok.type == "COMMA" and frames:
            frames[-1].commas += 1
    return frames


def _callee_name(tokens: list[Token], last: int) -> str:
    """The called name ending at ``tokens[last]``: 'sqrt', or 'x.sum' for a method call."""
    name = str(tokens[last])
    if last >= 2 and tokens[last - 1].type == "DOT":
        before = _dotted_name_before(tokens, last - 1)
        if before:
            return f"{before}.{name}"
    return name
