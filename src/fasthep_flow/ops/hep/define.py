"""`hep.define`: add derived fields, one variable after another (a variable may use the ones above it)."""

from __future__ import annotations

from collections.abc import Iterator

from fasthep_flow.document.nodes import MapNode, Node
from fasthep_flow.ops.hep.matrix import combinations, expand_variables, matrix_of, substituted_node
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, get, items, name_scalar, scalar
from fasthep_flow.registry.specs import (
    Expr,
    Int,
    ListOf,
    MapOf,
    Number,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)

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

MATRIX = MapOf(
    OneOf(
        ListOf(OneOf(Str, Int, Number)),
        Struct(
            (
                Param(
                    "range",
                    Struct(
                        (
                            Param("start", Int, default=0, doc="First value."),
                            Param("stop", Int, required=True, doc="One past the last value."),
                            Param("step", Int, default=1, doc="Step between values."),
                        ),
                        name="{start, stop, step?}",
                    ),
                    required=True,
                    doc="Integers `start, start+step, ... < stop`.",
                ),
            ),
            name="{range}",
        ),
    )
)
_MATRIX_PARAM = Param(
    "matrix",
    MATRIX,
    doc="Expand this entry once per combination of values: `{i: [0, 1]}` or `{i: {range: {start, stop}}}`; "
    "`{i}` is replaced in its strings (upstream).",
)
DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
)
_DTYPE = Param("dtype", Str, allowed=DTYPES, doc="Cast the result to this NumPy dtype.")

VARIABLE = OneOf(
    Struct(
        (
            Param("name", Str, required=True, doc="Name of the new field."),
            Param(
                "expr", Expr, required=True, doc="Expression computing it, e.g. `sqrt(Muon_Px ** 2 + ...)`."
            ),
            _DTYPE,
            _MATRIX_PARAM,
        ),
        name="{name, expr, dtype?, matrix?}",
    ),
    Struct(
        (
            Param("name", Str, required=True, doc="Name of the new field."),
            Param("reduce", REDUCE, required=True, doc="Reduce a jagged field to one value per event."),
            _DTYPE,
            _MATRIX_PARAM,
        ),
        name="{name, reduce, dtype?, matrix?}",
    ),
)


def _expanded(params: MapNode | None) -> Iterator[tuple[Node, Node | None, Node | None, Node | None]]:
    """(item, name, expr, reduce.over) per variable, `matrix` entries expanded (``ops/hep/matrix.py``)."""
    for item in items(get(params, "variables")):
        matrix = matrix_of(item)
        combos = list(combinations(matrix)) if matrix is not None else [{}]
        reduce = get(item, "reduce")
        for combo in combos:
            yield (
                item,
                substituted_node(get(item, "name"), combo),
                substituted_node(get(item, "expr"), combo),
                substituted_node(get(reduce, "over"), combo),
            )


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """One step per variable, in order: each variable sees the variables defined above it."""
    steps: list[FlowStep] = []
    for item, name_node, expr_node, over_node in _expanded(params):
        name = name_scalar(name_node)
        expr = scalar(expr_node)
        reduce = get(item, "reduce")
        source = expr if expr is not None else scalar(over_node)
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
        computed = get(item, "matrix") is not None  # the name is made by the matrix: rename must not edit it
        steps.append(
            FlowStep(uses=uses, defines=(FieldDef(name.text, name, expr=source, doc=doc, implicit=computed),))
        )
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
    expand=expand_variables,
    impl="fasthep_flow.ops.hep.define_impl:run",
    plugin="hep",
)
