"""``hep.vary``: the nominal stream followed by one copy per variation, each with its shifted fields.

Shifted values are evaluated from the nominal fields (``Jet_pt * 1.03``), so variations never compound.
Columns no variation touches are concatenated as they are; the label is a NumPy string column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, per_event, symbols_for
from fasthep_flow.ops.core.functions_impl import is_awkward
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.ops.hep.vary import DEFAULT_LABEL, DEFAULT_NOMINAL


def _concatenate(blocks: list[Any]) -> Any:
    import awkward as ak

    if any(is_awkward(b) for b in blocks):
        from fasthep_flow.expressions.jagged import concatenate_flat

        stacked = concatenate_flat(blocks)  # the usual jagged branch: two NumPy concatenations
        if stacked is not None:
            return stacked
        return ak.concatenate([b if is_awkward(b) else ak.Array(np.asarray(b)) for b in blocks], axis=0)
    return np.concatenate([np.asarray(b) for b in blocks])


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    label = str(params.get("label") or DEFAULT_LABEL)
    nominal = str(params.get("nominal") or DEFAULT_NOMINAL)
    variations = {str(k): dict(v or {}) for k, v in (params.get("variations") or {}).items()}
    if nominal in variations:
        raise OpError(PARAM_VALUE, f"variation '{nominal}' has the name of the nominal copy")
    n = len(events)
    symbols = symbols_for(events, ctx)
    shifted: dict[str, dict[str, Any]] = {}
    for name, changes in variations.items():
        shifted[name] = {}
        for field, expr in changes.items():
            if field not in events:
                raise OpError(RUNTIME_MISSING_FIELD, f"variation '{name}' shifts '{field}', which is not in the "
                              "stream", did_you_mean(str(field), events.columns))  # fmt: skip
            shifted[name][str(field)] = per_event(evaluate(expr, symbols, ctx), n)
    copies = [nominal, *variations]
    columns = {
        column: _concatenate([values, *(shifted[v].get(column, values) for v in variations)])
        for column, values in events.columns.items()
        if column != label
    }
    columns[label] = np.repeat(np.array(copies), n)
    return StageResult(Events(columns, n * len(copies)))
