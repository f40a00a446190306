"""``hep.selection.flag``: a boolean field, true where every expression holds; the stream is not filtered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, event_mask, symbols_for


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    selection = params.get("selection") or []
    if isinstance(selection, str | int | float | bool):
        selection = [selection]
    symbols = symbols_for(events, ctx)
    mask = np.ones(len(events), dtype=bool)
    for expr in selection:
        mask &= event_mask(evaluate(expr, symbols, ctx), len(events), f"selection '{expr}'")
    return StageResult(events.with_columns({str(params.get("output") or ctx.stage): mask}))
