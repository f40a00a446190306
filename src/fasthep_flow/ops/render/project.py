"""`hep.render.project`: project a histogram onto one axis and draw it with another style."""

from __future__ import annotations

from fasthep_flow.ops.render.style_params import COMMON
from fasthep_flow.ops.render.upstream_style import PROJECT_BLOCK
from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Port

SPEC = OpSpec(
    "hep.render.project",
    OpKind.RENDER,
    doc="Sum a histogram over every axis but `project.axis` (and the dataset axis, kept unless "
    "`project.keep_dataset: false`), then draw the projection with the style `project.then` (its own `op`: "
    "hist1d, data_mc, heatmap2d or comparison).",
    params=(
        *COMMON,
        Param("project", PROJECT_BLOCK, required=True, doc="`{axis, keep_dataset, then}`."),
    ),
    inputs=(Port("hist", "histogram"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.project_impl:render",
    plugin="render",
)
