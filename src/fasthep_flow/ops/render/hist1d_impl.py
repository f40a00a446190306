"""``hep.render.hist1d``: a histogram along one axis, a line per dataset (or per category of ``overlay``).

Data datasets are drawn as black points with error bars whatever ``histtype`` says (a measurement is not a
line); simulated datasets are scaled to the luminosity like in ``hep.render.data_mc`` when the workflow gives a
luminosity and their cross sections (:mod:`fasthep_flow.ops.render.normalisation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.render.normalisation import luminosity, mc_scales
from fasthep_flow.ops.render.plotting_impl import (
    aligned,
    dataset_look,
    decorate,
    drawing,
    edges_of,
    experiment_of,
    figure,
    hist_of,
    save,
    scaled,
    slices,
    write_csv,
)


def _eventtype(style: Mapping[str, Any], dataset: str) -> str:
    return str((style.get("_eventtypes") or {}).get(dataset, "mc"))


def lines_of(products: Mapping[str, Any], style: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Label -> (dataset, 1-D histogram) for every line drawn; simulation already scaled when it can be."""
    chosen = style.get("datasets")
    names = [d for d in products if not chosen or d in chosen]
    data = [d for d in names if _eventtype(style, d) == "data"]
    scales = mc_scales(style, [d for d in names if d not in data], data)
    lines: dict[str, tuple[str, Any]] = {}
    for dataset in names:
        factor = scales[dataset].factor if dataset in scales else None
        for category, h in slices(hist_of(products[dataset]), style, style.get("overlay")).items():
            if category is not None and category != dataset and category in products:
                continue  # overlaid on the dataset axis: another dataset's bin, empty in this dataset's product
            if category is None or category == dataset:
                key = dataset
            else:
                key = category if len(products) == 1 else f"{dataset} {category}"
            label = dataset_look(style, key)[0]
            lines[label] = (dataset, h if factor is None else scaled(h, factor))
    drawn = aligned({label: h for label, (_, h) in lines.items()})
    return {label: (dataset, drawn[label]) for label, (dataset, _) in lines.items()}


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    out = Path(out)
    lines = lines_of(products, style)
    if out.suffix.lower() == ".csv":
        return write_csv(out, {label: h for label, (_, h) in lines.items()})
    import mplhep

    data = [d for d in products if _eventtype(style, d) == "data"]
    experiment = experiment_of(style, has_data=bool(data), lumi=luminosity(style, data))
    upstream = style.get("hist1d") if isinstance(style.get("hist1d"), Mapping) else {}
    histtype = str(style.get("histtype", upstream.get("histtype", "step")))
    first = next(iter(lines.values()), (None, None))[1]
    with drawing(experiment):
        fig, ax, _ = figure(style)
        # Simulation first, data on top.
        ordered = sorted(lines.items(), key=lambda item: _eventtype(style, item[1][0]) == "data")
        for label, (dataset, h) in ordered:
            is_data = _eventtype(style, dataset) == "data"
            color = dataset_look(style, label)[1] or ("black" if is_data else None)
            mplhep.histplot(
                h,
                ax=ax,
                label=label,
                histtype="errorbar" if is_data else histtype,
                density=bool(style.get("density", False)),
                yerr=True if is_data else bool(style.get("yerr", True)),
                flow=str(style.get("flow", "hint")),
                **({"color": color} if color else {}),
            )
        x_label = (first.axes[0].label or first.axes[0].name) if first is not None else ""
        y_label = "Density" if style.get("density") else "Events"
        x_range = edges_of(first) if first is not None else None
        decorate(ax, style, x_label, y_label, experiment, x_range=x_range)
        return save(fig, out, style)
