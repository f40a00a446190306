"""``hep.pick``: ``ak.argmax``/``ak.argmin`` with ``keepdims``, then one value per event (None when empty)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.momenta_impl import column
from fasthep_flow.ops.hep.pick import ORDERS


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    collection = str(params["collection"])
    output = str(params["output"])
    order = str(params.get("order") or "max")
    if order not in ORDERS:
        raise OpError(PARAM_VALUE, f"order '{order}' is not max or min")
    mask = params.get("mask")
    keep = ak.fill_none(ak.Array(column(events, str(mask))), False) if mask else None

    def candidates(name: str) -> Any:
        values = ak.Array(column(events, f"{collection}_{name}"))
        return values[keep] if keep is not None else values

    by = candidates(str(params["by"]))
    winner = (ak.argmax if order == "max" else ak.argmin)(by, axis=1, keepdims=True)
    new = {
        f"{output}_{name}": ak.firsts(candidates(str(name))[winner], axis=1)
        for name in params.get("keep") or ()
    }
    return StageResult(events.with_columns(new))
