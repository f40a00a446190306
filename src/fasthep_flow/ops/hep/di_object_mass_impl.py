"""``hep.di_object_mass``: invariant mass of the first two *stored* objects of a collection passing a mask.

"First stored" as upstream defines it: no sorting, the order of the file (or of an earlier
``hep.select_objects``). Events with fewer than two objects get NaN, as upstream: a histogram counts them in
its overflow bin (boost-histogram's rule for NaN), so its total still equals the number of events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError, did_you_mean

COMPONENTS = ("Px", "Py", "Pz", "E")


def _column(events: Events, name: str) -> Any:
    if name not in events:
        raise OpError(
            RUNTIME_MISSING_FIELD, f"field '{name}' is not in the stream", did_you_mean(name, events.columns)
        )
    return events[name]


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    collection = str(params.get("collection") or "Muon")
    out_var = str(params.get("out_var") or "DiMuon_Mass")
    parts = [ak.Array(_column(events, f"{collection}_{c}")) for c in COMPONENTS]
    mask = params.get("mask")
    if mask:  # a field name or an expression (a field name is the simplest expression)
        from fasthep_flow.ops.core.evaluate_impl import evaluate, symbols_for

        keep = ak.Array(
            _column(events, mask) if mask in events else evaluate(mask, symbols_for(events, ctx), ctx)
        )
        parts = [p[keep] for p in parts]
    # The first two entries of each list, padded with None: one regular [n, 2] block per component.
    firsts = [ak.pad_none(p[:, :2], 2, axis=1) for p in parts]
    total = [ak.values_astype(f[:, 0], np.float64) + ak.values_astype(f[:, 1], np.float64) for f in firsts]
    e, px, py, pz = total[3], total[0], total[1], total[2]
    mass2 = e * e - (px * px + py * py + pz * pz)
    mass = np.sqrt(np.maximum(mass2, 0.0))  # tiny negative m^2 from float rounding is a massless pair
    mass = ak.to_numpy(ak.fill_none(mass, np.nan))  # fewer than two objects: NaN, one float per event
    return StageResult(events.with_columns({out_var: mass}))
