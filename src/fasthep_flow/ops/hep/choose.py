"""`hep.choose`: per event, the values of the first matching case become new fields (LANGUAGE.md §9.8–9.19)."""

from __future__ import annotations

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, entries, get, items, scalar
from fasthep_flow.registry.specs import (
    Expr,
    ListOf,
    MapOf,
    OpKind,
    OpSpec,
    Param,
    ParamProblem,
    Port,
    Str,
    Struct,
)

CASE = Struct(
    (
        Param("name", Str, doc="Label used in error messages."),
        Param("when", Expr, required=True, doc="One boolean per event: the events this case applies to."),
        Param("values", MapOf(Expr), required=True, doc="Output field → expression (one value per event)."),
    ),
    name="{name?, when, values}",
)


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads every `when` and value expression; defines each output once (at its first mention)."""
    uses: list[ExprUse] = []
    defines: dict[str, FieldDef] = {}
    for case in items(get(params, "cases")):
        if (when := scalar(get(case, "when"))) is not None:
            uses.append(ExprUse(when, "expr"))
        for key, value in entries(get(case, "values")):
            if (expr := scalar(value)) is not None:
                uses.append(ExprUse(expr, "expr"))
            if key.text and key.text not in defines:
                defines[key.text] = FieldDef(key.text, key, doc=f"chosen per event by stage `{stage_id}`")
    for _, value in entries(get(params, "default")):
        if (expr := scalar(value)) is not None:
            uses.append(ExprUse(expr, "expr"))
    return [FlowStep(tuple(uses), tuple(defines.values()))] if uses or defines else []


def problems(params: MapNode) -> list[ParamProblem]:
    """What the run checks before it looks at an event: every case gives values to the same outputs, and with
    `on_no_match: default` the `default` gives a value to exactly those outputs."""
    out: list[ParamProblem] = []
    cases = [c for c in items(get(params, "cases")) if isinstance(c, MapNode)]
    names: list[str] = []
    for case in cases:
        for key, _ in entries(get(case, "values")):
            if key.text not in names:
                names.append(key.text)
    for i, case in enumerate(cases):
        values = get(case, "values")
        have = {k.text for k, _ in entries(values)}
        if isinstance(values, MapNode) and have != set(names):
            out.append(
                ParamProblem(
                    codes.PARAM_VALUE,
                    values,
                    f"`values`: case #{i + 1} gives {sorted(have)}, but the cases together give {names}",
                    hint="every case must give a value to the same outputs",
                )
            )
    mode = get(params, "on_no_match")
    if isinstance(mode, ScalarNode) and mode.text == "default":
        default = get(params, "default")
        given = {k.text for k, _ in entries(default)}
        if given != set(names):
            out.append(
                ParamProblem(
                    codes.PARAM_VALUE,
                    default if default is not None else mode,
                    f"`default`: gives {sorted(given)}, but the cases give {names}",
                    hint="with `on_no_match: default`, `default` gives a value to exactly the cases' outputs",
                )
            )
    return out


SPEC = OpSpec(
    "hep.choose",
    OpKind.TRANSFORM,
    doc="Per event, take the `values` of the case whose `when` holds as new fields. Every case defines the "
    "same outputs; outputs may not overwrite existing fields.",
    params=(
        Param(
            "cases",
            ListOf(CASE),
            required=True,
            min_items=1,
            doc="Cases `{name?, when, values}`, in priority order (at least one: there is nothing to choose from "
            "otherwise).",
        ),
        Param("default", MapOf(Expr), doc="Output → expression for events no case matches (`on_no_match`)."),
        Param(
            "on_multiple",
            Str,
            default="error",
            allowed=("error", "first"),
            allowed_docs=("an event matching two cases is an error", "the first matching case wins"),
            doc="What an event matching several cases gets.",
        ),
        Param(
            "on_no_match",
            Str,
            default="error",
            allowed=("error", "default"),
            allowed_docs=("an event matching no case is an error", "it gets the `default` values"),
            doc="What an event matching no case gets.",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    problems=problems,
    impl="fasthep_flow.ops.hep.choose_impl:run",
    plugin="hep",
)
