"""``hep.render.hist1d``: a histogram along one axis, a line per dataset (or per category of ``overlay``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.render.plotting_impl import decorate, drawing, figure, hist_of, save, slices, write_csv


def lines_of(products: Mapping[str, Any], style: Mapping[str, Any]) -> dict[str, Any]:
    """Label -> 1-D histogram for every line drawn."""
    chosen = style.get("datasets")
    labels = style.get("labels") or {}
    lines: dict[str, Any] = {}
    for dataset, product in products.items():
        if chosen and dataset not in chosen:
            continue
        for category, h in slices(hist_of(product), style, style.get("overlay")).items():
            key = (
                dataset if category is None else (category if len(products) == 1 else f"{dataset} {category}")
            )
            lines[str(labels.get(key, key))] = h
    return lines


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    out = Path(out)
    lines = lines_of(products, style)
    if out.suffix.lower() == ".csv":
        return write_csv(out, lines)
    import mplhep

    colors = style.get("colors") or {}
    first = next(iter(lines.values()), None)
    with drawing(style):
        fig, ax, _ = figure(style)
        for label, h in lines.items():
            mplhep.histplot(
                h,
                ax=ax,
                label=label,
                histtype=str(style.get("histtype", "step")),
                density=bool(style.get("density", False)),
                yerr=bool(style.get("yerr", True)),
                flow=str(style.get("flow", "hint")),
                **({"color": colors[label]} if label in colors else {}),
            )
        x_label = (first.axes[0].label or first.axes[0].name) if first is not None else ""
        decorate(ax, style, x_label, "Density" if style.get("density") else "Events")
        return save(fig, out, style)
