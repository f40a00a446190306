"""`hep.define`: add derived fields, one variable after another (a variable may use the ones above it)."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, get, items, name_scalar, scalar
from fasthep_flow.registry.specs import Expr, ListOf, OneOf, OpKind, OpSpec, Param, Port, Str, Struct

REDUCE_OPS = ("count_nonzero", "any", "all", "sum", "min", "max")

REDUCE = Struct(
    (
        Param(
            "op",
            Str,
            required=True,
            allowed=REDUCE_OPS,
            allowed_docs=(
                "number of true (non-zero) entries",
                "true when any entry is true",
                "true when every entry is true",
                "sum of the entries",
                "smallest entry (missing when empty)",
                "largest entry (missing when empty)",
            ),
            doc="How the entries of each event's list are combined into one value.",
        ),
        Param("over", Expr, required=True, doc="A jagged field or expression to reduce, e.g. `IsoMuon`."),
    ),
    name="reduce",
)
"""A per-event reduction; shared with `hep.selection.cutflow` steps."""

VARIABLE = OneOf(
    Struct(
        (
            Param("name", Str, required=True, doc="Name of the new field."),
            Param(
                "expr", Expr, required=True, doc="Expression computing it, e.g. `sqrt(Muon_Px ** 2 + ...)`."
            ),
            Param("dtype", Str, doc="Cast the result to this NumPy dtype (`float32`, `int64`, `bool`...)."),
        ),
        name="{name, expr, dtype?}",
    ),
    Struct(
        (
            Param("name", Str, required=True, doc="Name of the new field."),
            Param("reduce", REDUCE, required=True, doc="Reduce a jagged field to one value per event."),
        ),
        name="{name, reduce}",
    ),
)


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """One step per variable, in order: each variable sees the variables defined above it."""
    steps: list[FlowStep] = []
    for item in items(get(params, "variables")):
        name = name_scalar(get(item, "name"))
        expr = scalar(get(item, "expr"))
        reduce = get(item, "reduce")
        source = expr if expr is not None else scalar(get(reduce, "over"))
        uses = (ExprUse(source, "expr"),) if source is not None else ()
        if name is None:
            steps.append(FlowStep(uses=uses))
            continue
        if expr is not None:
            doc = f"`{expr.text}` (stage `{stage_id}`)"
        elif source is not None:
            op = scalar(get(reduce, "op"))
            doc = f"`{op.text if op else 'reduce'}` over `{source.text}` (stage `{stage_id}`)"
        else:
            doc = f"stage `{stage_id}`"
        steps.append(FlowStep(uses=uses, defines=(FieldDef(name.text, name, expr=source, doc=doc),)))
    return steps


SPEC = OpSpec(
    "hep.define",
    OpKind.TRANSFORM,
    doc="Add derived fields to the stream: each variable is an expression or a per-event reduction. "
    "Later variables may use earlier ones.",
    params=(
        Param(
            "variables",
            ListOf(VARIABLE),
            required=True,
            doc="The new fields, in order: `{name, expr, dtype?}` or `{name, reduce: {op, over}}`.",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    writes=("variables[].name",),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.define_impl:run",
    plugin="hep",
)
