"""`hep.vary`: systematic variations as stacked copies of the stream, labelled by a `variation` field."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    entries,
    get,
    implicit_scalar,
    name_scalar,
    scalar,
)
from fasthep_flow.registry.specs import Expr, MapOf, OpKind, OpSpec, Param, Port, Str

DEFAULT_LABEL = "variation"
DEFAULT_NOMINAL = "nominal"


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads each shifted field and its expression; defines the label field.

    The shifted fields keep their names and their definitions (a source branch, an earlier stage), so they are
    uses, not new definitions: a misspelt one is an unknown field with a did-you-mean.
    """
    uses: list[ExprUse] = []
    for _name, changes in entries(get(params, "variations")):
        for field, value in entries(changes):
            uses.append(ExprUse(field, "field"))
            if (expr := scalar(value)) is not None:
                uses.append(ExprUse(expr, "expr"))
    label = name_scalar(get(params, "label"))
    doc = f"variation of each copy of the stream (stage `{stage_id}`)"
    label_def = (
        FieldDef(label.text, label, doc=doc)
        if label is not None
        else FieldDef(DEFAULT_LABEL, implicit_scalar(DEFAULT_LABEL, None), implicit=True, doc=doc)
    )
    return [FlowStep(tuple(uses), (label_def,))]


SPEC = OpSpec(
    "hep.vary",
    OpKind.TRANSFORM,
    doc="Systematic variations of fields, e.g. `{pt_scale_up: {Jet_pt: Jet_pt * 1.03}}`: the stream goes on "
    "as the nominal events followed by one copy per variation with its fields replaced, and a field `label` "
    "saying which copy an event belongs to. Stages after this one run once over all copies, so everything "
    "depending on a shifted field is recomputed per variation while the stages before are shared; fill a "
    "`category` axis from the label to get one histogram per variation. Counts downstream (cutflows) count "
    "every copy.",
    params=(
        Param(
            "variations",
            MapOf(MapOf(Expr)),
            required=True,
            doc="Variation name → {field → expression giving its shifted value (from the nominal fields)}.",
        ),
        Param("label", Str, default=DEFAULT_LABEL, doc="Name of the field holding each event's variation."),
        Param("nominal", Str, default=DEFAULT_NOMINAL, doc="Label of the unchanged copy."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.vary_impl:run",
    plugin="hep",
)
