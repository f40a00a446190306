"""Style params shared by the render ops: figure, axes, legend, experiment label.

A style (`styles.<name>`) is the params of one render op plus `op`, and may inherit from another style with
`use: <style>` and `with: {...}`; these structs describe the keys a style may set.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import Bool, Int, ListOf, MapOf, Number, OneOf, Param, Str, Struct

FIGURE = Struct(
    (
        Param("size", ListOf(Number), doc="Figure size `[width, height]` in inches."),
        Param("dpi", Int, default=100, minimum=1, doc="Resolution of raster outputs (PNG)."),
    ),
    name="{size, dpi}",
)

_SCALE = Param(
    "scale",
    Str,
    default="linear",
    allowed=("linear", "log"),
    allowed_docs=("linear scale", "logarithmic scale"),
    doc="Axis scale.",
)

AXIS_STYLE = Struct(
    (
        Param("name", Str, doc="Histogram axis drawn here (x only; the first axis by default)."),
        Param("label", Str, doc="Axis label; LaTeX between `$...$` is rendered."),
        Param("limits", ListOf(Number), doc="`[low, high]` of the visible range."),
        _SCALE,
    ),
    name="{name, label, limits, scale}",
)

RATIO_STYLE = Struct(
    (
        Param("label", Str, default="Data / MC", doc="Label of the ratio panel's y axis."),
        Param("limits", ListOf(Number), doc="`[low, high]` of the ratio panel."),
    ),
    name="{label, limits}",
)

AXES = Struct(
    (
        Param("x", AXIS_STYLE, doc="The horizontal axis."),
        Param("y", AXIS_STYLE, doc="The vertical axis."),
        Param("ratio", RATIO_STYLE, doc="The ratio panel (plots that have one)."),
    ),
    name="{x, y, ratio}",
)

LEGEND = OneOf(
    Bool,
    Struct(
        (
            Param("loc", Str, default="best", doc="Matplotlib legend location, e.g. `upper right`."),
            Param("ncol", Int, default=1, minimum=1, doc="Number of columns."),
            Param("title", Str, doc="Legend title."),
            Param("fontsize", OneOf(Number, Str), doc="Font size in points or a name (`small`)."),
        ),
        name="{loc, ncol, title, fontsize}",
    ),
)

EXPERIMENT = Struct(
    (
        Param("name", Str, doc="Experiment name drawn in bold (`CMS`, `ATLAS`, ...)."),
        Param("text", Str, doc="Text after the name, e.g. `Open Data`, `Preliminary`."),
        Param("lumi", Number, doc="Integrated luminosity in fb⁻¹."),
        Param("com", Number, doc="Centre-of-mass energy in TeV."),
        Param("data", Bool, default=True, doc="The plot shows data (else `Simulation` is added)."),
    ),
    name="{name, text, lumi, com, data}",
)

COMMON = (
    Param("figure", FIGURE, doc="Figure size and resolution."),
    Param("axes", AXES, doc="Axis names, labels, limits and scales: `{x, y, ratio}`."),
    Param("legend", LEGEND, default=True, doc="Draw a legend (`true`/`false` or legend options)."),
    Param("title", Str, doc="Title above the plot."),
    Param("experiment", EXPERIMENT, doc="An experiment label (mplhep style)."),
    Param("mplhep_style", Str, doc="An mplhep style name (`CMS`, `ATLAS`, `LHCb2`, `ALICE`)."),
    Param(
        "flow",
        Str,
        default="hint",
        allowed=("hint", "show", "sum", "none"),
        allowed_docs=(
            "mark non-empty under/overflow with an arrow",
            "draw under/overflow as extra bins",
            "add under/overflow to the first/last bin",
            "ignore under/overflow",
        ),
        doc="How under- and overflow bins are shown.",
    ),
    Param("labels", MapOf(Str), doc="Legend label per dataset (or category) name."),
    Param("colors", MapOf(Str), doc="Colour per dataset (or category) name."),
)
