"""``hep.combinations``: `ak.combinations` of a collection's four-vectors, summed by `vector`.

Members keep the stored order (no sorting); an event with fewer than ``k`` objects has no combination.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.combinations import REDUCTIONS
from fasthep_flow.ops.hep.momenta import DEFAULT_OUTPUTS
from fasthep_flow.ops.hep.momenta_impl import carried, column, momenta, quantity

_REDUCE = {"max": np.maximum, "min": np.minimum, "sum": np.add}


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    collection = str(params["collection"])
    output = str(params["output"])
    k = int(params["k"])
    if k < 2:
        raise OpError(PARAM_VALUE, f"`k` must be at least 2, not {k}")
    members = {str(r): [str(f) for f in fields or ()] for r, fields in (params.get("members") or {}).items()}
    unknown = [r for r in members if r not in REDUCTIONS]
    if unknown:
        raise OpError(PARAM_VALUE, f"'{unknown[0]}' is not a member reduction ({', '.join(REDUCTIONS)})")
    member_fields = sorted({f for fields in members.values() for f in fields})
    mask = params.get("mask")
    keep = ak.fill_none(ak.Array(column(events, str(mask))), False) if mask else None
    objects = momenta(events, collection, params.get("inputs"), extra=member_fields, mask=keep)

    combos = ak.combinations(objects, k, axis=1)
    parts = ak.unzip(combos)
    total = functools.reduce(lambda a, b: a + b, parts)  # vector's four-vector addition
    new: dict[str, Any] = {
        f"{output}_{q}": quantity(total, str(q)) for q in params.get("outputs") or DEFAULT_OUTPUTS
    }
    for reduction, fields in members.items():
        for name in fields:
            values = [ak.without_parameters(p[carried(name)]) for p in parts]
            new[f"{output}_{reduction}_{name}"] = functools.reduce(_REDUCE[reduction], values)
    new[f"n{output}"] = ak.to_numpy(ak.num(combos, axis=1)).astype(np.int64)
    return StageResult(events.with_columns(new))
