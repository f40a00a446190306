"""`hep.hist`: fill a histogram (one or more axes) from fields or expressions; NaN goes to overflow."""

from __future__ import annotations

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode, SeqNode
from fasthep_flow.registry.specs import (
    Bool,
    Expr,
    Field,
    Int,
    ListOf,
    MapOf,
    Number,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    ParamProblem,
    Port,
    Str,
    Struct,
)

AXIS_TYPES = ("regular", "variable", "category", "int", "bool")

REGULAR_BINS = Struct(
    (
        Param("low", Number, required=True, doc="Lower edge of the first bin."),
        Param("high", Number, required=True, doc="Upper edge of the last bin."),
        Param("nbins", Int, minimum=1, doc="Number of equal bins (`regular` axes)."),
    ),
    name="{low, high, nbins}",
)

AXIS = Struct(
    (
        Param("name", Str, required=True, doc="Axis name (used by styles: `axes.x.name`)."),
        Param(
            "source",
            OneOf(Field, Expr),
            required=True,
            doc="Field or expression filled on this axis; a jagged source fills once per object.",
        ),
        Param(
            "type",
            Str,
            required=True,
            allowed=AXIS_TYPES,
            allowed_docs=(
                "equal bins: `bins: {low, high, nbins}`",
                "bin edges: `bins: [0, 10, 20, 50]`",
                "named categories: `bins: [a, b]`, or `growth: true`",
                "integer categories, one per value met, in order of first appearance (`bins` ignored)",
                "integer categories 0 (false) and 1 (true), plus overflow (as upstream)",
            ),
            doc="Kind of axis.",
        ),
        Param(
            "bins",
            OneOf(REGULAR_BINS, ListOf(Number), ListOf(OneOf(Str, Int))),
            doc="Binning: `{low, high, nbins}` (regular), edges (variable), values (category); "
            "ignored by `int` axes, which grow (as upstream).",
        ),
        Param("label", Str, doc="Axis label stored in the histogram (styles may override it)."),
        Param("growth", Bool, default=False, doc="Let a category axis add bins for new values."),
        Param("underflow", Bool, default=True, doc="Keep an underflow bin."),
        Param("overflow", Bool, default=True, doc="Keep an overflow bin (NaN is counted there)."),
    ),
    name="axis",
)

APPLIES_TO = Struct(
    (Param("eventtype", Str, allowed=("data", "mc"), doc="Apply only to datasets of this event type."),),
    name="{eventtype}",
)

VARIATIONS = Struct(
    (
        Param(
            "weights",
            MapOf(Expr),
            required=True,
            doc="Variation name → weight expression (replaces `weight_expr` for that variation).",
        ),
        Param("axis", Str, default="variation", doc="Name of the category axis holding the variations."),
        Param("apply_to", APPLIES_TO, doc="Fill variations only for these datasets (the nominal otherwise)."),
    ),
    name="{weights, axis?, apply_to?}",
)


def problems(params: MapNode) -> list[ParamProblem]:
    """Forms upstream accepts whose result surprises: an ignored weight, ignored `int` bins."""
    out: list[ParamProblem] = []
    storage = params.get("storage")
    weight = params.get("weight_expr")
    if isinstance(storage, ScalarNode) and storage.value == "count" and weight is not None:
        out.append(
            ParamProblem(
                codes.WEIGHT_IGNORED,
                storage,
                "`storage: count` ignores `weight_expr`: every entry counts 1 (as upstream)",
                "drop `storage: count` (a weighted histogram) or drop `weight_expr`",
                warning=True,
            )
        )
    axes = params.get("axes")
    for axis in axes.items if isinstance(axes, SeqNode) else ():
        if not isinstance(axis, MapNode):
            continue
        kind = axis.get("type")
        bins = axis.entry("bins")
        if isinstance(kind, ScalarNode) and kind.value == "int" and bins is not None:
            out.append(
                ParamProblem(
                    codes.BINS_IGNORED,
                    bins.key,
                    "`int` axes ignore `bins`: one category per integer met (as upstream)",
                    "remove `bins`, or use `type: regular` for fixed bins",
                    warning=True,
                )
            )
    return out


SPEC = OpSpec(
    "hep.hist",
    OpKind.TRANSFORM,
    doc="Fill a histogram per dataset from fields or expressions. Jagged sources fill once per object; "
    "NaN goes to the overflow bin. The stream passes through unchanged.",
    params=(
        Param("axes", ListOf(AXIS), required=True, doc="One entry per axis: `{name, source, type, bins}`."),
        Param(
            "weight_expr",
            Expr,
            doc="Per-event weight (unweighted when absent); makes the storage `weighted` unless "
            "`storage: count` is given, which ignores it (as upstream).",
        ),
        Param(
            "storage",
            Str,
            allowed=("count", "weighted"),
            allowed_docs=(
                "counts only; a `weight_expr` is not applied",
                "sum of weights and sum of squared weights (for errors)",
            ),
            doc="What each bin stores; default `weighted` when `weight_expr` or `variations` is given, "
            "else `count`.",
        ),
        Param(
            "dataset_axis",
            OneOf(Bool, Struct((Param("name", Str, default="dataset", doc="Axis name."),), name="{name}")),
            doc="Add a category axis of dataset names (`true`, or `{name}` to name it).",
        ),
        Param(
            "variations",
            VARIATIONS,
            doc="Weight variations (systematics) filled on an extra category axis, last; implies "
            "`storage: weighted`. Datasets outside `apply_to` fill only `nominal`, unweighted.",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"), Port("hist", "histogram")),
    reads=("axes[].source", "weight_expr", "variations.weights{}"),
    impl="fasthep_flow.ops.hep.hist_impl:run",
    plugin="hep",
    problems=problems,
)
