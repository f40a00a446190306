"""`hep.selection.cutflow`: named groups of cuts that filter the stream and count events per step."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode, Node, SeqNode
from fasthep_flow.ops.hep.define import REDUCE
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    entries,
    get,
    is_false,
    items,
    name_scalar,
    scalar,
)
from fasthep_flow.registry.specs import (
    Bool,
    Expr,
    ListOf,
    MapOf,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)

STEP = OneOf(
    Expr,
    Struct(
        (
            Param("expr", Expr, required=True, doc="The cut: events where it is true pass."),
            Param(
                "label", Str, doc="How the step is named in the cutflow table (the expression by default)."
            ),
        ),
        name="{expr, label?}",
    ),
    Struct(
        (
            Param("reduce", REDUCE, required=True, doc="A per-event reduction that must be true to pass."),
            Param("label", Str, doc="How the step is named in the cutflow table."),
        ),
        name="{reduce, label?}",
    ),
)

_STEPS_DOC = "The cuts of the group, in order (all must pass)."
_PARENTS_DOC = "Groups that must pass first: this group's counts start from their survivors."

GROUP = OneOf(
    ListOf(STEP),
    Struct(
        (
            Param("steps", ListOf(STEP), doc=_STEPS_DOC),
            Param("cuts", ListOf(STEP), doc=_STEPS_DOC + " (same as `steps`)"),
            Param("parents", OneOf(ListOf(Str), Str), doc=_PARENTS_DOC),
            Param("from", OneOf(ListOf(Str), Str), doc=_PARENTS_DOC + " (same as `parents`)"),
        ),
        name="{steps|cuts, parents|from}",
    ),
)


def _step_uses(steps: Node | None) -> list[ExprUse]:
    uses: list[ExprUse] = []
    for step in items(steps):
        node = scalar(step)
        if node is None:
            node = scalar(get(step, "expr")) or scalar(get(get(step, "reduce"), "over"))
        if node is not None:
            uses.append(ExprUse(node, "expr"))
    return uses


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Every cut of every group and the weight are read; then each group's flag and `output_field` exist."""
    uses: list[ExprUse] = []
    groups = list(entries(get(params, "selection")))
    for _key, group in groups:
        if isinstance(group, SeqNode):
            uses.extend(_step_uses(group))
        else:
            uses.extend(_step_uses(get(group, "steps")))
            uses.extend(_step_uses(get(group, "cuts")))
    weight = scalar(get(params, "weight_expr"))
    if weight is not None:
        uses.append(ExprUse(weight, "expr"))
    defines: list[FieldDef] = []
    if not is_false(get(params, "emit_flags")):
        for key, _group in groups:
            if key.text:
                defines.append(
                    FieldDef(
                        f"{stage_id}.{key.text}",
                        key,
                        doc=f"true for events passing group `{key.text}` of cutflow `{stage_id}`",
                        implicit=True,
                    )
                )
    output = name_scalar(get(params, "output_field"))
    if output is not None:
        defines.append(FieldDef(output.text, output, doc=f"the combined selection of cutflow `{stage_id}`"))
    return [FlowStep(tuple(uses), tuple(defines))] if uses or defines else []


SPEC = OpSpec(
    "hep.selection.cutflow",
    OpKind.TRANSFORM,
    doc="Apply named groups of cuts, filter the stream and count events and weights before and after each "
    "step (per dataset). Each group can add a boolean field `<StageId>.<group>`.",
    params=(
        Param(
            "selection",
            MapOf(GROUP),
            required=True,
            doc="Group name → list of steps, or → `{steps|cuts: [...], parents|from: [groups]}`. "
            "A step is an expression, `{expr, label}` or `{reduce: {op, over}}`.",
        ),
        Param("weight_expr", Expr, doc="Per-event weight for the sums of weights (1 when absent)."),
        Param(
            "filter",
            Str,
            default="all",
            allowed=("all", "any", "none"),
            allowed_docs=(
                "keep events passing every group",
                "keep events passing at least one group",
                "keep every event (only count and flag)",
            ),
            doc="How the groups combine to filter the stream.",
        ),
        Param("emit_flags", Bool, default=True, doc="Add a boolean field `<StageId>.<group>` per group."),
        Param("output_field", Str, doc="Also store the combined selection (per `filter`) as this field."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"), Port("cutflow", "cutflow")),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.cutflow_impl:run",
    plugin="hep",
)
