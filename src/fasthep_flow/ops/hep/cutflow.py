"""`hep.selection.cutflow`: named groups of cuts that filter the stream and count events per step."""

from __future__ import annotations

import re

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
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
    ParamProblem,
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
_PARENTS_DOC = (
    "Where this group starts: step ids `group[i]` (upstream's form: the events passing step `i` of "
    "`group`) or whole group names; several are ANDed."
)
STEP_ID = re.compile(r"^(?P<group>.+)\[(?P<index>-?\d+)\]$")


def parent_ref(text: str) -> tuple[str, int | None]:
    """`presel[1]` → (`presel`, 1); a plain group name → (name, None)."""
    m = STEP_ID.match(text)
    return (m.group("group"), int(m.group("index"))) if m else (text, None)


STEP_KEYS = ("steps", "cuts")
"""A group's steps, under either name (``cuts`` is upstream's)."""
PARENT_KEYS = ("parents", "from", "parent")
"""A group's parents, under any of its three spellings (``parent`` is upstream's); the first present wins."""


def _first(group: Node | None, keys: tuple[str, ...]) -> Node | None:
    return next((v for v in (get(group, k) for k in keys) if v), None)


def _group_steps(group: Node | None) -> Node | None:
    if isinstance(group, SeqNode):
        return group
    return _first(group, STEP_KEYS)


def problems(params: MapNode) -> list[ParamProblem]:
    """Each parent names a group of this `selection` (a step id, an existing step of it), without a loop."""
    out: list[ParamProblem] = []
    groups = list(entries(get(params, "selection")))
    sizes = {key.text: len(list(items(_group_steps(group)))) for key, group in groups}
    deps: dict[str, list[tuple[str, ScalarNode]]] = {}
    for key, group in groups:
        refs = _first(group, PARENT_KEYS) if isinstance(group, MapNode) else None
        for ref in [refs] if isinstance(refs, ScalarNode) else list(items(refs)):
            if not isinstance(ref, ScalarNode) or not ref.is_string:
                continue
            name, index = parent_ref(ref.text)
            if name not in sizes:
                known = ", ".join(f"{g}[0..{n - 1}]" for g, n in sizes.items() if g != key.text) or "none"
                out.append(
                    ParamProblem(
                        codes.UNKNOWN_STAGE_REF,
                        ref,
                        f"group '{key.text}' starts from '{ref.text}', which this cutflow does not define",
                        f"parents are step ids `group[i]` or group names of this cutflow: {known}",
                    )
                )
            elif index is not None and not -sizes[name] <= index < sizes[name]:
                out.append(
                    ParamProblem(
                        codes.PARAM_VALUE,
                        ref,
                        f"group '{name}' has {sizes[name]} steps: '{ref.text}' is not one of them",
                        f"use {name}[0] to {name}[{sizes[name] - 1}]" if sizes[name] else None,
                    )
                )
            else:
                deps.setdefault(key.text, []).append((name, ref))
    out.extend(_loops(deps))
    return out


def _loops(deps: dict[str, list[tuple[str, ScalarNode]]]) -> list[ParamProblem]:
    """A group reachable from itself through parents: reported once, at the reference closing the loop."""
    out: list[ParamProblem] = []
    for start, refs in deps.items():
        for name, ref in refs:
            seen, todo = set(), [name]
            while todo:
                g = todo.pop()
                if g == start:
                    out.append(
                        ParamProblem(
                            codes.DEPENDENCY_CYCLE,
                            ref,
                            f"group '{start}' depends on itself through '{ref.text}'",
                            "remove one parent of the loop",
                        )
                    )
                    break
                if g not in seen:
                    seen.add(g)
                    todo.extend(n for n, _ in deps.get(g, ()))
    return out[:1]


GROUP = OneOf(
    ListOf(STEP),
    Struct(
        (
            Param("steps", ListOf(STEP), doc=_STEPS_DOC),
            Param("cuts", ListOf(STEP), doc=_STEPS_DOC + " (same as `steps`)"),
            Param("parents", OneOf(ListOf(Str), Str), doc=_PARENTS_DOC),
            Param("from", OneOf(ListOf(Str), Str), doc=_PARENTS_DOC + " (same as `parents`)"),
            Param(
                "parent", OneOf(ListOf(Str), Str), doc=_PARENTS_DOC + " (same as `parents`; upstream's alias)"
            ),
        ),
        name="{steps|cuts, parents|from|parent}",
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
    problems=problems,
    impl="fasthep_flow.ops.hep.cutflow_impl:run",
    plugin="hep",
)
