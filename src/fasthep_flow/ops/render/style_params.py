"""Style params shared by the render ops: figure, axes, legend, experiment label.

A style (`styles.<name>`) is the params of one render op plus `op`, and may inherit from another style with
`use: <style>` and `with: {...}`; these structs describe the keys a style may set.
"""

from __future__ import annotations

from fasthep_flow.ops.render.upstream_style import UPSTREAM_COMMON
from fasthep_flow.registry.specs import Bool, Choice, Int, ListOf, MapOf, Number, OneOf, Param, Str, Struct

LEGEND_LOCATIONS = (
    "best",
    "upper right",
    "upper left",
    "lower left",
    "lower right",
    "right",
    "center left",
    "center right",
    "lower center",
    "upper center",
    "center",
)
FONT_SIZES = ("xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "larger", "smaller")

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
        Param("name", Str, doc="Name of the ratio axis (upstream writes `ratio`)."),
        Param("label", Str, default="Data / MC", doc="Label of the ratio panel's y axis."),
        Param("limits", ListOf(Number), doc="`[low, high]` of the ratio panel."),
        _SCALE,
    ),
    name="{name, label, limits, scale}",
)

AXES = Struct(
    (
        Param("x", AXIS_STYLE, doc="The horizontal axis."),
        Param("y", AXIS_STYLE, doc="The vertical axis."),
        Param("z", AXIS_STYLE, doc="The colour axis of 2D plots."),
        Param("ratio", RATIO_STYLE, doc="The ratio panel (plots that have one)."),
    ),
    name="{x, y, z, ratio}",
)

LEGEND = OneOf(
    Bool,
    Struct(
        (
            Param(
                "loc",
                Str,
                default="best",
                allowed=LEGEND_LOCATIONS,
                doc="Matplotlib legend location, e.g. `upper right`.",
            ),
            Param("ncol", Int, default=1, minimum=1, doc="Number of columns."),
            Param("title", Str, doc="Legend title."),
            Param(
                "fontsize",
                OneOf(Number, Choice(FONT_SIZES)),
                doc="Font size in points or a name (`small`, `large`...).",
            ),
            Param("frameon", Bool, default=False, doc="Draw a frame around the legend."),
        ),
        name="{loc, ncol, title, fontsize, frameon}",
    ),
)

EXPERIMENT_NAMES = ("CMS", "ATLAS", "LHCb", "ALICE", "none")

EXPERIMENT = OneOf(
    Str,
    Struct(
        (
            Param(
                "name",
                Str,
                default="CMS",
                doc="Experiment whose mplhep style and label the plot gets: `CMS`, `ATLAS`, `LHCb`, `ALICE`, "
                "or `none` (plain matplotlib, no label). Another name is drawn in the label with the CMS look.",
            ),
            Param("text", Str, doc="Text after the name, e.g. `Preliminary`, `Open Data`, `Private work`."),
            Param(
                "lumi",
                Number,
                doc="Integrated luminosity in fb⁻¹: printed in the label and used to scale simulation "
                "(with each dataset's `cross_section` in pb).",
            ),
            Param("com", Number, default=13, doc="Centre-of-mass energy in TeV."),
            Param(
                "data",
                Bool,
                doc="The plot shows data; when false the label says `Simulation`. Default: whether a data "
                "dataset is drawn.",
            ),
        ),
        name="{name, text, lumi, com, data}",
    ),
)

FORMATS = ListOf(
    Choice(("png", "pdf", "svg"), ("raster image", "vector, for papers", "vector, for the web")),
)

COMMON = (
    Param("figure", FIGURE, doc="Figure size and resolution."),
    Param("axes", AXES, doc="Axis names, labels, limits and scales: `{x, y, ratio}`."),
    Param("legend", LEGEND, default=True, doc="Draw a legend (`true`/`false` or legend options)."),
    Param("title", Str, doc="Title above the plot."),
    Param(
        "experiment",
        EXPERIMENT,
        doc="The experiment look: a name (`CMS` by default, `ATLAS`, `LHCb`, `ALICE`, `none`) or "
        "`{name, text, lumi, com, data}`; sets the mplhep style and draws its label with the luminosity.",
    ),
    Param(
        "mplhep_style",
        Str,
        allowed=("CMS", "ATLAS", "LHCb", "LHCb2", "ALICE", "ROOT", "none"),
        doc="An mplhep style sheet overriding the experiment's (`CMS`, `ATLAS`, `LHCb2`, `ALICE`, `ROOT`, "
        "`none`).",
    ),
    Param(
        "formats",
        FORMATS,
        doc="Files written besides `out` itself, by suffix (default `[png, pdf]`: `X.png` and `X.pdf`).",
    ),
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
    *UPSTREAM_COMMON,
)
