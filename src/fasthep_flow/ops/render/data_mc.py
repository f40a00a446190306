"""`hep.render.data_mc`: data points over stacked simulation, with a ratio panel; matplotlib is lazy."""

from __future__ import annotations

from fasthep_flow.ops.render.style_params import COMMON
from fasthep_flow.ops.render.upstream_style import DATA_MC_BLOCK
from fasthep_flow.registry.specs import Bool, ListOf, OneOf, OpKind, OpSpec, Param, Port, Str

SPEC = OpSpec(
    "hep.render.data_mc",
    OpKind.RENDER,
    doc="Draw data (points with error bars) over the stacked simulated datasets, each scaled by "
    "lumi × cross_section / sum of generator weights when the workflow gives them, with a Data/MC ratio "
    "panel and the experiment's label.",
    params=(
        *COMMON,
        Param(
            "data",
            OneOf(ListOf(Str), Str),
            doc="Datasets drawn as data (those with `eventtype: data` by default).",
        ),
        Param(
            "mc",
            ListOf(Str),
            doc="Simulated datasets, bottom of the stack first (`eventtype: mc` by default).",
        ),
        Param("signal", ListOf(Str), doc="Simulated datasets drawn as lines on top instead of stacked."),
        Param("stack", Bool, default=True, doc="Stack the simulated datasets."),
        Param("ratio", Bool, default=True, doc="Draw the Data/MC ratio panel."),
        Param(
            "mc_uncertainty", Bool, default=True, doc="Draw the statistical uncertainty band of the stack."
        ),
        Param("data_mc", DATA_MC_BLOCK, doc="Upstream options: data, backgrounds, signals, stack, ratio..."),
    ),
    inputs=(Port("hist", "histogram"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.data_mc_impl:render",
    plugin="render",
)
