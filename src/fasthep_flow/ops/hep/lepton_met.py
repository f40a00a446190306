"""`hep.build_lepton_met_candidate`: lepton + missing-E_T candidates (a W) with their transverse mass."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    get,
    implicit_scalar,
    items,
    name_scalar,
    scalar,
)
from fasthep_flow.registry.specs import (
    AnyType,
    Choice,
    Expr,
    ListOf,
    MapOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)

VECTOR_FIELDS = ("pt", "eta", "phi", "mass")
CANDIDATE_FIELDS = (*VECTOR_FIELDS, "MT")


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads `<lepton>_pt/eta/phi/mass`, kept lepton fields, the lepton cuts (relative names), `<met>_pt/_phi`;
    defines `n<output>_lepton`, `n<output>_W`, `<output>_W_<f>`, `<output>_lepton_<f>`."""
    lepton = name_scalar(get(params, "lepton"))
    met = name_scalar(get(params, "met"))
    keep = get(params, "keep")
    kept_lepton = [f for f in map(name_scalar, items(get(keep, "lepton"))) if f is not None]
    kept_candidate = [f for f in map(name_scalar, items(get(keep, "candidate"))) if f is not None]
    selection = get(params, "selection")
    uses: list[ExprUse] = []
    if lepton is not None:
        fields = dict.fromkeys([*VECTOR_FIELDS, *(f.text for f in kept_lepton)])
        uses += [
            ExprUse(implicit_scalar(f"{lepton.text}_{f}", lepton), "field", implicit=True) for f in fields
        ]
        uses += [
            ExprUse(s, "expr", prefix=f"{lepton.text}_", local_only=True)  # over the leptons' columns
            for s in map(scalar, items(get(selection, "lepton")))
            if s is not None
        ]
    if met is not None:
        uses += [
            ExprUse(implicit_scalar(f"{met.text}_{f}", met), "field", implicit=True) for f in ("pt", "phi")
        ]
    local = frozenset(CANDIDATE_FIELDS)
    uses += [
        ExprUse(s, "expr", local_names=local, local_only=True)
        for s in map(scalar, items(get(selection, "candidate")))
        if s
    ]
    out = name_scalar(get(params, "output"))
    if out is None:
        return [FlowStep(tuple(uses), ())]
    doc = f"lepton + MET candidates of stage `{stage_id}`"

    def define(name: str, near: ScalarNode) -> FieldDef:
        return FieldDef(name, implicit_scalar(name, near), doc=doc, implicit=True)

    defines = [define(f"n{out.text}_lepton", out), define(f"n{out.text}_W", out)]
    defines += [define(f"{out.text}_W_{f.text}", f) for f in kept_candidate]
    defines += [define(f"{out.text}_lepton_{f.text}", f) for f in kept_lepton]
    return [FlowStep(tuple(uses), tuple(defines))]


SELECTION = Struct(
    (
        Param("lepton", ListOf(Expr), doc="Cuts per lepton, relative names (`pt > 25`)."),
        Param("candidate", ListOf(Expr), doc="Cuts over the candidate's `pt`, `eta`, `phi`, `mass`, `MT`."),
    ),
    name="{lepton?, candidate?}",
)
KEEP = Struct(
    (
        Param("candidate", ListOf(Choice(CANDIDATE_FIELDS)), required=True, doc="Candidate fields to write."),
        Param("lepton", ListOf(Str), required=True, doc="Lepton fields (relative names) to write."),
    ),
    name="{candidate, lepton}",
)

SPEC = OpSpec(
    "hep.build_lepton_met_candidate",
    OpKind.TRANSFORM,
    doc="One candidate per selected lepton: the lepton plus the missing transverse momentum (`<met>_pt`, "
    "`<met>_phi`, massless, η = 0), with the transverse mass `MT`. Writes `n<output>_lepton` (selected "
    "leptons), `n<output>_W`, `<output>_W_<f>` and `<output>_lepton_<f>`.",
    params=(
        Param(
            "lepton", Str, required=True, doc="Prefix of the lepton collection (needs `_pt/_eta/_phi/_mass`)."
        ),
        Param("met", Str, required=True, doc="Prefix of the missing-E_T fields `<met>_pt`, `<met>_phi`."),
        Param("output", Str, required=True, doc="Prefix of the outputs."),
        Param("selection", SELECTION, doc="`{lepton: [...], candidate: [...]}` cuts."),
        Param("keep", KEEP, required=True, doc="`{candidate: [...], lepton: [...]}`: fields written."),
        Param("legacy", MapOf(AnyType), doc="Accepted for upstream workflows; unused."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.lepton_met_impl:run",
    plugin="hep",
)
