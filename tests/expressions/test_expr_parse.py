"""Parsing: symbols and functions read, spans, semantic tokens, and Python precedence checked numerically."""

from __future__ import annotations

import numpy as np
import pytest

from fasthep_flow.expressions import Expr, ExprError, compile_expr, parse
from fasthep_flow.expressions.grammar import parser
from fasthep_flow.expressions.tree import (
    BoolOp,
    Call,
    Compare,
    Conditional,
    Const,
    IndexTuple,
    Name,
    Slice,
    Subscript,
)
from fasthep_flow.resources import shipped


def parsed(text: str) -> Expr:
    result = parse(text)
    assert isinstance(result, Expr), result
    return result


@pytest.mark.parametrize(
    ("text", "symbols", "functions"),
    [
        ("NMuon", {"NMuon"}, set()),
        ("sqrt(Muon_Px ** 2 + Muon_Py ** 2)", {"Muon_Px", "Muon_Py"}, {"sqrt"}),
        ("(Muon_Iso / Muon_Pt) < iso_cut", {"Muon_Iso", "Muon_Pt", "iso_cut"}, set()),
        ("NIsoMuon >= 2", {"NIsoMuon"}, set()),
        ("Dimuon.dimuon & (NMuon < 5)", {"Dimuon.dimuon", "NMuon"}, set()),
        ("a.b.c > 1", {"a.b.c"}, set()),
        ("leading(Muon_Pt, -1) > 20", {"Muon_Pt"}, {"leading"}),
        ("where(IsoMuon, Muon_Pt, 0)", {"IsoMuon", "Muon_Pt"}, {"where"}),
        ("pad_none(Jet_Pt, 2, clip=True)[:, 0]", {"Jet_Pt"}, {"pad_none"}),
        ("x[mask]", {"x", "mask"}, set()),
        ("x[1:]", {"x"}, set()),
        ("x[::2]", {"x"}, set()),
        ("x[..., 0]", {"x"}, set()),
        ("not (a and b) or c", {"a", "b", "c"}, set()),
        ("a && b || not c", {"a", "b", "c"}, set()),
        ("1e-3 * .5 + 2. - 3", set(), set()),
        ("True and false or None", set(), set()),
        ("dataset == 'data' and dataset_name != \"dy\"", {"dataset", "dataset_name"}, set()),
        ("x if NMuon > 1 else y", {"x", "NMuon", "y"}, set()),
        ("sqrt(abs(log(exp(x))))", {"x"}, {"sqrt", "abs", "log", "exp"}),
        ("x.sum()", {"x"}, set()),
        ("Müon_pt > 1", {"Müon_pt"}, set()),
        ("android > 1", {"android"}, set()),
        ("a\n  + b", {"a", "b"}, set()),
    ],
)
def test_symbols_and_functions(text: str, symbols: set[str], functions: set[str]) -> None:
    expr = parsed(text)
    assert expr.symbols == symbols
    assert expr.functions == functions
    assert expr.text == text


def test_parse_is_cached_per_string() -> None:
    assert parse("NMuon >= 2 and x < 1") is parse("NMuon >= 2 and x < 1")
    assert parser() is parser()


def test_grammar_is_the_shipped_file() -> None:
    text = shipped("grammar", "expression.lark").read_text(encoding="utf-8")
    assert "?comparison:" in text and "// " in text  # a commented, human-readable grammar


def test_dotted_field_is_one_symbol_with_its_full_span() -> None:
    expr = parsed("Dimuon.dimuon & (x > Dimuon.dimuon)")
    assert expr.symbol_spans() == [("Dimuon.dimuon", 0, 13), ("x", 17, 18), ("Dimuon.dimuon", 21, 34)]
    name = expr.tree.left  # type: ignore[attr-defined]
    assert isinstance(name, Name)
    assert [(p.text, p.start, p.end) for p in name.parts] == [("Dimuon", 0, 6), ("dimuon", 7, 13)]


def test_dunder_names_are_not_symbols() -> None:
    # check() reports them (FF202); the compiler must not also call them unknown fields
    assert parsed("__builtins__ > 0 and x.__class__ == y").symbols == {"y"}


def test_symbol_spans_skip_called_names_and_keyword_names() -> None:
    expr = parsed("pad_none(Jet_Pt, 2, clip=clip_it)")
    assert expr.symbol_spans() == [("Jet_Pt", 9, 15), ("clip_it", 25, 32)]
    assert expr.function_spans() == [("pad_none", 0, 8)]


