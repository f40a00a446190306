"""What the histogram renders share: picking the 1-D view of a product, and a styled figure saved by suffix.

A product may carry more axes than a 1-D plot shows: a ``variation`` axis is drawn at its ``nominal`` bin, an
``overlay`` axis becomes one line per category, every other extra axis is summed over. matplotlib (Agg) and
mplhep are imported inside the functions: ``fasthep-flow check`` never pays for them.
"""

from __future__ import annotations

import contextlib
import csv
import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.failures import OpError

FORMATS = (".png", ".pdf", ".svg", ".csv")
VARIATION_AXIS = "variation"
NOMINAL = "nominal"


def hist_of(product: Any) -> Any:
    """The histogram in a product (``{"hist": h}`` from a stage with several products, or ``h`` itself)."""
    if isinstance(product, Mapping):
        for value in product.values():
            if hasattr(value, "axes"):
                return value
        raise OpError(PARAM_VALUE, "the rendered stage has no histogram product", "render a `hep.hist` stage")
    if not hasattr(product, "axes"):
        raise OpError(PARAM_VALUE, f"cannot draw a {type(product).__name__} as a histogram")
    return product


def _is_category(axis: Any) -> bool:
    return not axis.traits.continuous and type(axis).__name__ in ("StrCategory", "IntCategory")


def x_axis_name(h: Any, style: Mapping[str, Any]) -> str:
    wanted = ((style.get("axes") or {}).get("x") or {}).get("name")
    names = [a.name for a in h.axes]
    if wanted:
        if wanted not in names:
            raise OpError(
                PARAM_VALUE, f"the histogram has no axis '{wanted}'", "its axes: " + ", ".join(names)
            )
        return str(wanted)
    for axis in h.axes:
        if not _is_category(axis):
            return str(axis.name)
    for axis in h.axes:  # an `int` (or `bool`) axis is an integer category axis, as upstream makes it
        if type(axis).__name__ == "IntCategory":
            return str(axis.name)
    others = [n for n in names if n not in ("dataset", VARIATION_AXIS)]
    return str(others[0] if others else names[0])


def aligned(hists: Mapping[str, Any]) -> dict[str, Any]:
    """1-D histograms over one category list, so that their bins line up when drawn together.

    Each dataset's histogram grows its category axes (an ``int`` axis is one) in the order it met the values,
    so two datasets' bins may hold different categories; they are redrawn over the union (integers in
    ascending order). Histograms on other axes are returned as they are.
    """
    import hist

    items = list(hists.items())
    if not items or not all(len(h.axes) == 1 and _is_category(h.axes[0]) for _, h in items):
        return dict(hists)
    kinds = {type(h.axes[0]).__name__ for _, h in items}
    if len(kinds) != 1:
        return dict(hists)
    categories = list(dict.fromkeys(c for _, h in items for c in h.axes[0]))
    integer = kinds == {"IntCategory"}
    if integer:
        categories.sort()
    out: dict[str, Any] = {}
    for key, h in items:
        old = h.axes[0]
        axis_type = hist.axis.IntCategory if integer else hist.axis.StrCategory
        new = hist.Hist(axis_type(categories, name=old.name, label=old.label), storage=h.storage_type())
        where = [categories.index(c) for c in old]
        view = new.view()
        view[where] = h.view()[: len(where)]
        out[key] = new
    return out


def slices(h: Any, style: Mapping[str, Any], overlay: str | None = None) -> dict[str | None, Any]:
    """The 1-D histograms to draw: ``{category: h1d}`` along ``overlay``, or ``{None: h1d}``."""
    x = x_axis_name(h, style)
    names = [a.name for a in h.axes]
    if VARIATION_AXIS in names and x != VARIATION_AXIS and overlay != VARIATION_AXIS:
        h = h[{VARIATION_AXIS: NOMINAL}]
        names = [a.name for a in h.axes]
    if overlay and overlay in names and overlay != x:
        out: dict[str | None, Any] = {}
        for category in h.axes[overlay]:
            sub = h[{overlay: category}]
            out[str(category)] = sub.project(x) if len(sub.axes) > 1 else sub
        return out
    return {None: h.project(x) if len(h.axes) > 1 else h}


EXPERIMENTS = ("CMS", "ATLAS", "LHCb", "ALICE")
"""Experiments with an mplhep style and label; ``none`` gives plain matplotlib and no label."""
DEFAULT_EXPERIMENT = "CMS"
MPLHEP_STYLES = {"CMS": "CMS", "ATLAS": "ATLAS", "LHCB": "LHCb2", "ALICE": "ALICE"}
DEFAULT_FORMATS = ("png", "pdf")


@dataclass(frozen=True)
class Experiment:
    """The experiment look of one plot: mplhep style sheet and label, resolved from our and upstream keys."""

    name: str | None
    """Shown in bold in the label; None for ``none`` (no label)."""
    text: str = ""
    lumi: float | None = None
    com: float | str | None = 13
    data: bool = True
    sheet: str | None = None
    """The mplhep style sheet (``mplhep.style.<sheet>``), None for plain matplotlib."""


