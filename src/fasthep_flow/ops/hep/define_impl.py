"""``hep.define``: add derived fields, each an expression or a per-event reduction, in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, functions_of, per_event, symbols_for
from fasthep_flow.ops.core.functions_impl import REDUCERS, is_awkward
from fasthep_flow.ops.failures import OpError

_DTYPES = frozenset(
    {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"}
)


def reduce_per_event(
    spec: Mapping[str, Any], events: Events, ctx: RunContext, *extra: Mapping[str, Any]
) -> Any:
    """``{op, over}``: reduce the (jagged) value of ``over`` to one value per event."""
    op = spec.get("op")
    if op not in REDUCERS:
        raise OpError(PARAM_VALUE, f"unknown reduction '{op}'", "use one of: " + ", ".join(REDUCERS))
    values = evaluate(spec.get("over"), symbols_for(events, ctx, *extra), ctx)
    reducer = functions_of(ctx).get(str(op), REDUCERS[str(op)])
    return per_event(reducer(values), len(events))


def cast(value: Any, dtype: str) -> Any:
    """``value`` as ``dtype`` (awkward keeps its structure; only numeric dtypes are allowed)."""
    if dtype not in _DTYPES:
        raise OpError(
            PARAM_VALUE, f"unsupported dtype '{dtype}'", "use one of: " + ", ".join(sorted(_DTYPES))
        )
    if is_awkward(value):
        import awkward as ak

        return ak.values_astype(value, np.dtype(dtype))
    return np.asarray(value).astype(dtype)


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    current = events
    for variable in params.get("variables") or ():
        name = str(variable["name"])
        if "expr" in variable:  # upstream: `expr` wins when both are given
            value = per_event(evaluate(variable["expr"], symbols_for(current, ctx), ctx), len(current))
        else:
            value = reduce_per_event(variable["reduce"], current, ctx)
        if variable.get("dtype"):  # for both forms, as upstream
            value = cast(value, str(variable["dtype"]))
        current = current.with_columns({name: value})
    return StageResult(current)
