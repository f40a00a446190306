"""`hep.render.cutflow_csv`: write a cutflow as a CSV table (per dataset, and a total per eventtype)."""

from __future__ import annotations

from fasthep_flow.ops.hep.cutflow_product import COLUMN_DOCS, ROW_COLUMNS
from fasthep_flow.ops.render.upstream_style import CUTFLOW_CSV_BLOCK
from fasthep_flow.registry.specs import Bool, Choice, ListOf, OpKind, OpSpec, Param, Port, Str

COLUMNS = {name: COLUMN_DOCS[name] for name in ROW_COLUMNS}
"""The columns a table may pick after ``dataset, group, step`` (described once, in the cutflow product)."""

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
        Param(
            "total",
            Bool,
            default=True,
            doc="Add rows summing the datasets of each eventtype (`total_data`, `total_mc`; data and "
            "simulation are never added together).",
        ),
        Param(
            "float_format",
            Str,
            default="%.6g",
            pattern=r"^%[-+ #0]*\d*(\.\d+)?[eEfFgG]$",
            doc="printf-style format of sums of weights (one float conversion, e.g. `%.6g`).",
        ),
        Param(
            "delimiter",
            Str,
            default=",",
            allowed=(",", ";", "\t", " "),
            allowed_docs=("comma", "semicolon", "tab", "space"),
            doc="Column separator (one character).",
        ),
        Param("cutflow_csv", CUTFLOW_CSV_BLOCK, doc="Upstream options: `{include_dataset}`."),
    ),
    inputs=(Port("cutflow", "cutflow"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.cutflow_csv_impl:render",
    plugin="render",
)
