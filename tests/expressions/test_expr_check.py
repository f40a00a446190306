"""check(): unknown functions with a did-you-mean (FF203), arity and keywords (FF204), clean expressions."""

from __future__ import annotations

import pytest

from fasthep_flow.document import codes
from fasthep_flow.expressions import Expr, ExprError, FunctionSig, check, did_you_mean, parse

SIGS = {
    "sqrt": FunctionSig("sqrt", 1, 1, "Square root."),
    "leading": FunctionSig("leading", 1, 2, "First stored element.", ("x", "default")),
    "pad_none": FunctionSig("pad_none", 2, 3, "Pad lists with None.", ("x", "target", "clip")),
    "where": FunctionSig("where", 3, 3),
    "max_of": FunctionSig("max_of", 1, None),
}


def checked(text: str) -> list[tuple[str, int, int, str, str | None]]:
    expr = parse(text)
    assert isinstance(expr, Expr), expr
    return [(e.code.id, e.start, e.end, e.message, e.hint) for e in check(expr, SIGS)]


@pytest.mark.parametrize(
    "text",
    [
        "sqrt(Muon_Px ** 2 + Muon_Py ** 2)",
        "leading(Muon_Pt, -1) > 20",
        "leading(Muon_Pt, default=-1)",
        "pad_none(Jet_Pt, 2, clip=True)[:, 0]",
        "where(a > 1, a, b)",
        "max_of(a, b, c, d)",
        "Dimuon.dimuon and (NMuon < 5)",
        "x if dataset == 'data' else y",
    ],
)
def test_clean_expressions_have_no_problems(text: str) -> None:
    assert checked(text) == []


def test_unknown_function_with_did_you_mean() -> None:
    assert checked("sqr(x) + 1") == [
        ("FF203", 0, 3, "unknown function 'sqr'", "did you mean 'sqrt'?"),
    ]
    assert checked("x + Sqrt(y)")[0][4] == "did you mean 'sqrt'?"


def test_unknown_function_without_close_match_lists_what_exists() -> None:
    ((code, start, end, message, hint),) = checked("open('f')")
    assert (code, start, end, message) == ("FF203", 0, 4, "unknown function 'open'")
    assert hint == "available functions: leading, max_of, pad_none, sqrt, where"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqrt(x, y)", ("FF204", 0, 10, "sqrt() takes 1 argument, got 2", None)),
        ("sqrt()", ("FF204", 0, 6, "sqrt() takes 1 argument, got 0", None)),
        ("1 + where(a, b)", ("FF204", 4, 15, "where() takes 3 arguments, got 2", None)),
        (
            "pad_none(x, 2, True, 4, 5)",
            ("FF204", 0, 26, "pad_none() takes 2 to 3 arguments, got 5", "usage: pad_none(x, target, clip)"),
        ),
        ("max_of()", ("FF204", 0, 8, "max_of() takes at least 1 argument, got 0", None)),
        (
            "pad_none(x, 2, clp=True)",
            ("FF204", 15, 18, "pad_none() has no parameter 'clp'", "did you mean 'clip'?"),
        ),
        ("leading(x, x=1)", ("FF204", 11, 14, "leading() got two values for 'x'", None)),
        (
            "leading(default=1, x)",
            ("FF201", 19, 20, "positional argument after a keyword argument", "move it before 'default='"),
        ),
    ],
)
def test_arity_and_keywords(text: str, expected: tuple[str, int, int, str, str | None]) -> None:
    found = checked(text)
    assert expected in found, found


def test_errors_come_in_text_order_and_nested_calls_are_checked() -> None:
    found = checked("where(sqr(x), __y__, sqrt(a, b))")
    assert [(code, start) for code, start, *_ in found] == [("FF203", 6), ("FF202", 14), ("FF204", 21)]


def test_check_with_an_empty_table_reports_every_call() -> None:
    expr = parse("sqrt(x)")
    assert isinstance(expr, Expr)
    (err,) = check(expr, {})
    assert err.code is codes.UNKNOWN_FUNCTION and err.hint == "no expression functions are registered"


def test_did_you_mean() -> None:
    assert did_you_mean("Muon_pt", ["Muon_Pt", "Muon_Eta"]) == "Muon_Pt"
    assert did_you_mean("lead", ["leading", "where"]) == "leading"
    assert did_you_mean("zzz", ["leading", "where"]) is None


def test_parse_errors_are_not_check_input() -> None:
    assert isinstance(parse("sqrt(x"), ExprError)
