"""`cms.match_l1t_jets`: match reconstructed jets to Level-1 trigger jets in ΔR (LANGUAGE.md §9.8–9.19)."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, get, implicit_scalar, scalar
from fasthep_flow.registry.specs import Expr, ListOf, Number, OpKind, OpSpec, Param, Port, Str, Struct

OUTPUTS = ("n_matched", "matched_reco_et", "matched_l1_et", "unmatched_dr")

JETS = Struct(
    (
        Param("et", Expr, required=True, doc="Transverse energy per jet (a jagged field or expression)."),
        Param("eta", Expr, required=True, doc="Pseudorapidity per jet."),
        Param("phi", Expr, required=True, doc="Azimuth per jet."),
    ),
    name="{et, eta, phi}",
)


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    uses = [
        ExprUse(node, "expr")
        for group in ("reco", "l1")
        for key in ("et", "eta", "phi")
        if (node := scalar(get(get(params, group), key))) is not None
    ]
    anchor = get(params, "reco")
    docs = {
        "n_matched": "number of reco jets matched to an L1 jet",
        "matched_reco_et": "E_T of each matched reco jet",
        "matched_l1_et": "E_T of the L1 jet each matched reco jet matched",
        "unmatched_dr": "smallest ΔR between any reco and any L1 jet of the event",
    }
    defines = tuple(
        FieldDef(name, implicit_scalar(name, anchor), doc=f"{docs[name]} (stage `{stage_id}`)", implicit=True)
        for name in OUTPUTS
    )
    return [FlowStep(tuple(uses), defines)]


SPEC = OpSpec(
    "cms.match_l1t_jets",
    OpKind.TRANSFORM,
    doc="Match each reco jet to its closest L1 jet in ΔR; matched when ΔR ≤ `dr_max`. As upstream, only "
    "events with an L1 jet and a reco jet above `min_reco_et` are kept. Adds `n_matched`, "
    "`matched_reco_et`, `matched_l1_et` (per matched jet) and `unmatched_dr` (per event).",
    params=(
        Param("reco", JETS, required=True, doc="Reconstructed jets: `{et, eta, phi}`."),
        Param("l1", JETS, required=True, doc="Level-1 trigger jets: `{et, eta, phi}`."),
        Param("dr_max", Number, default=0.4, doc="Largest ΔR of a match."),
        Param(
            "min_reco_et",
            Number,
            default=20.0,
            doc="Events need a reco jet above this E_T to be kept (upstream's fixed 20 GeV).",
        ),
        Param(
            "output_names", ListOf(Str), doc="Accepted for upstream workflows; the outputs keep their names."
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.match_l1t_jets_impl:run",
    plugin="hep",
)