def experiment_of(style: Mapping[str, Any], has_data: bool, lumi: float | None = None) -> Experiment:
    """``experiment: CMS`` or ``experiment: {name, text, lumi, com, data}`` (ours), or upstream's
    ``style: {experiment, label, lumi}``; CMS when the style says nothing."""
    ours = style.get("experiment")
    upstream = style.get("style") if isinstance(style.get("style"), Mapping) else {}
    spec: dict[str, Any] = dict(ours) if isinstance(ours, Mapping) else {}
    if isinstance(ours, str):
        spec["name"] = ours
    spec.setdefault("name", upstream.get("experiment") or DEFAULT_EXPERIMENT)
    if upstream.get("label") is not None:
        spec.setdefault("text", upstream["label"])
    name = str(spec["name"])
    sheet_option = style.get("mplhep_style")
    plain = name.lower() == "none"
    # Another experiment's name is printed in the label, with the CMS look; `none`: plain matplotlib.
    default_sheet = None if plain else MPLHEP_STYLES.get(name.upper(), "CMS")
    sheet = str(sheet_option) if sheet_option else default_sheet
    if sheet is not None and sheet.lower() == "none":
        sheet = None
    if plain:
        return Experiment(None, sheet=sheet)
    return Experiment(
        name=name,
        text=str(spec.get("text") or ""),
        lumi=lumi,
        com=spec.get("com", 13),
        data=bool(spec.get("data", has_data)),
        sheet=sheet,
    )


@contextlib.contextmanager
def drawing(experiment: Experiment) -> Iterator[None]:
    """The scope of one plot: the Agg backend, the experiment's mplhep style (for this plot only, not the
    process), and mplhep's note that integer weights look Poissonian silenced (weighted storage has real
    variances)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    context: Any = contextlib.nullcontext()
    if experiment.sheet:
        import mplhep

        context = plt.style.context(getattr(mplhep.style, experiment.sheet, experiment.sheet))
    with warnings.catch_warnings(), context:
        warnings.filterwarnings("ignore", message="Integer weights indicate poissonian data")
        yield


def figure(style: Mapping[str, Any], ratio: bool = False) -> tuple[Any, Any, Any | None]:
    """A new figure (and a ratio panel below, a third of the height); call inside ``drawing``.

    The size is ``style.figure.size`` when given, else the experiment style's own (CMS: 10 × 10 inches):
    the label and tick sizes of a style are designed for its figure size.
    """
    import matplotlib.pyplot as plt

    fig_style = style.get("figure") or {}
    size = fig_style.get("size")
    kwargs: dict[str, Any] = {"figsize": tuple(size)} if size else {}
    if ratio:
        fig, (ax, rax) = plt.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05}, **kwargs
        )
        return fig, ax, rax
    fig, ax = plt.subplots(**kwargs)
    return fig, ax, None


def style_axis(ax: Any, which: str, spec: Mapping[str, Any] | None, default_label: str = "") -> None:
    spec = spec or {}
    label = spec.get("label", default_label)
    if label:
        getattr(ax, f"set_{which}label")(str(label))
    if spec.get("scale"):
        getattr(ax, f"set_{which}scale")(str(spec["scale"]))
    limits = spec.get("limits")
    if limits and len(limits) == 2:
        getattr(ax, f"set_{which}lim")(float(limits[0]), float(limits[1]))


def label_plot(ax: Any, experiment: Experiment) -> None:
    """The experiment label (``CMS Simulation ... 0.05 fb⁻¹ (13 TeV)``) through mplhep's own function."""
    if experiment.name is None:
        return
    import mplhep

    text = experiment.text
    # mplhep prepends "Simulation" itself when data=False: a text that already says so must not get it twice.
    data = experiment.data or "simulation" in text.lower()
    module = getattr(mplhep, experiment.name.lower(), None)
    kwargs = {"data": data, "lumi": _lumi_text(experiment.lumi), "com": experiment.com, "ax": ax}
    if module is not None and hasattr(module, "label") and experiment.name.upper() in MPLHEP_STYLES:
        module.label(text=text, **kwargs)
    else:
        mplhep.label.exp_label(exp=experiment.name, text=text, **kwargs)


def _lumi_text(lumi: float | None) -> str | None:
    return None if lumi is None else f"{lumi:.3g}"


def decorate(
    ax: Any,
    style: Mapping[str, Any],
    x_label: str,
    y_label: str,
    experiment: Experiment,
    legend: bool = True,
    x_range: tuple[float, float] | None = None,
) -> None:
    """Labels, limits, headroom, the experiment label and the legend. ``x_range``: the histogram's edges,
    the x limits when the style sets none (no margin beside the first and last bins)."""
    axes = style.get("axes") or {}
    if x_range is not None and not (axes.get("x") or {}).get("limits"):
        ax.set_xlim(*x_range)
    style_axis(ax, "x", axes.get("x"), x_label)
    style_axis(ax, "y", axes.get("y"), y_label)
    y_spec = axes.get("y") or {}
    if not y_spec.get("limits"):
        _headroom(ax, log=y_spec.get("scale") == "log")
    if style.get("title"):
        ax.set_title(str(style["title"]))
    label_plot(ax, experiment)
    option = style.get("legend", True)
    if legend and option and ax.get_legend_handles_labels()[0]:
        kwargs = {
            k: option[k]
            for k in ("loc", "ncol", "title", "fontsize")
            if isinstance(option, Mapping) and k in option
        }
        ax.legend(**kwargs)


