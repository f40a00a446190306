"""Evaluate workflow expressions over a stream: parse and compile each text once per process, then run it on
each partition's columns.

The expression package (``fasthep_flow.expressions``) owns the grammar and compiler; this module only binds
a compiled expression to the symbols of a run (the stream's columns, the workflow's ``globals``, the context
symbols) and turns "this name is not in the data" into an ``OpError`` the runtime can place on the stage.
Nothing here ever calls ``eval``/``exec``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import EXPR_TYPE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core.functions_impl import CONSTANTS, function_table, is_awkward
from fasthep_flow.ops.failures import OpError, did_you_mean

Evaluator = Callable[[Mapping[str, Any]], Any]

_CACHE: dict[tuple[str, int], tuple[Mapping[str, Callable[..., Any]], Evaluator]] = {}
_LOCK = threading.Lock()
_CACHE_MAX = 4096
_DEFAULT_FUNCTIONS: dict[str, Callable[..., Any]] | None = None


def functions_of(ctx: RunContext) -> Mapping[str, Callable[..., Any]]:
    """The run's function table, or the built-in one when the runtime passed none (tests, scripts)."""
    global _DEFAULT_FUNCTIONS
    if ctx.functions:
        return ctx.functions
    if _DEFAULT_FUNCTIONS is None:
        _DEFAULT_FUNCTIONS = function_table()
    return _DEFAULT_FUNCTIONS


def compiled(text: str, functions: Mapping[str, Callable[..., Any]]) -> Evaluator:
    """The evaluator of ``text``, compiled on first use and reused for every later partition.

    Keyed by the text and the identity of the function table; the cache holds the table, so its id cannot be
    reused by another one while the entry lives.
    """
    key = (text, id(functions))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is functions:
        return hit[1]
    from fasthep_flow.expressions import ExprError, parse
    from fasthep_flow.expressions.evaluator import compile_expr

    parsed = parse(text)
    if isinstance(parsed, ExprError):
        # The compiler reports this with a span before any run; a plan run without `check` lands here.
        raise OpError(parsed.code, f"expression '{text}': {parsed.message}", parsed.hint)
    evaluator = compile_expr(parsed, functions)
    with _LOCK:
        if len(_CACHE) >= _CACHE_MAX:  # a long-lived process (the language server) runs many plans
            _CACHE.clear()
        _CACHE[key] = (functions, evaluator)
    return evaluator


class Symbols(Mapping[str, Any]):
    """The names an expression can read, looked up layer by layer: columns first, then op-local names,
    globals, context symbols and constants. Nothing is copied: a partition's columns stay where they are."""

    __slots__ = ("_layers",)

    def __init__(self, *layers: Mapping[str, Any]) -> None:
        self._layers = layers

    def __getitem__(self, name: str) -> Any:
        for layer in self._layers:
            if name in layer:
                return layer[name]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(name in layer for layer in self._layers)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for layer in self._layers:
            for name in layer:
                if name not in seen:
                    seen.add(name)
                    yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)


def symbols_for(events: Events, ctx: RunContext, *extra: Mapping[str, Any]) -> Symbols:
    """Columns of ``events``, then ``extra`` layers, then ``ctx.globals``, ``ctx.symbols`` and constants."""
    return Symbols(events.columns, *extra, ctx.globals, ctx.symbols, CONSTANTS)


def evaluate(expr: object, symbols: Mapping[str, Any], ctx: RunContext) -> Any:
    """The value of one expression (a YAML number or bool is an expression too: ``weight_expr: 1``).

    A name absent from the data becomes ``OpError`` FF403 with a did-you-mean over the names that exist; a
    failing operation (say, jagged arrays of different lengths) becomes ``OpError`` FF401 quoting the part
    of the expression that failed.
    """
    from fasthep_flow.expressions.evaluator import EvalError

    text = _text(expr)
    try:
        return compiled(text, functions_of(ctx))(symbols)
    except EvalError as exc:
        hint = None
        if exc.code is RUNTIME_MISSING_FIELD:
            name = text[exc.start : exc.end]
            hint = did_you_mean(name, symbols) or "check the source's branches and the stages defining fields"
            raise OpError(exc.code, f"field '{name}' (in '{text}') is not in the data", hint) from None
        raise OpError(exc.code, exc.message, hint) from exc


def _text(expr: object) -> str:
    if isinstance(expr, bool):
        return "True" if expr else "False"
    return str(expr)


def per_event(value: Any, length: int) -> Any:
    """``value`` as one entry per event: a scalar result (``1``, ``iso_cut``) is broadcast to ``length``."""
    if is_awkward(value) or (isinstance(value, np.ndarray) and value.ndim > 0):
        return value
    return np.full(length, value)


def event_mask(value: Any, length: int, what: str) -> np.ndarray:
    """A boolean NumPy mask with one entry per event; missing counts as false.

    A jagged value (one entry per object) is a mistake in a selection: the message says how to reduce it.
    """
    value = per_event(value, length)
    if is_awkward(value):
        import awkward as ak

        if value.ndim > 1:
            raise OpError(
                EXPR_TYPE,
                f"{what} gives one value per object, not one per event",
                "reduce it per event, e.g. any(...), all(...) or count_nonzero(...) >= 2",
            )
        value = ak.to_numpy(ak.fill_none(value, False))
    mask = np.asarray(value)
    if mask.dtype != np.bool_:
        mask = mask != 0
    if mask.shape != (length,):
        raise OpError(EXPR_TYPE, f"{what} gives {mask.shape} values for {length} events")
    return mask
