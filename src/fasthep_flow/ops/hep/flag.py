"""`hep.selection.flag`: store the AND of some cuts as a boolean field, without filtering anything."""

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
from fasthep_flow.registry.specs import Expr, ListOf, OneOf, OpKind, OpSpec, Param, Port, Str


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    selection = get(params, "selection")
    single = scalar(selection)
    nodes = [single] if single is not None else [n for n in map(scalar, items(selection)) if n is not None]
    uses = tuple(ExprUse(n, "expr") for n in nodes)
    output = name_scalar(get(params, "output"))
    doc = f"true where every cut of flag stage `{stage_id}` passes"
    if output is not None:
        define = FieldDef(output.text, output, doc=doc)
    else:
        define = FieldDef(stage_id, implicit_scalar(stage_id, None), doc=doc, implicit=True)
    return [FlowStep(uses, (define,))]


SPEC = OpSpec(
    "hep.selection.flag",
    OpKind.TRANSFORM,
    doc="Add a boolean field that is true where all the given expressions are; filters nothing.",
    params=(
        Param(
            "selection",
            OneOf(ListOf(Expr), Expr),
            required=True,
            doc="Expressions combined with AND (a single expression is accepted too).",
        ),
        Param(
            "output",
            Str,
            default_doc="<stage id>",
            doc="Name of the boolean field (the stage id when absent).",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.flag_impl:run",
    plugin="hep",
)
