"""`hep.render.comparison`: two histograms drawn together with a ratio, pull or difference panel."""

from __future__ import annotations

from fasthep_flow.ops.render.style_params import COMMON
from fasthep_flow.ops.render.upstream_style import COMPARISON_BLOCK
from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Port

SPEC = OpSpec(
    "hep.render.comparison",
    OpKind.RENDER,
    doc="Draw a reference and a target histogram of the rendered stage (two datasets, two categories of its "
    "dataset axis, or one dataset at two variations with `comparison.variation_axis`) with a comparison panel "
    "below (`ratio` = reference / target, `pull`, `difference`, ...); a `.csv` output is the table per bin.",
    params=(
        *COMMON,
        Param("comparison", COMPARISON_BLOCK, doc="What is compared and how."),
    ),
    inputs=(Port("hist", "histogram"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.comparison_impl:render",
    plugin="render",
)
