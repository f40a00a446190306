"""`hep.pick`: per event, the one candidate of a collection with the largest (or smallest) value of a field."""

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
)
from fasthep_flow.registry.specs import Field, ListOf, OpKind, OpSpec, Param, Port, Str

ORDERS = ("max", "min")


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads `<collection>_<by>`, the mask and the kept fields; defines `<output>_<field>` per event."""
    collection = name_scalar(get(params, "collection"))
    output = name_scalar(get(params, "output"))
    if collection is None or output is None:
        return []
    prefix = f"{collection.text}_"
    uses: list[ExprUse] = []
    by = name_scalar(get(params, "by"))
    if by is not None:
        uses.append(ExprUse(by, "field", prefix, relative_only=True))
    mask = name_scalar(get(params, "mask"))
    if mask is not None:
        uses.append(ExprUse(mask, "field"))
    keep = [k for k in map(name_scalar, items(get(params, "keep"))) if k is not None]
    uses.extend(ExprUse(k, "field", prefix, relative_only=True) for k in keep)
    origin = f"of the `{collection.text}` candidate picked by stage `{stage_id}` (missing when none)"
    defines = [
        FieldDef(
            f"{output.text}_{k.text}",
            implicit_scalar(f"{output.text}_{k.text}", k),
            doc=f"`{prefix}{k.text}` {origin}",
            implicit=True,
        )
        for k in keep
    ]
    return [FlowStep(tuple(uses), tuple(defines))]


SPEC = OpSpec(
    "hep.pick",
    OpKind.TRANSFORM,
    doc="Per event, the candidate of `collection` (those passing `mask`) with the largest (`order: max`) "
    "or smallest (`min`) `by`; writes its `keep` fields as per-event `<output>_<field>`, missing for events "
    "without a candidate. Ties go to the first stored.",
    params=(
        Param("collection", Str, required=True, doc="Prefix of the candidates' fields, e.g. `Trijet`."),
        Param("by", Str, required=True, doc="Field (relative name) compared, e.g. `pt`."),
        Param(
            "order",
            Str,
            default="max",
            allowed=ORDERS,
            allowed_docs=("the largest value wins", "the smallest value wins"),
            doc="Which end wins.",
        ),
        Param("output", Str, required=True, doc="Prefix of the per-event fields, e.g. `BestTrijet`."),
        Param("keep", ListOf(Str), required=True, doc="Fields (relative names) of the winner to write."),
        Param("mask", Field, doc="Boolean jagged field: only candidates passing it compete."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.pick_impl:run",
    plugin="hep",
)
