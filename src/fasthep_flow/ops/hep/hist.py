"""`hep.hist`: fill a histogram (one or more axes) from fields or expressions; NaN goes to overflow."""

from __future__ import annotations

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
                "one bin per integer: `bins: {low, high}`",
                "two bins, false and true",
            ),
            doc="Kind of axis.",
        ),
        Param(
            "bins",
            OneOf(REGULAR_BINS, ListOf(Number), ListOf(OneOf(Str, Int))),
            doc="Binning: `{low, high, nbins}` (regular), edges (variable), values (category), "
            "`{low, high}` (int).",
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

SPEC = OpSpec(
    "hep.hist",
    OpKind.TRANSFORM,
    doc="Fill a histogram per dataset from fields or expressions. Jagged sources fill once per object; "
    "NaN goes to the overflow bin. The stream passes through unchanged.",
    params=(
        Param("axes", ListOf(AXIS), required=True, doc="One entry per axis: `{name, source, type, bins}`."),
        Param("weight_expr", Expr, doc="Per-event weight (unweighted when absent)."),
        Param(
            "storage",
            Str,
            default="count",
            allowed=("count", "weighted"),
            allowed_docs=("counts only", "sum of weights and sum of squared weights (for errors)"),
            doc="What each bin stores.",
        ),
        Param(
            "dataset_axis",
            OneOf(Bool, Struct((Param("name", Str, default="dataset", doc="Axis name."),), name="{name}")),
            doc="Add a category axis of dataset names (`true`, or `{name}` to name it).",
        ),
        Param(
            "variations",
            VARIATIONS,
            doc="Weight variations (systematics) filled on an extra category axis; "
            "needs `storage: weighted`.",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"), Port("hist", "histogram")),
    reads=("axes[].source", "weight_expr", "variations.weights{}"),
    impl="fasthep_flow.ops.hep.hist_impl:run",
    plugin="hep",
)