def test_ast_shapes_and_spans() -> None:
    expr = parsed("0 < x <= 5")
    assert isinstance(expr.tree, Compare)
    assert expr.tree.ops == ("<", "<=")
    assert (expr.tree.start, expr.tree.end) == (0, 10)

    sub = parsed("Muon_Pt[:, 0]").tree
    assert isinstance(sub, Subscript) and isinstance(sub.index, IndexTuple)
    first, second = sub.index.items
    assert isinstance(first, Slice) and (first.start, first.end) == (8, 9)
    assert isinstance(second, Const) and second.value == 0

    call = parsed("leading(x, default=-1)").tree
    assert isinstance(call, Call)
    assert [k.name.text for k in call.keywords] == ["default"]
    assert (call.start, call.end) == (0, 22)

    cond = parsed("a if c else b").tree
    assert isinstance(cond, Conditional)
    assert (cond.body.start, cond.test.start, cond.orelse.start) == (0, 5, 12)

    both = parsed("a && b and c").tree
    assert isinstance(both, BoolOp) and both.op == "and" and len(both.values) == 3


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'a\\tb'", "a\tb"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("r'a\\tb'", "a\\tb"),
        ("'\\x41\\u00e9'", "Aé"),
        ("'\\q'", "\\q"),
        ("12", 12),
        ("1.5e3", 1500.0),
        (".5", 0.5),
        ("true", True),
        ("False", False),
        ("None", None),
    ],
)
def test_literals(text: str, value: object) -> None:
    node = parsed(text).tree
    assert isinstance(node, Const)
    assert node.value == value and type(node.value) is type(value)


def test_tokens_for_semantic_highlighting() -> None:
    text = "sqrt(Dimuon.dimuon ** 2) > 1.5 and not flag == 'x'"
    kinds = [(kind, text[s:e]) for kind, s, e in parsed(text).tokens()]
    assert kinds == [
        ("function", "sqrt"),
        ("field", "Dimuon.dimuon"),
        ("operator", "**"),
        ("number", "2"),
        ("operator", ">"),
        ("number", "1.5"),
        ("keyword", "and"),
        ("keyword", "not"),
        ("field", "flag"),
        ("operator", "=="),
        ("string", "'x'"),
    ]


def test_tokens_mark_constants_as_keywords_and_method_names_as_functions() -> None:
    text = "x.sum() if True else y"
    kinds = [(kind, text[s:e]) for kind, s, e in parsed(text).tokens()]
    assert kinds == [
        ("field", "x"),
        ("function", "sum"),
        ("keyword", "if"),
        ("keyword", "True"),
        ("keyword", "else"),
        ("field", "y"),
    ]


# Python precedence, checked by evaluating on arrays and comparing with NumPy written out by hand.
A = np.array([1.0, 2.0, 3.0, 4.0])
B = np.array([4.0, 3.0, 2.0, 1.0])
C = np.array([2.0, 2.0, 5.0, 0.5])
I = np.array([1, 2, 3, 4])  # noqa: E741
J = np.array([3, 1, 6, 2])
ENV = {"a": A, "b": B, "c": C, "i": I, "j": J}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", A + (B * C)),
        ("a * b + c", (A * B) + C),
        ("a - b - c", (A - B) - C),
        ("a / b / c", (A / B) / C),
        ("-a ** 2", -(A**2)),
        ("a ** -1", A ** (-1)),
        ("2 ** 3 ** 2", np.float64(2 ** (3**2))),
        ("a ** b ** 0.5", A ** (B**0.5)),
        ("(a + b) * c", (A + B) * C),
        ("i // j * 2 % 5", ((I // J) * 2) % 5),
        ("i | j & i ^ j", I | ((J & I) ^ J)),
        ("i & j + 1", I & (J + 1)),
        ("i ^ j | i", (I ^ J) | I),
        ("~i + 1", (~I) + 1),
        ("a < b == c < 5", (A < B) & (B == C) & (C < 5)),
        ("0 < a < 3", (A > 0) & (A < 3)),
        ("a > 1 and b > 1 or c > 4", ((A > 1) & (B > 1)) | (C > 4)),
        ("a > 1 && b > 1 || c > 4", ((A > 1) & (B > 1)) | (C > 4)),
        ("not a > 2 and b > 1", (~(A > 2)) & (B > 1)),
        ("not a > 2 or b > 3", (~(A > 2)) | (B > 3)),
        ("a if a > b else b", np.where(A > B, A, B)),
        ("a + 1 if c > 1 else b * 2", np.where(C > 1, A + 1, B * 2)),
        ("a if c > 4 else b if c > 1 else c", np.where(C > 4, A, np.where(C > 1, B, C))),
        ("a * b > c + 1 == True", ((A * B) > (C + 1)) & ((C + 1) == True)),  # noqa: E712
    ],
)
def test_precedence_matches_python(text: str, expected: np.ndarray) -> None:
    got = compile_expr(parsed(text), {})(ENV)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_whitespace_only_is_an_error_not_an_expression() -> None:
    assert isinstance(parse("   "), ExprError)
