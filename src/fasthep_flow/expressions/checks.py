"""``check(expr, functions)``: what a parsed expression may not do, found without any data.

Unsafe constructs that parse (dunder names, method calls, f-strings) are FF202; a call of a name the function
table does not hold is FF203 with a did-you-mean; a wrong number of arguments, or a keyword the function does
not take, is FF204. The table comes from the registry, so the same expression can be fine for one workflow and
wrong for another that loads fewer plugins.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fasthep_flow.document import codes
from fasthep_flow.expressions.errors import ExprError, shown
from fasthep_flow.expressions.limits import limit_errors
from fasthep_flow.expressions.parsing import Expr
from fasthep_flow.expressions.tree import Call, Const, Field, Keyword, Name, Node, is_dunder, unwrap, walk


@dataclass(frozen=True, slots=True)
class FunctionSig:
    """What the checker, hover and completion know about an expression function.

    ``params`` (optional) names the parameters in order; when given, keyword arguments are checked against it
    and hover can show ``pad_none(x, target, clip)``.
    """

    name: str
    min_args: int
    max_args: int | None
    doc: str = ""
    params: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        if self.params:
            return f"{self.name}({', '.join(self.params)})"
        return f"{self.name}(...)" if self.max_args != 0 else f"{self.name}()"

    def takes(self) -> str:
        """'1 argument', '2 to 3 arguments', 'at least 1 argument'."""
        if self.max_args is None:
            return f"at least {_plural(self.min_args)}"
        if self.min_args == self.max_args:
            return _plural(self.min_args)
        return f"{self.min_args} to {self.max_args} arguments"


def _plural(n: int) -> str:
    return f"{n} argument" if n == 1 else f"{n} arguments"


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``word`` (case differences first), or None."""
    pool = sorted(set(candidates))
    for candidate in pool:
        if candidate.lower() == word.lower():
            return candidate
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return close[0] if close else None


def check(expr: Expr, functions: Mapping[str, FunctionSig]) -> list[ExprError]:
    """Every problem in ``expr`` given the function table, in text order (empty when it may be evaluated)."""
    errors: list[ExprError] = []
    for node in walk(expr.tree):
        if isinstance(node, Name):
            errors.extend(
                _dunder(part.text, part.start, part.end) for part in node.parts if is_dunder(part.text)
            )
        elif isinstance(node, Field) and is_dunder(node.attr.text):
            errors.append(_dunder(node.attr.text, node.attr.start, node.attr.end))
        elif isinstance(node, Keyword) and is_dunder(node.name.text):
            errors.append(_dunder(node.name.text, node.name.start, node.name.end))
        elif isinstance(node, Const) and node.kind == "fstring":
            errors.append(
                ExprError(
                    codes.EXPR_UNSAFE,
                    node.start,
                    node.end,
                    "f-strings are not allowed",
                    "use a plain string: expressions do not interpolate values into text",
                )
            )
        elif isinstance(node, Call):
            errors.extend(_check_call(expr.text, node, functions))
    errors.extend(limit_errors(expr))
    return sorted(errors, key=lambda e: (e.start, e.end, e.code.id))


def unsafe_errors(expr: Expr) -> list[ExprError]:
    """The FF202 problems alone: what must never reach the evaluator, whatever the function table."""
    return [e for e in check(expr, {}) if e.code is codes.EXPR_UNSAFE]


def _dunder(name: str, start: int, end: int) -> ExprError:
    return ExprError(
        codes.EXPR_UNSAFE,
        start,
        end,
        f"name '{name}' is not allowed",
        "names that start and end with '__' reach into Python internals",
    )


def _check_call(text: str, call: Call, functions: Mapping[str, FunctionSig]) -> list[ExprError]:
    func = unwrap(call.func)
    if isinstance(func, Field):
        attr = func.attr.text
        receiver = text[func.value.start : func.value.end]
        hint = (
            f"use the function instead: '{attr}({receiver})'"
            if attr in functions
            else "only registered functions can be called, e.g. 'sqrt(x)'"
        )
        return [
            ExprError(
                codes.EXPR_UNSAFE,
                call.start,
                call.end,
                f"method calls such as {shown(text[call.start : call.end])} are not allowed",
                hint,
            )
        ]
    if not isinstance(func, Name) or len(func.parts) > 1:  # `(a.b)(x)` is not a function name either
        return [
            ExprError(
                codes.EXPR_UNSAFE,
                func.start,
                func.end,
                f"only registered functions can be called, not {shown(text[func.start : func.end])}",
                "call a function by its name, e.g. 'sqrt(x)'",
            )
        ]
    if is_dunder(func.id):
        return []  # reported as a dunder name
    sig = functions.get(func.id)
    if sig is None:
        return [_unknown_function(func, functions)]
    return _check_arguments(call, sig)


def _unknown_function(func: Name, functions: Mapping[str, FunctionSig]) -> ExprError:
    suggestion = did_you_mean(func.id, functions)
    if suggestion is not None:
        hint = f"did you mean '{suggestion}'?"
    elif functions:
        names = sorted(functions)
        more = f", ... ({len(names)} in all)" if len(names) > 12 else ""
        hint = f"available functions: {', '.join(names[:12])}{more}"
    else:
        hint = "no expression functions are registered"
    return ExprError(codes.UNKNOWN_FUNCTION, func.start, func.end, f"unknown function '{func.id}'", hint)


def _check_arguments(call: Call, sig: FunctionSig) -> list[ExprError]:
    errors: list[ExprError] = []
    seen_keyword: Keyword | None = None
    names: dict[str, Keyword] = {}
    n_positional = 0
    for arg in call.args:
        if isinstance(arg, Keyword):
            seen_keyword = seen_keyword or arg
            if arg.name.text in names:
                errors.append(_arg_error(codes.EXPR_SYNTAX, arg, f"argument '{arg.name.text}' given twice"))
            names[arg.name.text] = arg
            continue
        n_positional += 1
        if seen_keyword is not None:
            errors.append(
                _arg_error(
                    codes.EXPR_SYNTAX,
                    arg,
                    "positional argument after a keyword argument",
                    f"move it before '{seen_keyword.name.text}='",
                )
            )
    if sig.params:
        for kw in names.values():
            if kw.name.text not in sig.params:
                suggestion = did_you_mean(kw.name.text, sig.params)
                errors.append(
                    ExprError(
                        codes.EXPR_ARITY,
                        kw.name.start,
                        kw.name.end,
                        f"{sig.name}() has no parameter '{kw.name.text}'",
                        f"did you mean '{suggestion}'?" if suggestion else f"usage: {sig.usage}",
                    )
                )
            elif sig.params.index(kw.name.text) < n_positional:
                errors.append(
                    _arg_error(codes.EXPR_ARITY, kw, f"{sig.name}() got two values for '{kw.name.text}'")
                )
    count = len(call.args)
    usage = f"usage: {sig.usage}" if sig.params else None
    if count < sig.min_args or (sig.max_args is not None and count > sig.max_args):
        errors.append(
            ExprError(
                codes.EXPR_ARITY,
                call.start,
                call.end,
                f"{sig.name}() takes {sig.takes()}, got {count}",
                usage,
            )
        )
    return errors


def _arg_error(code: codes.Code, node: Node, message: str, hint: str | None = None) -> ExprError:
    return ExprError(code, node.start, node.end, message, hint)
