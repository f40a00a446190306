"""`hep.build_recoil`: the transverse recoil — missing E_T plus visible objects — and its highest-pT candidate."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
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
    Const,
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

RECOIL_FIELDS = ("pt", "phi", "eta", "mass")


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads `<met>_pt/_phi` and `<visible>_pt/_phi`; defines `n<output>` and `<output>_<f>` for `keep`."""
    uses = [
        ExprUse(implicit_scalar(f"{c.text}_{f}", c), "field", implicit=True)
        for c in [name_scalar(get(params, "met")), *map(name_scalar, items(get(params, "visible")))]
        if c is not None
        for f in ("pt", "phi")
    ]
    local = frozenset(RECOIL_FIELDS)
    uses += [
        ExprUse(s, "expr", local_names=local, local_only=True)  # over the recoil candidates' columns
        for s in map(scalar, items(get(params, "selection")))
        if s
    ]
    out = name_scalar(get(params, "output"))
    if out is None:
        return [FlowStep(tuple(uses), ())]
    doc = f"recoil built by stage `{stage_id}`"
    defines = [
        FieldDef(
            f"n{out.text}",
            implicit_scalar(f"n{out.text}", out),
            doc=f"candidates before the reduction, {doc}",
            implicit=True,
        )
    ]
    defines += [
        FieldDef(f"{out.text}_{f.text}", implicit_scalar(f"{out.text}_{f.text}", f), doc=doc, implicit=True)
        for f in map(name_scalar, items(get(params, "keep")))
        if f is not None
    ]
    return [FlowStep(tuple(uses), tuple(defines))]


REDUCE = Struct(
    (
        Param(
            "count",
            Const("before"),
            default="before",
            doc="`n<output>` counts the candidates before reducing.",
        ),
        Param("keep", Const("highest_pt"), default="highest_pt", doc="Keep the candidate of highest pT."),
    ),
    name="{count, keep}",
)

SPEC = OpSpec(
    "hep.build_recoil",
    OpKind.TRANSFORM,
    doc="The transverse recoil: `<met>` plus each object of the `visible` collections (object by object), or "
    "the MET alone; cuts over `pt`, `phi`, `eta`, `mass`; `n<output>` counts the candidates, `<output>_<f>` "
    "holds the highest-pT one (a list of zero or one per event).",
    params=(
        Param("met", Str, required=True, doc="Prefix of the missing-E_T fields `<met>_pt`, `<met>_phi`."),
        Param(
            "visible",
            ListOf(Str),
            default=(),
            doc="Prefixes of collections added to the MET (`_pt`, `_phi`).",
        ),
        Param("output", Str, required=True, doc="Prefix of the outputs."),
        Param(
            "selection", ListOf(Expr), default=(), doc="Cuts over the recoil's `pt`, `phi`, `eta`, `mass`."
        ),
        Param("keep", ListOf(Choice(RECOIL_FIELDS)), required=True, doc="Recoil fields to write."),
        Param("reduce", REDUCE, doc="How candidates are reduced (only `{count: before, keep: highest_pt}`)."),
        Param("legacy", MapOf(AnyType), doc="Accepted for upstream workflows; unused."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.recoil_impl:run",
    plugin="hep",
)
