"""``compile_expr``: an AST to a closure that evaluates it on columns (awkward / NumPy arrays) and globals.

The closure tree mirrors the AST: each node becomes a small function of the symbol mapping. Names are looked
up in that mapping, functions come only from the table the caller passes (the registry's), operators are the
``operator`` module's, and ``and``/``or``/``not``/chained comparisons/``if else`` become element-wise logic.
There is no ``eval``, ``exec`` or ``compile()``: text never becomes Python code.

NumPy (and awkward, only when an operand is an awkward array) are imported inside functions, so that importing
this module — and ``fasthep-flow check`` — stays fast.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fasthep_flow.document import Code, InternalError, codes
from fasthep_flow.expressions.checks import unsafe_errors
from fasthep_flow.expressions.limits import LimitExceeded, guarded_mod, guarded_mul, guarded_pow
from fasthep_flow.expressions.parsing import Expr
from fasthep_flow.expressions.tree import (
    Binary,
    BoolOp,
    Call,
    Compare,
    Conditional,
    Const,
    Field,
    Group,
    IndexTuple,
    Keyword,
    Name,
    Node,
    Slice,
    Subscript,
    Unary,
    unwrap,
)

Evaluator = Callable[[Mapping[str, Any]], Any]

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": guarded_mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": guarded_mod,
    "**": guarded_pow,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_UNARY: dict[str, Callable[[Any], Any]] = {"-": operator.neg, "+": operator.pos, "~": operator.invert}
_SCALARS = (bool, int, float, complex, str, bytes, type(None))


class EvalError(Exception):
    """Evaluating an expression failed at ``[start, end)`` of its text: the runtime turns it into a diagnostic.

    ``code`` is FF403 when a symbol is missing from the data, FF401 when an operation or function failed (the
    original exception is the ``__cause__``).
    """

    def __init__(self, code: Code, start: int, end: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.start = start
        self.end = end
        self.message = message


def compile_expr(expr: Expr, functions: Mapping[str, Callable[..., Any]]) -> Evaluator:
    """A function of a symbol mapping that computes ``expr``; call ``check`` first.

    Compiling an expression that ``check`` rejects as unsafe, or that calls a function missing from
    ``functions``, is a bug of the caller and raises ``InternalError``.
    """
    unsafe = unsafe_errors(expr)
    if unsafe:
        raise InternalError(f"bug: compile_expr called on an unsafe expression ({unsafe[0].message})")
    import numpy as np

    return _Compiler(expr.text, functions, np).build(expr.tree)


def _is_scalar(value: object) -> bool:
    if isinstance(value, _SCALARS):
        return True
    module = type(value).__module__
    return module == "numpy" and getattr(value, "ndim", 1) == 0


def _is_awkward(value: object) -> bool:
    return type(value).__module__.startswith("awkward")


def _apply(op: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``op(*args)``; with a jagged operand, first by the flat-contents shortcut of ``jagged.elementwise``
    (same numbers, without awkward's general broadcasting), else by awkward itself."""
    if any(_is_awkward(a) for a in args):
        from fasthep_flow.expressions.jagged import elementwise

        result = elementwise(op, args)
        if result is not None:
            return result
    return op(*args)


