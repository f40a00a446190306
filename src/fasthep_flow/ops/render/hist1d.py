"""`hep.render.hist1d`: draw 1D histograms, one line per dataset or category; matplotlib is lazy."""

from __future__ import annotations

from fasthep_flow.ops.render.style_params import COMMON
from fasthep_flow.ops.render.upstream_style import HIST1D_BLOCK
from fasthep_flow.registry.specs import Bool, ListOf, OpKind, OpSpec, Param, Port, Str

SPEC = OpSpec(
    "hep.render.hist1d",
    OpKind.RENDER,
    doc="Draw a histogram along one axis (others summed), one line per dataset or category of `overlay`; "
    "data as points with error bars, simulation scaled to the luminosity like `hep.render.data_mc`.",
    params=(
        *COMMON,
        Param(
            "histtype",
            Str,
            default="step",
            allowed=("step", "fill", "errorbar", "band"),
            allowed_docs=("outline", "filled", "points with error bars", "error band"),
            doc="How each simulated histogram is drawn (data is always points with error bars).",
        ),
        Param("density", Bool, default=False, doc="Normalise each histogram to unit area."),
        Param("yerr", Bool, default=True, doc="Draw statistical uncertainties."),
        Param("overlay", Str, doc="A category axis (e.g. the dataset axis) drawn as one line per bin."),
        Param("datasets", ListOf(Str), doc="Datasets drawn (all when absent)."),
        Param("hist1d", HIST1D_BLOCK, doc="Upstream options: `{overlay, histtype, sort_datasets}`."),
    ),
    inputs=(Port("hist", "histogram"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.hist1d_impl:render",
    plugin="render",
)
