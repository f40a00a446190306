"""``hep.render.heatmap2d``: a 2D histogram as a colour map, one per dataset (LANGUAGE.md §12).

The maps are the products projected onto the style's ``axes.x.name`` and ``axes.y.name`` (the first two
non-category axes when the style names none); a ``variation`` axis is read at ``nominal``. A dataset's product
whose dataset axis also holds other datasets' (empty) bins is read at its own bin, so a map is never the sum of
a dataset and nothing. ``heatmap2d.per_dataset`` writes one file per dataset into a folder named after the
output (``<out stem>/<dataset>.png``, as upstream places them); otherwise all maps share one figure, a grid of
at most ``heatmap2d.max_cols`` columns (about a square by default), data first. A ``.csv`` output is the table
of every map's cells (the numbers a plot shows).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.render.plotting_impl import (
    NOMINAL,
    VARIATION_AXIS,
    dataset_look,
    drawing,
    experiment_of,
    hist_of,
    label_plot,
    save,
    style_axis,
)

DATASET_AXES = ("dataset", "dataset_name")


def _block(style: Mapping[str, Any]) -> Mapping[str, Any]:
    block = style.get("heatmap2d")
    return block if isinstance(block, Mapping) else {}


def _axis_names(h: Any, style: Mapping[str, Any]) -> tuple[str, str]:
    """(x, y): the style's axis names; an axis it leaves out is the next one that is neither the dataset nor
    the variation axis (the same rule ``check`` applies)."""
    axes = style.get("axes") or {}
    x, y = (((axes.get(k) or {}).get("name")) for k in ("x", "y"))
    names = [a.name for a in h.axes]
    for name in (x, y):
        if name is not None and name not in names:
            raise OpError(PARAM_VALUE, f"the histogram has no axis '{name}'", "its axes: " + ", ".join(names))
    pool = [n for n in names if n not in (*DATASET_AXES, VARIATION_AXIS) and n not in (x, y)]
    x = x if x is not None else (pool.pop(0) if pool else None)
    y = y if y is not None else (pool.pop(0) if pool else None)
    if x is None or y is None or x == y:
        raise OpError(
            PARAM_VALUE,
            f"a heat map needs two different axes; the histogram has {', '.join(names)}",
            "fill a 2D histogram, or name the axes in the style's `axes.x.name` / `axes.y.name`",
        )
    return str(x), str(y)


def maps_of(products: Mapping[str, Any], style: Mapping[str, Any]) -> dict[str, Any]:
    """Dataset (or dataset-axis category) -> its 2D histogram over (x, y), in the order drawn (data first)."""
    maps: dict[str, Any] = {}
    for dataset, product in products.items():
        h = hist_of(product)
        names = [a.name for a in h.axes]
        if VARIATION_AXIS in names:
            h = h[{VARIATION_AXIS: NOMINAL}]
            names = [a.name for a in h.axes]
        x, y = _axis_names(h, style)
        ds_axis = next((n for n in DATASET_AXES if n in names and n not in (x, y)), None)
        if ds_axis is None:
            maps[dataset] = h.project(x, y)
        elif dataset in list(h.axes[ds_axis]):
            maps[dataset] = h[{ds_axis: dataset}].project(x, y)
        else:  # one product for several datasets (a merged total): a map per category
            for category in h.axes[ds_axis]:
                maps[str(category)] = h[{ds_axis: category}].project(x, y)
    eventtypes = style.get("_eventtypes") or {}
    data = [k for k in maps if eventtypes.get(k) == "data" or (k == "data" and k not in eventtypes)]
    return {k: maps[k] for k in [*data, *(k for k in maps if k not in data)]}


def write_cells(out: Path, maps: Mapping[str, Any]) -> list[Path]:
    """One row per (map, x bin, y bin): the bin edges (or categories), value and variance."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["map", "x_low", "x_high", "y_low", "y_high", "value", "variance"])
        for name, h in maps.items():
            values, variances = h.values(), h.variances()
            xs, ys = (_bins(axis) for axis in h.axes)
            for i, (x_low, x_high) in enumerate(xs):
                for j, (y_low, y_high) in enumerate(ys):
                    var = "" if variances is None else f"{float(variances[i, j]):.10g}"
                    writer.writerow([name, x_low, x_high, y_low, y_high, f"{float(values[i, j]):.10g}", var])
    os.replace(tmp, out)
    return [out]