def _headroom(ax: Any, log: bool) -> None:
    """Room above the tallest bin for the experiment label and the legend."""
    low, high = ax.get_ylim()
    if log:
        if low > 0 and high > low:
            ax.set_ylim(low, high * (high / low) ** 0.4)
    else:
        ax.set_ylim(0 if low >= 0 else low, high * 1.35)


def output_paths(out: Path, style: Mapping[str, Any]) -> list[Path]:
    """``out`` itself and one sibling per ``formats`` entry (PNG and PDF by default)."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS[:-1]:
        raise OpError(
            PARAM_VALUE, f"cannot render to '{out.name}'", "use a .png, .pdf, .svg or .csv file name"
        )
    formats = style.get("formats")
    wanted = [str(f).lower().lstrip(".") for f in (formats if formats is not None else DEFAULT_FORMATS)]
    paths = [out]
    for fmt in wanted:
        path = out.with_suffix(f".{fmt}")
        if path not in paths:
            paths.append(path)
    return paths


def save(fig: Any, out: Path, style: Mapping[str, Any]) -> list[Path]:
    """Save to ``out`` and the other ``formats``, each to a temporary name first; close the figure."""
    import matplotlib.pyplot as plt

    try:
        paths = output_paths(out, style)
    except OpError:
        plt.close(fig)
        raise
    out.parent.mkdir(parents=True, exist_ok=True)
    dpi = int((style.get("figure") or {}).get("dpi", 100))
    try:
        bbox = tight_box(fig, dpi)
        for path in paths:
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
            try:
                fig.savefig(tmp, dpi=dpi, bbox_inches=bbox)
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink()
    finally:
        plt.close(fig)
    return paths


def tight_box(fig: Any, dpi: int) -> Any:
    """The figure's drawn extent plus the usual margin, in inches: what ``bbox_inches="tight"`` computes, worked
    out once for every format saved rather than once per format (each costs a full layout of the figure)."""
    import matplotlib as mpl

    fig.set_dpi(dpi)
    fig.draw_without_rendering()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    return box.padded(float(mpl.rcParams["savefig.pad_inches"]))


def scaled(h: Any, factor: float) -> Any:
    """``h × factor`` with its variances scaled by ``factor²``.

    A ``count`` histogram's variances are its values (Poisson) only while unscaled: hist forgets them after a
    multiplication, and a plot would then take the scaled values as variances. So such a histogram becomes a
    weighted one (variance = count) first.
    """
    if h.storage_type.__name__ in ("Double", "Int64", "AtomicInt64", "Unlimited"):
        import hist

        weighted = hist.Hist(*h.axes, storage=hist.storage.Weight())
        view = weighted.view(flow=True)
        view.value = h.values(flow=True)
        view.variance = h.values(flow=True)
        h = weighted
    return h * factor


def edges_of(h: Any) -> tuple[float, float] | None:
    """The first and last edge of a 1-D histogram's regular, variable or integer axis (None for categories)."""
    axis = h.axes[0]
    if _is_category(axis):
        return None
    return float(axis.edges[0]), float(axis.edges[-1])


def dataset_look(style: Mapping[str, Any], name: str) -> tuple[str, str | None]:
    """(legend label, colour) of a dataset: the style's ``labels``/``colors`` (ours) or
    ``style.datasets.<name>`` (upstream), else the dataset's own ``label``, else its name."""
    upstream = style.get("style") if isinstance(style.get("style"), Mapping) else {}
    entry = (upstream.get("datasets") or {}).get(name) or {}
    meta = ((style.get("_datasets") or {}).get(name) or {}).get("meta") or {}
    label = (style.get("labels") or {}).get(name, entry.get("label", meta.get("label", name)))
    color = (style.get("colors") or {}).get(name, entry.get("color"))
    return str(label), (str(color) if color else None)


def write_csv(out: Path, lines: Mapping[str, Any]) -> list[Path]:
    """Bin contents as a table: one row per (line, bin) with edges, value and variance."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["line", "low", "high", "value", "variance"])
        for name, h in lines.items():
            axis = h.axes[0]
            values = h.values()
            variances = h.variances()
            for i in range(len(values)):
                low, high = (
                    (axis.edges[i], axis.edges[i + 1]) if axis.traits.continuous else (axis[i], axis[i])
                )
                var = "" if variances is None else f"{float(variances[i]):.10g}"
                writer.writerow([name, low, high, f"{float(values[i]):.10g}", var])
    os.replace(tmp, out)
    return [out]
