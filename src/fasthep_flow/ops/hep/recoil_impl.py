"""``hep.build_recoil``: transverse vectors (through ``vector``) — the MET, plus each visible object — cut, counted,
and reduced to the highest-pT candidate. Several visible collections add object by object (their objects must
line up, as upstream requires); the recoil is massless at η = 0."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, STAGE_FAILED
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.candidates_impl import cuts, field


def _transverse(pt: Any, phi: Any) -> Any:
    import vector

    return vector.zip({"pt": pt, "phi": phi})


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    met, output = str(params["met"]), str(params["output"])
    visible = [str(v) for v in params.get("visible") or []]
    met_pt = ak.Array(np.asarray(field(events, f"{met}_pt", "MET")))
    met_phi = ak.Array(np.asarray(field(events, f"{met}_phi", "MET")))
    if visible:
        reference = field(events, f"{visible[0]}_pt", "visible")
        met_pt, met_phi = (
            ak.broadcast_arrays(met_pt, reference)[0],
            ak.broadcast_arrays(met_phi, reference)[0],
        )
    else:
        met_pt, met_phi = ak.singletons(met_pt), ak.singletons(met_phi)
    recoil = _transverse(met_pt, met_phi)
    for name in visible:
        try:
            recoil = recoil + _transverse(
                field(events, f"{name}_pt", "visible"), field(events, f"{name}_phi", "visible")
            )
        except ValueError as exc:
            raise OpError(
                STAGE_FAILED, f"visible collection '{name}' does not line up with the earlier ones: {exc}"
            ) from None
    candidate = {"pt": recoil.pt, "phi": recoil.phi}
    candidate["eta"] = ak.zeros_like(candidate["pt"])
    candidate["mass"] = ak.zeros_like(candidate["pt"])
    if (mask := cuts(list(params.get("selection") or []), candidate, len(events), ctx)) is not None:
        candidate = {f: v[mask] for f, v in candidate.items()}
    count = ak.to_numpy(ak.num(candidate["pt"], axis=1))
    order = ak.argsort(candidate["pt"], axis=1, ascending=False, stable=True)
    best = {f: v[order][:, :1] for f, v in candidate.items()}
    out: dict[str, Any] = {f"n{output}": count}
    out.update({f"{output}_{f}": best[str(f)] for f in params.get("keep") or []})
    clash = [c for c in out if c in events]
    if clash:
        raise OpError(
            PARAM_VALUE, f"`hep.build_recoil` would overwrite fields {clash}", "choose another `output`"
        )
    return StageResult(events.with_columns(out))
