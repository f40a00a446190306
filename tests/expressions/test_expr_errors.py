"""Syntax errors: a human message and the exact offsets inside the expression text (FF201)."""

from __future__ import annotations

import pytest

from fasthep_flow.document import LineIndex, Pos, ScalarNode, ScalarStyle, Severity, Span, codes
from fasthep_flow.expressions import ExprError, parse

LONG = "NMuon >= 2 and (Muon_Pt[:, 0] > 20 or Muon_Pt[:, 1] > 20) and leading(Muon_Eta, -1) < 3"


def error_of(text: str) -> ExprError:
    result = parse(text)
    assert isinstance(result, ExprError), result
    return result


@pytest.mark.parametrize(
    ("text", "start", "end", "message"),
    [
        ("NMuon >= = 2", 9, 10, "expected an operand after '>=', found '='"),
        ("sqrt(x", 6, 6, "missing ')' to close '(' at column 5"),
        ("x +", 3, 3, "expected an operand after '+'"),
        ("x $ y", 2, 3, "unexpected character '$'"),
        ("", 0, 0, "empty expression"),
        ("   ", 0, 3, "empty expression"),
        ("x y", 2, 3, "expected an operator after 'x', found 'y'"),
        ("f(x y)", 4, 5, "expected an operator, ',' or ')' after 'x', found 'y'"),
        ("f(x]", 3, 4, "expected ')' to close '(' at column 2, found ']'"),
        ("x)", 1, 2, "unmatched ')'"),
        ("x = 2", 2, 3, "unexpected '=' after 'x'"),
        ("a if b", 6, 6, "expected 'else' after 'b'"),
        ("x in y", 2, 4, "'in' tests are not supported in expressions"),
        ('x == "abc', 5, 9, "unterminated string"),
        ("[1, 2]", 0, 1, "expected an operand, found '['"),
        ("where(a, b,, c)", 11, 12, "expected an operand after ',', found ','"),
        ("2x", 1, 2, "expected an operator after '2', found 'x'"),
        ("(a\n + b", 7, 7, "missing ')' to close '(' at column 1"),
        ("a +\n (b", 7, 7, "missing ')' to close '(' at line 2, column 2"),
        # deep inside long expressions
        (LONG.replace("< 3", "< = 3"), 86, 87, "expected an operand after '<', found '='"),
        (LONG.replace("[:, 1]", "[:, 1"), 55, 56, "expected ']' to close '[' at column 46, found ')'"),
        (LONG + " and", 91, 91, "expected an operand after 'and'"),
        (LONG.replace("> 20 or", "> 20 20 or"), 35, 37, "expected an operator or ')' after '20', found '20'"),
        (
            LONG.replace("leading(", "leading(("),
            79,
            80,
            "expected an operator or ')' after 'Muon_Eta', found ','",
        ),
        (LONG.replace("20) and", "20 and"), 86, 86, "missing ')' to close '(' at column 16"),
        (LONG.replace("Muon_Pt[:, 0]", "Muon_Pt[:, 0] ! "), 30, 31, "unexpected character '!'"),
        ("sqrt(Muon_Px ** 2 + * Muon_Py ** 2)", 20, 21, "expected an operand after '+', found '*'"),
    ],
)
def test_message_and_exact_span(text: str, start: int, end: int, message: str) -> None:
    err = error_of(text)
    assert err.code is codes.EXPR_SYNTAX
    assert (err.start, err.end, err.message) == (start, end, message)
    assert 0 <= err.start <= err.end <= len(text)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("x = 2", "use '==' to compare"),
        ("x AND y", "did you mean 'and'?"),
        ("x < = 2", "did you mean '<='? (no space inside the operator)"),
        ("[1, 2]", "list literals are not part of the expression language"),
        ("x ! y", "use 'not' (or '~' on arrays) to negate, and '!=' for 'not equal'"),
        ("x {1}", "sets and dictionaries are not part of the expression language"),
        ("sqrt(x", "add ')' at the end"),
    ],
)
def test_hints(text: str, hint: str) -> None:
    assert error_of(text).hint == hint


def test_error_maps_to_the_document_through_the_scalar() -> None:
    # selection: ["NMuon >= = 2"] — the expression starts at document column 13 (0-based), after the quote
    doc = 'selection: ["NMuon >= = 2"]\n'
    index = LineIndex(doc)
    first = doc.index('"') + 1
    text = "NMuon >= = 2"
    scalar = ScalarNode(
        Span("w.yaml", index.pos(first - 1), index.pos(first + len(text) + 1)),
        index,
        value=text,
        text=text,
        style=ScalarStyle.DOUBLE,
        offsets=tuple(range(first, first + len(text) + 1)),
    )
    diag = error_of(text).to_diagnostic(scalar)
    assert diag.code is codes.EXPR_SYNTAX and diag.severity is Severity.ERROR
    assert (diag.span.start, diag.span.end) == (Pos(0, 22), Pos(0, 23))
    assert doc[22] == "="
