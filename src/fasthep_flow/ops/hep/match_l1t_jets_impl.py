"""``cms.match_l1t_jets``: each reco jet's closest L1 jet in ΔR (through ``vector``), matched within ``dr_max``.

Events without an L1 jet, or without a reco jet above ``min_reco_et``, are dropped first (upstream does so
with a fixed 20 GeV). ``unmatched_dr`` is the smallest ΔR over all reco × L1 pairs of *each event*; upstream
computes one minimum over the whole partition and gives it to every event (listed in docs/compatibility.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, per_event, symbols_for


def _jets(group: Mapping[str, Any], events: Events, ctx: RunContext) -> Any:
    import awkward as ak
    import vector

    symbols = symbols_for(events, ctx)
    parts = {
        k: ak.Array(per_event(evaluate(group[k], symbols, ctx), len(events))) for k in ("et", "eta", "phi")
    }
    # a per-event value (a flat field, a constant) is one jet per event, so a clean check never fails here
    parts = {k: ak.unflatten(v, 1) if v.ndim == 1 else v for k, v in parts.items()}
    return vector.zip({"pt": parts["et"], "eta": parts["eta"], "phi": parts["phi"]})


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    reco = _jets(params["reco"], events, ctx)
    l1 = _jets(params["l1"], events, ctx)
    keep = ak.to_numpy(
        (ak.num(l1, axis=1) > 0) & ak.any(reco.pt > float(params.get("min_reco_et", 20.0)), axis=1)
    )
    events, reco, l1 = events.filter(keep), reco[keep], l1[keep]

    pairs = ak.cartesian({"reco": reco, "l1": l1}, axis=1, nested=True)  # events → reco jets → L1 jets
    dr = pairs["reco"].deltaR(pairs["l1"])
    best = ak.argmin(dr, axis=2, keepdims=True)
    best_dr = ak.firsts(dr[best], axis=2)
    matched = ak.fill_none(best_dr <= float(params.get("dr_max", 0.4)), False)
    matched_reco_et = reco.pt[matched]
    matched_l1_et = ak.firsts(pairs["l1"].pt[best], axis=2)[matched]
    nearest = ak.min(ak.flatten(dr, axis=2), axis=1)  # per event; every kept event has a pair
    columns = {
        "n_matched": ak.to_numpy(ak.num(matched_reco_et, axis=1)),
        "matched_reco_et": ak.values_astype(matched_reco_et, np.float64),
        "matched_l1_et": ak.values_astype(matched_l1_et, np.float64),
        "unmatched_dr": ak.to_numpy(ak.fill_none(nearest, np.nan)).astype(np.float64),
    }
    return StageResult(events.with_columns(columns))
