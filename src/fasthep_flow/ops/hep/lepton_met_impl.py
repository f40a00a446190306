"""``hep.build_lepton_met_candidate``: each selected lepton plus the event's missing transverse momentum, summed
through ``vector`` (the MET as a massless vector at η = 0), and ``MT = sqrt(2 pT(l) pT(miss) (1 - cos Δφ))``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.candidates_impl import cuts, field, symbols_of
from fasthep_flow.ops.hep.lepton_met import VECTOR_FIELDS


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak
    import vector

    lepton, met, output = str(params["lepton"]), str(params["met"]), str(params["output"])
    keep = params.get("keep") or {}
    selection = params.get("selection") or {}
    n = len(events)
    prefix = f"{lepton}_"
    lepton_cuts = [str(c) for c in selection.get("lepton") or []]
    required = dict.fromkeys([*VECTOR_FIELDS, *(str(f) for f in keep.get("lepton") or [])])
    leptons = {f: field(events, f"{prefix}{f}", "lepton") for f in required}
    # names the cuts read that are lepton fields (others are globals or context symbols)
    leptons.update({f: events[f"{prefix}{f}"] for f in symbols_of(lepton_cuts) if f"{prefix}{f}" in events})
    if (mask := cuts(lepton_cuts, leptons, n, ctx)) is not None:
        leptons = {f: v[mask] for f, v in leptons.items()}
    met_pt = ak.Array(np.asarray(field(events, f"{met}_pt", "MET")))
    met_phi = ak.Array(np.asarray(field(events, f"{met}_phi", "MET")))
    met_pt, _ = ak.broadcast_arrays(met_pt, leptons["pt"])
    met_phi, _ = ak.broadcast_arrays(met_phi, leptons["pt"])
    lep = vector.zip({f: leptons[f] for f in VECTOR_FIELDS})
    miss = vector.zip(
        {"pt": met_pt, "eta": ak.zeros_like(met_pt), "phi": met_phi, "mass": ak.zeros_like(met_pt)}
    )
    total = lep + miss
    candidate = {
        "pt": total.pt,
        "eta": total.eta,
        "phi": total.phi,
        "mass": total.mass,
        "MT": np.sqrt(2 * lep.pt * met_pt * (1 - np.cos(lep.deltaphi(miss)))),
    }
    selected = ak.to_numpy(ak.num(leptons["pt"], axis=1))
    if (mask := cuts(list(selection.get("candidate") or []), candidate, n, ctx)) is not None:
        candidate = {f: v[mask] for f, v in candidate.items()}
        leptons = {f: v[mask] for f, v in leptons.items()}
    out: dict[str, Any] = {
        f"n{output}_lepton": selected,
        f"n{output}_W": ak.to_numpy(ak.num(candidate["pt"], axis=1)),
    }
    out.update({f"{output}_W_{f}": candidate[str(f)] for f in keep.get("candidate") or []})
    out.update({f"{output}_lepton_{f}": leptons[str(f)] for f in keep.get("lepton") or []})
    clash = [c for c in out if c in events]
    if clash:
        raise OpError(PARAM_VALUE, f"this stage would overwrite fields {clash}", "choose another `output`")
    return StageResult(events.with_columns(out))
