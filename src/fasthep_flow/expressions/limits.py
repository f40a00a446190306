"""Size limits for expressions: refuse what would take forever or all memory before it is ever evaluated.

Arrays have fixed-width elements, so an operation on a column costs what the column costs. The danger is in
Python scalars: ``10 ** 10 ** 10`` is an integer of 33 billion bits (the run hangs building it), and
``dataset_name * 3000000000`` is a 3 GB string. ``limit_errors`` folds the constant parts of an expression
(numbers, strings, unary minus, arithmetic) with these bounds and reports an FF206 at the part that breaks one;
``guarded_pow``, ``guarded_mul`` and ``guarded_mod`` apply the same bounds in the evaluator, for values only
known at run time (a global, a context symbol), so a run refuses rather than hangs. ``%`` on a string (text
formatting, where a width of ``%0999999999d`` is a gigabyte) is refused outright.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.expressions.errors import ExprError
from fasthep_flow.expressions.parsing import Expr
from fasthep_flow.expressions.tree import Binary, Const, Group, Name, Node, Unary

MAX_INT_BITS = 4096
"""Largest integer an expression may compute (~1,233 decimal digits): far beyond any physics constant."""
MAX_STRING_CHARS = 1_000_000
"""Longest string repetition (``"ab" * n``, ``dataset_name * n``) may build."""
STRING_SYMBOLS = frozenset({"dataset", "dataset_name", "file"})
"""Context symbols whose value is a string (so ``*`` by a number repeats it)."""

_FOLD: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
}
_UNKNOWN = object()
_STRING = object()
"""A string whose value is known only at run time (a string context symbol)."""


class LimitExceeded(ValueError):
    """An operation would build a value over a limit (raised by the guards, at run time)."""


def pow_bits(base: object, exponent: object) -> float:
    """About how many bits ``base ** exponent`` has, for integers (0 when small or not integers)."""
    if not (_is_int(base) and _is_int(exponent)):
        return 0.0
    b, e = abs(int(base)), int(exponent)  # type: ignore[call-overload]
    if e <= 0 or b <= 1:
        return 0.0
    return e * math.log2(b)


def repeat_chars(a: object, b: object) -> int:
    """How many characters ``a * b`` builds when one side is a string and the other an integer (else 0)."""
    if isinstance(a, str) and _is_int(b):
        return len(a) * max(int(b), 0)  # type: ignore[call-overload]
    if isinstance(b, str) and _is_int(a):
        return len(b) * max(int(a), 0)  # type: ignore[call-overload]
    return 0


def guarded_pow(a: Any, b: Any) -> Any:
    """``a ** b``, refusing integer results over ``MAX_INT_BITS`` (the evaluator's ``**``)."""
    if pow_bits(a, b) > MAX_INT_BITS:
        raise LimitExceeded(f"the result would be an integer of about {pow_bits(a, b):,.0f} bits")
    return operator.pow(a, b)


def guarded_mod(a: Any, b: Any) -> Any:
    """``a % b``, refusing ``%`` string formatting (a width such as ``%0999999999d`` builds gigabytes)."""
    if isinstance(a, str):
        raise LimitExceeded("'%' on a string formats text, which expressions do not do")
    return operator.mod(a, b)


def guarded_mul(a: Any, b: Any) -> Any:
    """``a * b``, refusing string repetition over ``MAX_STRING_CHARS`` and integers over ``MAX_INT_BITS``."""
    chars = repeat_chars(a, b)
    if chars > MAX_STRING_CHARS:
        raise LimitExceeded(f"the result would be a string of {chars:,} characters")
    if _is_int(a) and _is_int(b) and _bits(a) + _bits(b) > MAX_INT_BITS + 1:
        raise LimitExceeded("the result would be an integer too large to compute")
    return operator.mul(a, b)


def limit_errors(expr: Expr) -> list[ExprError]:
    """FF206 for each constant part of ``expr`` that would exceed a limit (folding stops there)."""
    errors: list[ExprError] = []
    values: dict[int, object] = {}
    for node in _post_order(expr.tree):
        values[id(node)] = _fold(node, values, errors, expr.text)
    return errors


def _fold(node: Node, values: dict[int, object], errors: list[ExprError], text: str) -> object:
    if isinstance(node, Const):
        if node.kind in ("number", "string") and isinstance(node.value, int | float | str):
            return node.value
        return _UNKNOWN
    if isinstance(node, Name):
        return _STRING if node.id in STRING_SYMBOLS else _UNKNOWN
    if isinstance(node, Group):
        return values.get(id(node.inner), _UNKNOWN)
    if isinstance(node, Unary):
        value = values.get(id(node.operand), _UNKNOWN)
        if node.op == "-" and _is_number(value):
            return -value  # type: ignore[operator]
        return value if node.op == "+" and _is_number(value) else _UNKNOWN
    if not isinstance(node, Binary):
        return _UNKNOWN
    a, b = values.get(id(node.left), _UNKNOWN), values.get(id(node.right), _UNKNOWN)
    snippet = text[node.start : node.end]
    if node.op == "**":
        bits = pow_bits(a, b)
        if bits > MAX_INT_BITS:
            errors.append(_too_big(node, f"'{_short(snippet)}' is an integer of about {bits:,.0f} bits"))
            return _UNKNOWN
        if _is_number(a) and _is_number(b):
            return _safely(operator.pow, a, b)
        return _UNKNOWN
    if node.op == "*":
        n = b if a is _STRING else a if b is _STRING else None
        times = int(n) if n is not None and _is_int(n) else 0  # type: ignore[call-overload]
        if times > MAX_STRING_CHARS:
            errors.append(_too_big(node, f"'{_short(snippet)}' repeats a string {times:,} times"))
            return _UNKNOWN
        chars = repeat_chars(a, b)
        if chars > MAX_STRING_CHARS:
            errors.append(_too_big(node, f"'{_short(snippet)}' builds a string of {chars:,} characters"))
            return _UNKNOWN
        if n is not None:
            return _STRING
    if node.op == "%" and (isinstance(a, str) or a is _STRING):
        # `"%0999999999d" % x` builds a gigabyte of text: expressions compute values, they do not format text
        errors.append(
            _too_big(node, f"'{_short(snippet)}' formats a string with '%', which expressions do not do")
        )
        return _UNKNOWN
    fold = _FOLD.get(node.op)
    if fold is None or a is _UNKNOWN or b is _UNKNOWN or a is _STRING or b is _STRING:
        return _STRING if node.op == "+" and _STRING in (a, b) else _UNKNOWN
    result = _safely(fold, a, b)
    if _is_int(result) and _bits(result) > MAX_INT_BITS:
        errors.append(_too_big(node, f"'{_short(snippet)}' is an integer of more than {MAX_INT_BITS:,} bits"))
        return _UNKNOWN
    if isinstance(result, str) and len(result) > MAX_STRING_CHARS:
        errors.append(_too_big(node, f"'{_short(snippet)}' builds a string of {len(result):,} characters"))
        return _UNKNOWN
    return result


def _safely(fn: Callable[[Any, Any], Any], a: Any, b: Any) -> object:
    try:
        return fn(a, b)
    except (ArithmeticError, TypeError, ValueError):
        return _UNKNOWN  # 1 / 0, "a" - 1...: the run (or another check) says what is wrong


def _too_big(node: Node, message: str, *, computed: bool = True) -> ExprError:
    return ExprError(
        codes.EXPR_LIMIT,
        node.start,
        node.end,
        f"{message}: too large to compute" if computed else message,
        hint=f"expressions may build integers of up to {MAX_INT_BITS:,} bits and strings of up to "
        f"{MAX_STRING_CHARS:,} characters",
    )


def _post_order(root: Node) -> list[Node]:
    """Children before parents, without recursion (expressions can be long chains)."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children())
    out.reverse()
    return out


def _is_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return (
        type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0 and "int" in type(value).__name__
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bits(value: object) -> int:
    return abs(int(value)).bit_length()  # type: ignore[call-overload]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
