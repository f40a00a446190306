"""`hep.render.cutflow_csv`: write a cutflow as a CSV table (per dataset, and a total)."""

from __future__ import annotations

from fasthep_flow.registry.specs import Bool, Choice, ListOf, OpKind, OpSpec, Param, Port, Str

COLUMNS = {
    "events_in": "events before the step",
    "events_out": "events after the step",
    "weights_in": "sum of weights before the step",
    "weights_out": "sum of weights after the step",
    "weights_sq_in": "sum of squared weights before the step",
    "weights_sq_out": "sum of squared weights after the step",
    "efficiency": "events_out / events_in",
}

SPEC = OpSpec(
    "hep.render.cutflow_csv",
    OpKind.RENDER,
    doc="Write a cutflow as CSV: one row per dataset, group and step, with event counts and sums of weights.",
    params=(
        Param(
            "columns",
            ListOf(Choice(tuple(COLUMNS), tuple(COLUMNS.values()))),
            doc="Columns written after `dataset, group, step` (all of them when absent).",
        ),
        Param("groups", ListOf(Str), doc="Selection groups written (all when absent)."),
        Param("datasets", ListOf(Str), doc="Datasets written (all when absent)."),
        Param("total", Bool, default=True, doc="Add rows summing all datasets (dataset `total`)."),
        Param("float_format", Str, default="%.6g", doc="printf-style format of sums of weights."),
        Param("delimiter", Str, default=",", doc="Column separator."),
    ),
    inputs=(Port("cutflow", "cutflow"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.cutflow_csv_impl:render",
    plugin="render",
)
