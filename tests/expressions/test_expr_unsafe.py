"""Unsafe constructs are reported (FF202/FF203) and never executed; no eval/exec/compile is ever reached."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from fasthep_flow.document import InternalError, codes
from fasthep_flow.expressions import Expr, ExprError, FunctionSig, check, compile_expr, expected_at, parse
from fasthep_flow.expressions.grammar import parser

SIGS = {
    "sqrt": FunctionSig("sqrt", 1, 1),
    "sum": FunctionSig("sum", 1, 1),
    "where": FunctionSig("where", 3, 3),
}
FUNCS: dict[str, Callable[..., Any]] = {"sqrt": np.sqrt, "sum": np.sum, "where": np.where}


def problems(text: str) -> list[ExprError]:
    """The parse error, or the check errors, of ``text``."""
    result = parse(text)
    if isinstance(result, ExprError):
        return [result]
    return check(result, SIGS)


@pytest.mark.parametrize(
    ("text", "code", "start", "end", "message"),
    [
        ("__import__('os')", codes.EXPR_UNSAFE, 0, 10, "name '__import__' is not allowed"),
        ("x.__class__", codes.EXPR_UNSAFE, 2, 11, "name '__class__' is not allowed"),
        ("x.__dict__ > 1", codes.EXPR_UNSAFE, 2, 10, "name '__dict__' is not allowed"),
        ("x[0].__class__", codes.EXPR_UNSAFE, 5, 14, "name '__class__' is not allowed"),
        ("lambda: 1", codes.EXPR_UNSAFE, 0, 6, "lambda expressions are not allowed"),
        ("(lambda: 0)()", codes.EXPR_UNSAFE, 1, 7, "lambda expressions are not allowed"),
        ("sqrt(lambda x: x)", codes.EXPR_UNSAFE, 5, 11, "lambda expressions are not allowed"),
        ("[x for x in y]", codes.EXPR_UNSAFE, 3, 6, "comprehensions are not allowed"),
        ("sum(v for v in x) > 1", codes.EXPR_UNSAFE, 6, 9, "comprehensions are not allowed"),
        ("x.sum()", codes.EXPR_UNSAFE, 0, 7, "method calls such as 'x.sum()' are not allowed"),
        (
            "Muon.pt.sum() > 2",
            codes.EXPR_UNSAFE,
            0,
            13,
            "method calls such as 'Muon.pt.sum()' are not allowed",
        ),
        ("sqrt(**kw)", codes.EXPR_UNSAFE, 5, 9, "keyword unpacking ('**kw') is not allowed"),
        ("where(*args)", codes.EXPR_UNSAFE, 6, 11, "argument unpacking ('*args') is not allowed"),
        ("(y := x) > 1", codes.EXPR_UNSAFE, 3, 5, "assignment expressions (':=') are not allowed"),
        ("f'{x}' == 'a'", codes.EXPR_UNSAFE, 0, 6, "f-strings are not allowed"),
        ("sqrt(x)(y)", codes.EXPR_UNSAFE, 0, 7, "only registered functions can be called, not 'sqrt(x)'"),
        ("(a.b)(x)", codes.EXPR_UNSAFE, 1, 4, "only registered functions can be called, not 'a.b'"),
        ("open('f')", codes.UNKNOWN_FUNCTION, 0, 4, "unknown function 'open'"),
        ("eval('1')", codes.UNKNOWN_FUNCTION, 0, 4, "unknown function 'eval'"),
    ],
)
def test_unsafe_constructs_are_reported(
    text: str, code: codes.Code, start: int, end: int, message: str
) -> None:
    found = problems(text)
    assert [(e.code, e.start, e.end, e.message) for e in found] == [(code, start, end, message)]


def test_method_call_hint_names_the_function_when_there_is_one() -> None:
    (err,) = problems("Muon_Pt.sum()")
    assert err.hint == "use the function instead: 'sum(Muon_Pt)'"


@pytest.mark.parametrize("text", ["__import__('os')", "x.__class__", "x.sum()", "f'{x}'", "sqrt(x)(y)"])
def test_compile_refuses_what_check_rejects(text: str) -> None:
    expr = parse(text)
    assert isinstance(expr, Expr)
    with pytest.raises(InternalError, match=r"^bug: "):
        compile_expr(expr, FUNCS)


def test_compile_refuses_functions_missing_from_the_table() -> None:
    expr = parse("open('f')")
    assert isinstance(expr, Expr)
    with pytest.raises(InternalError, match="open"):
        compile_expr(expr, FUNCS)


@pytest.fixture
def forbidden_builtins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Replace eval/exec/compile with functions that record and refuse any call."""
    calls: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: object, **kwargs: object) -> Any:
            calls.append(name)
            raise AssertionError(f"{name}() was called")

        return refused

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse(name))
    yield calls


EXPRESSIONS = [
    "sqrt(x ** 2 + y ** 2)",
    "0 < x < 2 and not y > 3 or x == y",
    "where(x > 1, x, -y)[1:]",
    "x if x > y else y",
    "'a\\tb' == 'c'",
    "__import__('os')",
    "x.__class__",
    "lambda: 1",
    "[x for x in y]",
    "x.sum()",
    "open('f')",
    "(lambda: 0)()",
    "sqrt(**kw)",
    "f'{x}'",
    "x $ y",
    "sqrt(x",
]


@pytest.fixture
def built_parser() -> None:
    """Build the parser first: Lark reads the string literals of *our shipped grammar* with ast.literal_eval
    (which compiles). That is trusted text of the package; what must never compile is workflow content."""
    parser()


def test_no_eval_exec_or_compile_is_reached(built_parser: None, forbidden_builtins: list[str]) -> None:
    parse.cache_clear()  # parse for real, not from the cache
    env = {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([3.0, 2.0, 1.0])}
    evaluated = 0
    for text in EXPRESSIONS:
        result = parse(text)
        expected_at(text, len(text) // 2)
        if isinstance(result, ExprError):
            continue
        result.tokens()
        if check(result, SIGS):
            with pytest.raises(InternalError):
                compile_expr(result, FUNCS)
            continue
        compile_expr(result, FUNCS)(env)
        evaluated += 1
    assert evaluated == 5
    assert forbidden_builtins == []
    parse.cache_clear()
