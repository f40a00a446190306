"""``hep.render.data_mc``: data as points over the stacked simulation, with a Data/MC ratio panel.

Datasets are data or simulation by their ``eventtype`` (the runtime passes ``style["_eventtypes"]``), unless
the style lists them in ``data``/``mc`` (or upstream's ``data_mc: {data, backgrounds, signals}``); ``signal``
datasets are drawn as lines on top of the stack. Simulation is scaled by luminosity × cross section / sum of
weights when the workflow gives them (:func:`stack_of` applies :func:`normalisation.mc_scales`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.render.normalisation import Scale, luminosity, mc_scales
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
    style_axis,
    write_csv,
)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _upstream(style: Mapping[str, Any]) -> Mapping[str, Any]:
    block = style.get("data_mc")
    return block if isinstance(block, Mapping) else {}


def _kinds(style: Mapping[str, Any]) -> dict[str, str]:
    """Upstream's ``style: {datasets: {<name>: {kind: data|background|signal}}}``."""
    block = style.get("style")
    datasets = block.get("datasets") if isinstance(block, Mapping) else None
    if not isinstance(datasets, Mapping):
        return {}
    return {str(n): str(d["kind"]) for n, d in datasets.items() if isinstance(d, Mapping) and d.get("kind")}


def split(products: Mapping[str, Any], style: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(data, stacked mc, signal) dataset names, in drawing order.

    The style's ``data``/``mc``/``signal`` lists (or upstream's ``data_mc: {data, backgrounds, signals}``)
    win; then upstream's per-dataset ``kind``; then each dataset's eventtype.
    """
    eventtypes = style.get("_eventtypes") or {}
    kinds = _kinds(style)
    upstream = _upstream(style)

    def listed(ours: str, theirs: str, kind: str) -> list[str]:
        names = _names(style.get(ours, upstream.get(theirs))) or [d for d, k in kinds.items() if k == kind]
        return [d for d in names if d in products]

    signal = listed("signal", "signals", "signal")
    data = listed("data", "data", "data") or [d for d in products if eventtypes.get(d) == "data"]
    mc = listed("mc", "backgrounds", "background") or [
        d for d in products if d not in data and d not in signal and eventtypes.get(d, "mc") != "data"
    ]
    return data, mc, signal


def _one_d(product: Any, style: Mapping[str, Any]) -> Any:
    return next(iter(slices(hist_of(product), style).values()))


@dataclass
class Stack:
    """What the plot draws, as numbers: a test reads the same object the renderer draws from."""

    data: Any | None
    """The data histogram (all data datasets added), unscaled."""
    mc: dict[str, Any]
    """Stacked simulation, bottom first, each already multiplied by its scale."""
    signal: dict[str, Any]
    scales: dict[str, Scale]
    """The scale of each simulated dataset that was normalised (absent: drawn as filled)."""
    lumi: float | None

    @property
    def mc_total(self) -> Any | None:
        hists = list(self.mc.values())
        return sum(hists[1:], hists[0]) if hists else None


def stack_of(products: Mapping[str, Any], style: Mapping[str, Any]) -> Stack:
    data, mc, signal = split(products, style)
    if not data and not mc:
        raise OpError(PARAM_VALUE, "data_mc has neither data nor simulated datasets to draw")
    scales = mc_scales(style, [*mc, *signal], data)

    one_d = aligned({d: _one_d(products[d], style) for d in (*data, *mc, *signal)})

    def drawn(name: str) -> Any:
        h = one_d[name]
        return scaled(h, scales[name].factor) if name in scales else h

    data_hist = None
    for d in data:
        h = one_d[d]
        data_hist = h if data_hist is None else data_hist + h
    return Stack(
        data_hist,
        {d: drawn(d) for d in mc},
        {d: drawn(d) for d in signal},
        scales,
        luminosity(style, data),
    )


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    out = Path(out)
    stack = stack_of(products, style)
    if out.suffix.lower() == ".csv":
        lines = {dataset_look(style, d)[0]: h for d, h in stack.mc.items()}
        if stack.data is not None:
            lines["data"] = stack.data
        return write_csv(out, lines)
    experiment = experiment_of(style, has_data=stack.data is not None, lumi=stack.lumi)
    with drawing(experiment):
        return _draw(stack, style, out, experiment)


def _draw(stack: Stack, style: Mapping[str, Any], out: Path, experiment: Any) -> list[Path]:
    import mplhep

    upstream = _upstream(style)
    want_ratio = (
        bool(style.get("ratio", upstream.get("ratio", True))) and stack.data is not None and bool(stack.mc)
    )
    fig, ax, rax = figure(style, ratio=want_ratio)
    flow = str(style.get("flow", "hint"))
    mc_total = stack.mc_total
    if stack.mc:
        looks = [dataset_look(style, d) for d in stack.mc]
        mplhep.histplot(
            list(stack.mc.values()),
            ax=ax,
            stack=bool(style.get("stack", upstream.get("stack", True))),
            histtype="fill",
            label=[label for label, _ in looks],
            flow=flow,
            edgecolor="black",
            linewidth=0.5,
            **({"color": [c for _, c in looks]} if all(c for _, c in looks) else {}),
        )
    show_band = style.get("mc_uncertainty", upstream.get("show_mc_uncertainty", True))
    if mc_total is not None and show_band:
        values, edges = mc_total.values(), mc_total.axes[0].edges
        err = np.sqrt(_variances(mc_total))
        ax.stairs(
            values + err,
            edges,
            baseline=values - err,
            fill=True,
            alpha=0.3,
            color="grey",
            hatch="///",
            linewidth=0,
            label="MC stat. unc.",
        )
    for name, h in stack.signal.items():
        label, color = dataset_look(style, name)
        mplhep.histplot(
            h, ax=ax, histtype="step", label=label, flow=flow, **({"color": color} if color else {})
        )
    if stack.data is not None:
        mplhep.histplot(
            stack.data, ax=ax, histtype="errorbar", color="black", label="Data", yerr=True, flow=flow
        )
    first = stack.data if stack.data is not None else next(iter(stack.mc.values()))
    x_label = first.axes[0].label or first.axes[0].name
    if rax is not None and stack.data is not None and mc_total is not None:
        no_x = {**style, "axes": {**(style.get("axes") or {}), "x": {}}}
        decorate(ax, no_x, "", "Events", experiment, x_range=edges_of(first))
        ax.set_xlabel("")  # the ratio panel carries the x label
        _ratio(rax, stack.data, mc_total, style, x_label, bool(show_band))
    else:
        decorate(ax, style, x_label, "Events", experiment, x_range=edges_of(first))
    return save(fig, out, style)


def _variances(h: Any) -> Any:
    variances = h.variances()
    return variances if variances is not None else h.values()


def _ratio(rax: Any, data: Any, mc: Any, style: Mapping[str, Any], x_label: str, band: bool) -> None:
    edges = data.axes[0].edges
    centres = (edges[:-1] + edges[1:]) / 2
    d, m = data.values(), mc.values()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(m > 0, d / m, np.nan)
        err = np.where(m > 0, np.sqrt(_variances(data)) / m, np.nan)
        mc_rel = np.where(m > 0, np.sqrt(_variances(mc)) / m, 0.0)
    if band:
        rax.stairs(1 + mc_rel, edges, baseline=1 - mc_rel, fill=True, alpha=0.3, color="grey", hatch="///")
    rax.errorbar(centres, ratio, yerr=err, fmt="o", color="black", markersize=4)
    rax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    spec = (style.get("axes") or {}).get("ratio") or {}
    upstream = _upstream(style)
    rax.set_ylabel(str(spec.get("label", upstream.get("ratio_ylabel", "Data / MC"))))
    limits = spec.get("limits") or upstream.get("ratio_ylim") or [0.5, 1.5]
    rax.set_ylim(float(limits[0]), float(limits[1]))
    x_range = edges_of(data)
    if x_range is not None:
        rax.set_xlim(*x_range)
    style_axis(rax, "x", (style.get("axes") or {}).get("x"), x_label)
