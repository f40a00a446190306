"""The expression language: parse, check, complete and evaluate the strings inside a workflow.

A safe subset of Python expression syntax (``grammar/expression.lark``), parsed by Lark — never by ``eval``.
Positions are offsets into the expression text; ``ExprError.to_diagnostic(scalar)`` maps them into the document.
This package imports no NumPy or awkward at import time: ``compile_expr`` imports them when it runs.
"""

from fasthep_flow.expressions.checks import FunctionSig, check, did_you_mean
from fasthep_flow.expressions.completion import CompletionContext, expected_at
from fasthep_flow.expressions.errors import ExprError
from fasthep_flow.expressions.evaluator import EvalError, Evaluator, compile_expr
from fasthep_flow.expressions.parsing import Expr, parse

__all__ = [
    "CompletionContext",
    "EvalError",
    "Evaluator",
    "Expr",
    "ExprError",
    "FunctionSig",
    "check",
    "compile_expr",
    "did_you_mean",
    "expected_at",
    "parse",
]
