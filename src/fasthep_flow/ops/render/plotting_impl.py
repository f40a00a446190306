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
    return str(names[0])


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


@contextlib.contextmanager
def drawing(style: Mapping[str, Any]) -> Iterator[None]:
    """The scope of one plot: the Agg backend, the style's mplhep style (for this plot only, not the process),
    and mplhep's note that integer weights look Poissonian silenced (weighted storage has real variances)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    mpl_style = style.get("mplhep_style")
    context: Any = contextlib.nullcontext()
    if mpl_style:
        import mplhep

        context = plt.style.context(getattr(mplhep.style, str(mpl_style), str(mpl_style)))
    with warnings.catch_warnings(), context:
        warnings.filterwarnings("ignore", message="Integer weights indicate poissonian data")
        yield


def figure(style: Mapping[str, Any], ratio: bool = False) -> tuple[Any, Any, Any | None]:
    """A new figure (and ratio panel) sized by ``style.figure``; call inside ``drawing(style)``."""
    import matplotlib.pyplot as plt

    fig_style = style.get("figure") or {}
    size = fig_style.get("size") or ([8, 8] if ratio else [8, 6])
    if ratio:
        fig, (ax, rax) = plt.subplots(
            2, 1, figsize=tuple(size), sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05}
        )
        return fig, ax, rax
    fig, ax = plt.subplots(figsize=tuple(size))
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


def decorate(ax: Any, style: Mapping[str, Any], x_label: str, y_label: str, legend: bool = True) -> None:
    axes = style.get("axes") or {}
    style_axis(ax, "x", axes.get("x"), x_label)
    style_axis(ax, "y", axes.get("y"), y_label)
    if style.get("title"):
        ax.set_title(str(style["title"]))
    experiment = style.get("experiment")
    if experiment:
        import mplhep

        mplhep.label.exp_label(
            exp=str(experiment.get("name", "")),
            text=str(experiment.get("text", "")),
            data=bool(experiment.get("data", True)),
            lumi=experiment.get("lumi"),
            com=experiment.get("com", 13),
            ax=ax,
        )
    option = style.get("legend", True)
    if legend and option and ax.get_legend_handles_labels()[0]:
        kwargs = {
            k: option[k]
            for k in ("loc", "ncol", "title", "fontsize")
            if isinstance(option, Mapping) and k in option
        }
        ax.legend(**kwargs)


def save(fig: Any, out: Path, style: Mapping[str, Any]) -> list[Path]:
    """Save by suffix (``.png``, ``.pdf``, ``.svg``), to a temporary name first; close the figure."""
    import matplotlib.pyplot as plt

    suffix = out.suffix.lower()
    if suffix not in FORMATS[:-1]:
        plt.close(fig)
        raise OpError(
            PARAM_VALUE, f"cannot render to '{out.name}'", "use a .png, .pdf, .svg or .csv file name"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    dpi = int((style.get("figure") or {}).get("dpi", 100))
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp{suffix}")
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
    return [out]


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
