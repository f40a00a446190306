"""Human messages for expressions that do not parse.

Lark reports "Unexpected token Token('EQUAL', '=') ... Expected one of: * NAME * NUMBER ...". A physicist
wants "expected an operand after '>=', found '='" at the exact character. The translation uses the parser's
expected terminals, the token before the error and the brackets still open. Python constructs that the
language leaves out on purpose (lambdas, comprehensions, ``:=``, ``*``/``**`` unpacking) are recognised here
and reported as FF202 ``expr-unsafe`` rather than as bare syntax errors.
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from fasthep_flow.document import codes
from fasthep_flow.expressions.errors import ExprError, column_text, shown
from fasthep_flow.expressions.grammar import (
    CLOSERS,
    KEYWORD_TERMINALS,
    OPENERS,
    OPERATOR_TERMINALS,
    SPELLING,
    accepted_after,
    lex,
)

_OPERAND_HINTS = {
    "LSQB": "list literals are not part of the expression language",
    "COMP_OP": "a comparison needs a value on both sides",
}
_CHARACTER_HINTS = {
    "!": "use 'not' (or '~' on arrays) to negate, and '!=' for 'not equal'",
    "{": "sets and dictionaries are not part of the expression language",
    "}": "sets and dictionaries are not part of the expression language",
    ";": "a string holds one expression",
    "$": "refer to a global or a field by its bare name, without '$'",
    "@": "matrix multiplication is not supported",
    "`": "use ' or \" for strings",
}
_UNSUPPORTED_WORDS = {
    "in": "'in' tests are not supported in expressions",
    "is": "'is' tests are not supported in expressions; use '==' or '!='",
}


def empty_expression(text: str) -> ExprError:
    return ExprError(
        codes.EXPR_SYNTAX, 0, len(text), "empty expression", "write an expression, e.g. 'NMuon >= 2'"
    )


def explain(text: str, exc: UnexpectedInput) -> ExprError:
    """The ExprError for a Lark exception raised while parsing ``text``."""
    tokens, bad_char = lex(text)
    unsafe = _unsafe_construct(text, tokens)
    if unsafe is not None:
        return unsafe
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(text, exc.pos_in_stream)
    if isinstance(exc, UnexpectedToken):
        return _bad_token(text, exc.token, tokens)
    # UnexpectedEOF is not raised by an LALR parser; be explicit rather than guess
    pos = len(text) if bad_char is None else bad_char
    return ExprError(codes.EXPR_SYNTAX, pos, pos, "the expression does not parse")


def _unsafe_construct(text: str, tokens: list[Token]) -> ExprError | None:
    for i, tok in enumerate(tokens):
        if tok.type == "NAME" and tok == "lambda":
            return ExprError(
                codes.EXPR_UNSAFE,
                tok.start_pos,
                tok.end_pos,
                "lambda expressions are not allowed",
                "operations apply to whole columns: write the computation itself, e.g. 'sqrt(x)'",
            )
        if tok.type == "NAME" and tok == "for":
            return ExprError(
                codes.EXPR_UNSAFE,
                tok.start_pos,
                tok.end_pos,
                "comprehensions are not allowed",
                "operations apply to whole arrays: write 'sqrt(x)' rather than '[sqrt(v) for v in x]'",
            )
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.type == "COLON" and nxt is not None and nxt.type == "EQUAL" and nxt.start_pos == tok.end_pos:
            return ExprError(
                codes.EXPR_UNSAFE,
                tok.start_pos,
                nxt.end_pos,
                "assignment expressions (':=') are not allowed",
                "define a new variable in a hep.define stage instead",
            )
        prev = tokens[i - 1] if i > 0 else None
        if (
            (tok.type == "DSTAR" or (tok.type == "MUL_OP" and tok == "*"))
            and prev is not None
            and prev.type in ("LPAR", "COMMA")
            and _in_call(tokens, i)
        ):
            what = "keyword" if tok.type == "DSTAR" else "argument"
            end = nxt.end_pos if nxt is not None and nxt.type == "NAME" else tok.end_pos
            return ExprError(
                codes.EXPR_UNSAFE,
                tok.start_pos,
                end,
                f"{what} unpacking ('{text[tok.start_pos : end]}') is not allowed",
                "pass each argument explicitly",
            )
    return None


def _in_call(tokens: list[Token], index: int) -> bool:
    """True when token ``index`` is directly inside the parentheses of a call."""
    stack: list[bool] = []
    for i, tok in enumerate(tokens[:index]):
        if tok.type == "LPAR":
            stack.append(i > 0 and tokens[i - 1].type in ("NAME", "RPAR", "RSQB"))
        elif tok.type == "LSQB":
            stack.append(False)
        elif tok.type in CLOSERS and stack:
            stack.pop()
    return bool(stack) and stack[-1]


def _bad_character(text: str, pos: int) -> ExprError:
    char = text[pos] if pos < len(text) else ""
    if char in "'\"":
        line_end = text.find("\n", pos)
        end = len(text) if line_end == -1 else line_end
        return ExprError(
            codes.EXPR_SYNTAX,
            pos,
            end,
            "unterminated string",
            f"close the string with {char}"
            if "\n" not in text[pos:]
            else "a string must end on its own line",
        )
    return ExprError(
        codes.EXPR_SYNTAX, pos, pos + 1, f"unexpected character {shown(char)}", _CHARACTER_HINTS.get(char)
    )


def _open_brackets(tokens: list[Token], before: int) -> list[Token]:
    """Brackets opened and not yet closed by the tokens that end at or before offset ``before``."""
    stack: list[Token] = []
    for tok in tokens:
        if tok.end_pos > before:
            break
        if tok.type in OPENERS:
            stack.append(tok)
        elif tok.type in CLOSERS and stack and stack[-1].type == CLOSERS[tok.type]:
            stack.pop()
    return stack


def _describe(expected: set[str]) -> str:
    """'an operator, ',' or ')'' for the set of terminals the parser would have accepted."""
    if "NAME" in expected:
        return "an operand"
    parts: list[str] = []
    if expected & (OPERATOR_TERMINALS | {"AND", "OR"}):
        parts.append("an operator")
    parts.extend(f"'{SPELLING[t]}'" for t in ("ELSE", "COLON", "COMMA", "RSQB", "RPAR") if t in expected)
    if not parts:
        return "the end of the expression"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _bad_token(text: str, tok: Token, tokens: list[Token]) -> ExprError:
    at_end = tok.type == "$END"
    if at_end:
        pos = tokens[-1].end_pos if tokens else 0
        start, end = pos, pos
    else:
        start, end = tok.start_pos, tok.end_pos
    before = [t for t in tokens if t.end_pos <= start]
    expected = accepted_after(before) or set()
    prev = f" after {shown(str(before[-1]))}" if before else ""
    found = "" if at_end else f", found {shown(str(tok))}"
    stack = _open_brackets(tokens, start)
    wants_operand = "NAME" in expected

    def error(message: str, hint: str | None = None) -> ExprError:
        return ExprError(codes.EXPR_SYNTAX, start, end, message, hint)

    if at_end:
        if stack and not wants_operand:
            opener = stack[-1]
            closer = SPELLING[OPENERS[opener.type]]
            return error(
                f"missing '{closer}' to close '{opener}' at {column_text(text, opener.start_pos)}",
                f"add '{closer}' at the end",
            )
        if "ELSE" in expected:
            return error(f"expected 'else'{prev}", "a conditional is written 'a if condition else b'")
        return error(f"expected {_describe(expected)}{prev}")

    if tok.type in CLOSERS:
        if not stack:
            return error(f"unmatched {shown(str(tok))}", "remove it, or add the opening bracket")
        if stack[-1].type != CLOSERS[tok.type]:
            opener = stack[-1]
            closer = SPELLING[OPENERS[opener.type]]
            return error(
                f"expected '{closer}' to close '{opener}' at {column_text(text, opener.start_pos)}{found}"
            )
    if wants_operand:
        hint = _OPERAND_HINTS.get(tok.type)
        if tok.type == "EQUAL" and before and before[-1] in ("<", ">"):
            hint = f"did you mean '{before[-1]}='? (no space inside the operator)"
        return error(f"expected an operand{prev}{found}", hint)
    if tok.type == "EQUAL":
        return error(f"unexpected '='{prev}", "use '==' to compare")
    word = str(tok)
    if tok.type == "NAME" and word in _UNSUPPORTED_WORDS:
        return error(_UNSUPPORTED_WORDS[word])
    hint = None
    if tok.type == "NAME" and word.lower() in KEYWORD_TERMINALS.values():
        hint = f"did you mean '{word.lower()}'?"  # `x AND y`
    return error(f"expected {_describe(expected)}{prev}{found}", hint)