class _Compiler:
    def __init__(self, text: str, functions: Mapping[str, Callable[..., Any]], np: Any) -> None:
        self.text = text
        self.functions = functions
        self.np = np

    def build(self, node: Node) -> Evaluator:
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise InternalError(f"bug: the evaluator cannot compile {type(node).__name__} nodes")
        return method(node)

    def _failed(self, node: Node, exc: Exception) -> EvalError:
        snippet = self.text[node.start : node.end]
        code = codes.EXPR_LIMIT if isinstance(exc, LimitExceeded) else codes.STAGE_FAILED
        return EvalError(code, node.start, node.end, f"evaluating '{snippet}' failed: {exc}")

    # ------------------------------------------------------------------ leaves

    def _const(self, node: Const) -> Evaluator:
        value = node.value
        return lambda env: value

    def _name(self, node: Name) -> Evaluator:
        key, start, end = node.id, node.start, node.end

        def load(env: Mapping[str, Any]) -> Any:
            try:
                return env[key]
            except KeyError:
                raise EvalError(
                    codes.RUNTIME_MISSING_FIELD, start, end, f"'{key}' is not in the data or the globals"
                ) from None

        return load

    def _group(self, node: Group) -> Evaluator:
        return self.build(node.inner)

    # ------------------------------------------------------------------ operators

    def _guarded(self, node: Node, run: Evaluator) -> Evaluator:
        """Wrap ``run`` so that an error in this operation says where in the expression it happened."""

        def guarded(env: Mapping[str, Any]) -> Any:
            try:
                return run(env)
            except EvalError:
                raise
            except Exception as exc:
                raise self._failed(node, exc) from exc

        return guarded

    def _unary(self, node: Unary) -> Evaluator:
        operand = self.build(node.operand)
        if node.op == "not":
            logical_not = self._logical_not
            return self._guarded(node, lambda env: logical_not(operand(env)))
        op = _UNARY[node.op]
        return self._guarded(node, lambda env: _apply(op, (operand(env),)))

    def _binary(self, node: Binary) -> Evaluator:
        left, right, op = self.build(node.left), self.build(node.right), _BINARY[node.op]
        return self._guarded(node, lambda env: _apply(op, (left(env), right(env))))

    def _compare(self, node: Compare) -> Evaluator:
        first = self.build(node.left)
        steps = [(_BINARY[op], self.build(c)) for op, c in zip(node.ops, node.comparators, strict=True)]
        logical_and = self._logical_and

        def compare(env: Mapping[str, Any]) -> Any:
            left = first(env)
            result: Any = None
            for op, get in steps:
                right = get(env)
                step = _apply(op, (left, right))
                result = step if result is None else logical_and(result, step)
                left = right
            return result

        return self._guarded(node, compare)

    def _boolop(self, node: BoolOp) -> Evaluator:
        parts = [self.build(v) for v in node.values]
        combine = self._logical_and if node.op == "and" else self._logical_or

        def boolean(env: Mapping[str, Any]) -> Any:
            result = parts[0](env)
            for part in parts[1:]:
                result = combine(result, part(env))
            return result

        return self._guarded(node, boolean)

    def _conditional(self, node: Conditional) -> Evaluator:
        body, test, orelse, np = (
            self.build(node.body),
            self.build(node.test),
            self.build(node.orelse),
            self.np,
        )

        def conditional(env: Mapping[str, Any]) -> Any:
            cond = test(env)
            if _is_scalar(cond):  # one value for the whole partition: evaluate one branch only
                return body(env) if cond else orelse(env)
            a, b = body(env), orelse(env)
            if _is_awkward(cond) or _is_awkward(a) or _is_awkward(b):
                import awkward as ak

                return ak.where(cond, a, b)
            return np.where(cond, a, b)

        return self._guarded(node, conditional)

    def _logical_and(self, a: Any, b: Any) -> Any:
        if _is_scalar(a) and _is_scalar(b):
            return bool(a) and bool(b)
        return self.np.logical_and(a, b)

    def _logical_or(self, a: Any, b: Any) -> Any:
        if _is_scalar(a) and _is_scalar(b):
            return bool(a) or bool(b)
        return self.np.logical_or(a, b)

    def _logical_not(self, a: Any) -> Any:
        if _is_scalar(a):
            return not a
        return self.np.logical_not(a)

    # ------------------------------------------------------------------ calls, subscripts, fields

    def _call(self, node: Call) -> Evaluator:
        func = unwrap(node.func)
        if not isinstance(func, Name) or len(func.parts) != 1:
            raise InternalError("bug: only calls of plain function names reach the evaluator")
        if func.id not in self.functions:
            raise InternalError(f"bug: compile_expr called without function '{func.id}' (check() reports it)")
        fn = self.functions[func.id]
        positional = [self.build(a) for a in node.positional]
        keywords = [(k.name.text, self.build(k.value)) for k in node.keywords]
        if not keywords and type(fn) is self.np.ufunc and fn.nout == 1:  # sqrt, abs, arctan2...

            def ufunc(env: Mapping[str, Any]) -> Any:
                return _apply(fn, [a(env) for a in positional])

            return self._guarded(node, ufunc)

        def call(env: Mapping[str, Any]) -> Any:
            return fn(*[a(env) for a in positional], **{name: v(env) for name, v in keywords})

        return self._guarded(node, call)

    def _keyword(self, node: Keyword) -> Evaluator:
        raise InternalError("bug: keyword arguments are compiled by their call")

    def _subscript(self, node: Subscript) -> Evaluator:
        value, index = self.build(node.value), self.build(node.index)
        return self._guarded(node, lambda env: value(env)[index(env)])

    def _slice(self, node: Slice) -> Evaluator:
        parts = [None if p is None else self.build(p) for p in (node.lower, node.upper, node.step)]
        lower, upper, step = (p if p is not None else (lambda env: None) for p in parts)
        return lambda env: slice(lower(env), upper(env), step(env))

    def _indextuple(self, node: IndexTuple) -> Evaluator:
        items = [self.build(i) for i in node.items]
        return lambda env: tuple(i(env) for i in items)

    def _field(self, node: Field) -> Evaluator:
        # a record field such as `x[0].pt` is read by item access: getattr could reach Python attributes
        value, attr = self.build(node.value), node.attr.text
        return self._guarded(node, lambda env: value(env)[attr])