def _bins(axis: Any) -> list[tuple[Any, Any]]:
    if axis.traits.continuous:
        edges = axis.edges
        return [(float(edges[i]), float(edges[i + 1])) for i in range(len(axis))]
    return [(axis[i], axis[i]) for i in range(len(axis))]


def _draw(ax: Any, h: Any, style: Mapping[str, Any], cbar: bool, small: bool = False) -> None:
    """One map; its colour bar is the figure's own (a constrained layout then leaves room for it)."""
    import mplhep

    z = (style.get("axes") or {}).get("z") or {}
    kwargs: dict[str, Any] = {"ax": ax, "cbar": False}
    if z.get("scale") == "log":
        from matplotlib.colors import LogNorm

        positive = h.values()[h.values() > 0]
        if positive.size:
            kwargs["norm"] = LogNorm(vmin=float(positive.min()), vmax=float(positive.max()))
    artists = mplhep.hist2dplot(h, **kwargs)
    if not cbar:
        return
    colorbar = ax.figure.colorbar(artists.pcolormesh, ax=ax)
    if z.get("label"):
        colorbar.set_label(str(z["label"]), fontsize="small" if small else None)
    if small:
        colorbar.ax.tick_params(which="both", labelsize="x-small")


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    out = Path(out)
    maps = maps_of(products, style)
    if out.suffix.lower() == ".csv":
        return write_cells(out, maps)
    if not maps:
        return []
    block = _block(style)
    cbar = bool(block.get("cbar", True))
    axes = style.get("axes") or {}
    first = next(iter(maps.values()))
    x_label, y_label = (a.label or a.name for a in first.axes)
    eventtypes = style.get("_eventtypes") or {}
    experiment = experiment_of(style, has_data=any(t == "data" for t in eventtypes.values()))
    import matplotlib.pyplot as plt

    size = (style.get("figure") or {}).get("size")
    written: list[Path] = []
    with drawing(experiment):
        if block.get("per_dataset"):
            folder = out.with_suffix("")
            for name, h in maps.items():
                fig, ax = plt.subplots(layout="constrained", **({"figsize": tuple(size)} if size else {}))
                _draw(ax, h, style, cbar)
                style_axis(ax, "x", axes.get("x"), x_label)
                style_axis(ax, "y", axes.get("y"), y_label)
                ax.set_title(dataset_look(style, name)[0])
                written += save(fig, folder / f"{name}{out.suffix}", style)
            return written
        n = len(maps)
        ncols = max(1, min(int(block.get("max_cols") or math.ceil(math.sqrt(n))), n))
        nrows = math.ceil(n / ncols)
        fig, grid = plt.subplots(
            nrows, ncols, squeeze=False, layout="constrained", **({"figsize": tuple(size)} if size else {})
        )
        cells = list(grid.reshape(-1))
        small = n > 1  # the experiment style's fonts are sized for one plot per figure
        for i, (ax, (name, h)) in enumerate(zip(cells, maps.items(), strict=False)):
            _draw(ax, h, style, cbar, small)
            style_axis(ax, "x", {k: v for k, v in (axes.get("x") or {}).items() if k != "label"})
            style_axis(ax, "y", {k: v for k, v in (axes.get("y") or {}).items() if k != "label"})
            ax.set_xlabel("")
            ax.set_ylabel("")
            if small:
                ax.set_title(dataset_look(style, name)[0], fontsize="small")
                ax.tick_params(labelsize="x-small")
                if i // ncols != nrows - 1 and i + ncols < n:
                    ax.tick_params(labelbottom=False)  # the plot below shows the same x ticks
        for ax in cells[n:]:
            ax.axis("off")
        if n == 1:
            label_plot(cells[0], experiment)
        fig.supxlabel(str((axes.get("x") or {}).get("label", x_label)))
        fig.supylabel(str((axes.get("y") or {}).get("label", y_label)))
        return save(fig, out, style)
