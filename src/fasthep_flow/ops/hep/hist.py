"""`hep.hist`: fill a histogram (one or more axes) from fields or expressions; NaN goes to overflow."""

from __future__ import annotations

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode, SeqNode
from fasthep_flow.registry.dataflow import get, items
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

DATASET_AXIS = Struct(
    (
        Param("name", Str, default="dataset", doc="Axis name."),
        Param("type", Str, allowed=("category",), doc="Axis kind (a category axis)."),
        Param("source", OneOf(Field, Expr), doc="What fills it (`dataset_name`)."),
        Param("bins", ListOf(Str), doc="Fixed categories (all dataset names when absent)."),
        Param("label", Str, doc="Axis label."),
        Param("growth", Bool, doc="Let the axis add a bin per new value."),
    ),
    name="{name, type?, source?, bins?, label?}",
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
    """Problems the JSON Schema cannot see: missing bins and clashing axis names (errors), then forms upstream
    accepts whose result surprises (warnings)."""
    return _bins_and_names(params) + _surprises(params)


def _bins_and_names(params: MapNode) -> list[ParamProblem]:
    """Bins the axis type needs: `regular` takes `{low, high, nbins}`, `variable` at least two edges."""
    out: list[ParamProblem] = []
    seen: set[str] = set()
    extra = []
    dataset_axis = get(params, "dataset_axis")
    if isinstance(dataset_axis, ScalarNode) and dataset_axis.value is True:
        extra.append("dataset")
    elif isinstance(dataset_axis, MapNode):
        name = get(dataset_axis, "name")
        extra.append(name.text if isinstance(name, ScalarNode) else "dataset")
    variations = get(params, "variations")
    if isinstance(variations, MapNode):
        axis_name = get(variations, "axis")
        extra.append(axis_name.text if isinstance(axis_name, ScalarNode) else "variation")
    for axis in items(get(params, "axes")):
        name = get(axis, "name")
        if isinstance(name, ScalarNode) and name.is_string:
            if name.text in seen or name.text in extra:
                out.append(
                    ParamProblem(
                        codes.DUPLICATE_NAME,
                        name,
                        f"two axes of this histogram are named '{name.text}'",
                        "axis names must differ (the dataset and variation axes count too)",
                    )
                )
            seen.add(name.text)
        kind = get(axis, "type")
        if not isinstance(axis, MapNode) or not isinstance(kind, ScalarNode):
            continue
        bins = get(axis, "bins")
        if kind.value == "regular" and not (
            isinstance(bins, MapNode) and all(get(bins, k) is not None for k in ("low", "high", "nbins"))
        ):
            out.append(
                ParamProblem(
                    codes.MISSING_KEY,
                    bins if bins is not None else kind,
                    "a `regular` axis needs `bins: {low, high, nbins}`",
                    "e.g. `bins: {low: 0, high: 100, nbins: 50}`",
                )
            )
        elif kind.value == "variable" and not (isinstance(bins, SeqNode) and len(bins.items) >= 2):
            out.append(
                ParamProblem(
                    codes.MISSING_KEY,
                    bins if bins is not None else kind,
                    "a `variable` axis needs `bins:` with at least two edges",
                    "e.g. `bins: [0, 10, 20, 50]`",
                )
            )
    return out


def _surprises(params: MapNode) -> list[ParamProblem]:
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
            OneOf(Bool, DATASET_AXIS),
            doc="Add a category axis of dataset names: `true`, `{name}`, or a whole axis mapping "
            "`{name, type: category, source: dataset_name}` (as upstream).",
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
    leads_stream=False,
    problems=problems,
    reads=("axes[].source", "dataset_axis.source", "weight_expr", "variations.weights{}"),
    impl="fasthep_flow.ops.hep.hist_impl:run",
    plugin="hep",
)
