"""`hep.di_object_mass`: invariant mass of the first two stored objects of a collection that pass a mask."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    get,
    implicit_scalar,
    name_scalar,
)
from fasthep_flow.registry.specs import Expr, OpKind, OpSpec, Param, Port, Str

COMPONENTS = ("Px", "Py", "Pz", "E")
DEFAULT_COLLECTION = "Muon"
DEFAULT_OUT = "DiMuon_Mass"


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads `<collection>_Px/Py/Pz/E` (located on `collection:`) and `mask`; defines `out_var`."""
    collection = name_scalar(get(params, "collection"))
    name = collection.text if collection is not None else DEFAULT_COLLECTION
    uses = [ExprUse(implicit_scalar(f"{name}_{c}", collection), "field", implicit=True) for c in COMPONENTS]
    mask = name_scalar(get(params, "mask"))
    if mask is not None:
        uses.append(ExprUse(mask, "expr"))  # a field name is an expression too (upstream takes either)
    out = name_scalar(get(params, "out_var"))
    doc = f"invariant mass of the two leading `{name}` objects (stage `{stage_id}`)"
    define = (
        FieldDef(out.text, out, doc=doc)
        if out is not None
        else FieldDef(DEFAULT_OUT, implicit_scalar(DEFAULT_OUT, None), doc=doc, implicit=True)
    )
    return [FlowStep(tuple(uses), (define,))]


SPEC = OpSpec(
    "hep.di_object_mass",
    OpKind.TRANSFORM,
    doc="Invariant mass of the first two *stored* objects of a collection passing `mask`, from "
    "`<collection>_Px/Py/Pz/E`; NaN for events with fewer than two (a histogram counts them in "
    "its overflow bin, as upstream).",
    params=(
        Param("collection", Str, default=DEFAULT_COLLECTION, doc="Prefix of the four-momentum fields."),
        Param(
            "mask",
            Expr,
            doc="Boolean jagged field or expression choosing which objects count, e.g. `Muon_Iso < 1` "
            "(all when absent).",
        ),
        Param("out_var", Str, default=DEFAULT_OUT, doc="Name of the new field."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.di_object_mass_impl:run",
    plugin="hep",
)
