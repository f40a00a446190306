"""`hep.render.heatmap2d`: a 2D histogram as a colour map, one per dataset; matplotlib is lazy."""

from __future__ import annotations

from fasthep_flow.ops.render.style_params import COMMON
from fasthep_flow.ops.render.upstream_style import HEATMAP2D_BLOCK
from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Port

SPEC = OpSpec(
    "hep.render.heatmap2d",
    OpKind.RENDER,
    doc="Draw a 2D histogram as a colour map over `axes.x.name` × `axes.y.name` (other axes summed), one map "
    "per dataset: in one grid figure, or one file per dataset in a folder named after `out` with "
    "`heatmap2d.per_dataset`. `axes.z` styles the colour scale (`scale: log`, `label`); a `.csv` output is "
    "the table of cells.",
    params=(
        *COMMON,
        Param("heatmap2d", HEATMAP2D_BLOCK, doc="`{per_dataset, cbar, max_cols}`."),
    ),
    inputs=(Port("hist", "histogram"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.heatmap2d_impl:render",
    plugin="render",
)
