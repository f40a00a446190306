"""The style vocabulary upstream FAST-HEP render specs use, so that its styles check as written.

Upstream styles carry a `style:` block (experiment, lumi, per-dataset looks), op-specific blocks named after the
op (`hist1d:`, `data_mc:`, `heatmap2d:`, `project:`, `comparison:`, `cutflow_csv:`), `transforms`, `select` and
`extensions` (LANGUAGE.md §9.21). They are spec'd params of the render ops like our own keys, so a typo inside
them is still an error; which of them change the picture is up to each render implementation.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import (
    AnyType,
    Bool,
    Int,
    ListOf,
    MapOf,
    Number,
    OneOf,
    Param,
    Str,
    Struct,
)

DATASET_LOOK = Struct(
    (
        Param("label", Str, doc="Legend label of the dataset."),
        Param("color", Str, doc="Matplotlib colour."),
        Param("hatch", Str, doc="Matplotlib hatch pattern."),
        Param("alpha", Number, doc="Opacity between 0 and 1."),
        Param(
            "kind",
            Str,
            allowed=("data", "background", "signal"),
            allowed_docs=("drawn as points", "stacked simulation", "simulation drawn as a line"),
            doc="How the dataset is drawn.",
        ),
        Param("stack", Bool, doc="Whether the dataset joins the stack."),
    ),
    name="{label, color, hatch, alpha, kind, stack}",
)

STYLE_BLOCK = Struct(
    (
        Param("experiment", Str, doc="Experiment label (`CMS`, `ATLAS`, ...), upstream spelling."),
        Param("lumi", OneOf(Number, Str), doc="Integrated luminosity shown beside the label."),
        Param("label", Str, doc="Text after the experiment name (`Open Data`, `Preliminary`)."),
        Param("datasets", MapOf(DATASET_LOOK), doc="Per-dataset looks: `{label, color, kind, ...}`."),
        Param("color_cycle", ListOf(Str), doc="Colours used in turn for datasets without one."),
    ),
    name="{experiment, lumi, label, datasets, color_cycle}",
)

TRANSFORM = Struct(
    (
        Param(
            "kind",
            Str,
            required=True,
            allowed=("group", "scale"),
            allowed_docs=("merge datasets into groups", "scale datasets by factors"),
            doc="What the transform does to the histogram's dataset axis.",
        ),
        Param(
            "by",
            OneOf(Str, MapOf(ListOf(Str))),
            doc="`dataset_group`, `dataset_name` or `{group: [datasets]}`.",
        ),
        Param("mode", Str, allowed=("overall", "bin_by_bin"), doc="Scale the whole histogram or each bin."),
        Param("factors", AnyType, doc="Scale factors by dataset or group."),
        Param("factors_ref", Str, doc="Where the factors come from."),
    ),
    name="{kind, by, mode, factors, factors_ref}",
)

STYLE_REF = OneOf(Str, Struct((Param("use", Str), Param("with", AnyType)), open=True, name="style"))

HIST1D_BLOCK = Struct(
    (
        Param("overlay", Bool, default=True, doc="One line per dataset category."),
        Param("histtype", Str, allowed=("step", "fill", "errorbar"), doc="How each line is drawn."),
        Param("sort_datasets", Str, allowed=("data_first", "none"), doc="Order of the lines."),
    ),
    name="{overlay, histtype, sort_datasets}",
)

DATA_MC_BLOCK = Struct(
    (
        Param("data", OneOf(Str, ListOf(Str)), doc="The data dataset(s)."),
        Param("backgrounds", ListOf(Str), doc="Stacked simulated datasets."),
        Param("signals", ListOf(Str), doc="Signal datasets."),
        Param("include_signals_in_stack", Bool, doc="Stack the signals too."),
        Param("show_mc_uncertainty", Bool, doc="Draw the stack's statistical band."),
        Param("stack", Bool, doc="Stack the simulation."),
        Param("stack_order", Str, allowed=("reverse_legend", "legend"), doc="Order of the stack."),
        Param("ratio", Bool, doc="Draw the Data/MC ratio panel."),
        Param("histtype_mc", Str, doc="How simulation is drawn (`fill`)."),
        Param("histtype_signal", Str, doc="How signals are drawn (`step`)."),
        Param("legend_auto_ncol_threshold", Int, doc="Entries above which the legend gets more columns."),
        Param("legend_max_ncol", Int, doc="Most legend columns."),
        Param("ratio_ylim", ListOf(Number), doc="`[low, high]` of the ratio panel."),
        Param("ratio_ylabel", Str, doc="Label of the ratio panel."),
    ),
    name="data_mc options",
)

HEATMAP2D_BLOCK = Struct(
    (
        Param("per_dataset", Bool, default=False, doc="One plot per dataset."),
        Param("cbar", Bool, default=True, doc="Draw a colour bar."),
        Param("max_cols", Int, doc="Most plots per row."),
    ),
    name="{per_dataset, cbar, max_cols}",
)

PROJECT_BLOCK = Struct(
    (
        Param("axis", Str, required=True, doc="The histogram axis projected onto."),
        Param("keep_dataset", Bool, default=True, doc="Keep the dataset axis."),
        Param(
            "then", STYLE_REF, required=True, doc="The style drawing the projection (name or `{use, with}`)."
        ),
    ),
    name="{axis, keep_dataset, then}",
)

COMPARISON_BLOCK = Struct(
    (
        Param(
            "reference",
            Str,
            doc="The reference: a dataset of the rendered stage (or a category of its dataset axis); default: "
            "the sum of the datasets of `reference_eventtype`.",
        ),
        Param(
            "target",
            Str,
            doc="The compared dataset (or dataset-axis category); default: the sum of the datasets of "
            "`target_eventtype`.",
        ),
        Param("reference_label", Str, doc="Legend label of the reference (default: its name)."),
        Param("target_label", Str, doc="Legend label of the target (default: its name)."),
        Param(
            "comparison",
            Str,
            default="ratio",
            allowed=(
                "ratio",
                "split_ratio",
                "pull",
                "difference",
                "relative_difference",
                "efficiency",
                "asymmetry",
            ),
            allowed_docs=(
                "reference / target",
                "reference / target, the two uncertainties drawn apart",
                "(reference − target) / combined uncertainty",
                "reference − target",
                "reference / target − 1",
                "reference / target for a reference that is a subset of the target",
                "(reference − target) / (reference + target)",
            ),
            doc="What the lower panel shows.",
        ),
        Param("comparison_ylabel", Str, doc="Label of the lower panel."),
        Param("comparison_ylim", ListOf(Number), doc="`[low, high]` of the lower panel."),
        Param(
            "w2method",
            Str,
            default="sqrt",
            allowed=("sqrt", "poisson"),
            doc="Uncertainty of the reference: √sumw2, or Poisson intervals.",
        ),
        Param("flow", Str, default="hint", allowed=("hint", "show", "none"), doc="How flow bins are shown."),
        Param(
            "normalise", Str, allowed=("area",), doc="`area`: both drawn as densities (unit visible area)."
        ),
        Param("reference_color", Str, default="black", doc="Colour of the reference."),
        Param("target_color", Str, default="red", doc="Colour of the target."),
        Param("reference_histtype", Str, default="errorbar", doc="How the reference is drawn."),
        Param("target_histtype", Str, default="step", doc="How the target is drawn."),
        Param(
            "variation_axis",
            Str,
            doc="Compare along this axis (`variation`): the reference dataset at `variation_reference`, the "
            "target dataset at `variation`.",
        ),
        Param("variation", Str, doc="The target's variation (default: `variation_reference`)."),
        Param("variation_reference", Str, default="nominal", doc="The reference's variation."),
        Param("dataset_axis", Str, default="dataset", doc="The dataset axis of the histogram."),
        Param(
            "reference_eventtype",
            Str,
            default="data",
            doc="The reference's datasets when `reference` is not given (with `variation_axis`: the one "
            "dataset of this event type).",
        ),
        Param(
            "target_eventtype",
            Str,
            default="mc",
            doc="The target's datasets when `target` is not given (with `variation_axis`: the one dataset of "
            "this event type).",
        ),
    ),
    name="comparison options",
)

CUTFLOW_CSV_BLOCK = Struct(
    (Param("include_dataset", Bool, default=True, doc="A `dataset` column."),), name="{include_dataset}"
)

UPSTREAM_COMMON = (
    Param("style", STYLE_BLOCK, doc="Upstream look: `{experiment, lumi, label, datasets, color_cycle}`."),
    Param("transforms", ListOf(TRANSFORM), doc="Group or scale datasets before drawing."),
    Param("select", AnyType, doc="Which part of the product is drawn (upstream)."),
    Param("extensions", AnyType, doc="Free options for plugins (upstream)."),
)

__all__ = [
    "COMPARISON_BLOCK",
    "CUTFLOW_CSV_BLOCK",
    "DATA_MC_BLOCK",
    "HEATMAP2D_BLOCK",
    "HIST1D_BLOCK",
    "PROJECT_BLOCK",
    "UPSTREAM_COMMON",
]
