"""``hep.render.data_mc``: data as points over the stacked simulation, with a Data/MC ratio panel.

Datasets are data or simulation by their ``eventtype`` (the runtime passes ``style["_eventtypes"]``), unless
the style lists them in ``data``/``mc``; ``signal`` datasets are drawn as lines on top of the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.render.plotting_impl import decorate, drawing, figure, hist_of, save, slices, write_csv


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def split(products: Mapping[str, Any], style: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(data, stacked mc, signal) dataset names, in drawing order."""
    kinds = style.get("_eventtypes") or {}
    signal = [d for d in _names(style.get("signal")) if d in products]
    data = [d for d in _names(style.get("data")) if d in products] or [
        d for d in products if kinds.get(d) == "data"
    ]
    mc = [d for d in _names(style.get("mc")) if d in products] or [
        d for d in products if d not in data and d not in signal and kinds.get(d, "mc") != "data"
    ]
    return data, mc, signal


def _one_d(product: Any, style: Mapping[str, Any]) -> Any:
    return next(iter(slices(hist_of(product), style).values()))


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    with drawing(style):
        return _render(products, style, Path(out))


def _render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path) -> list[Path]:
    data, mc, signal = split(products, style)
    if not data and not mc:
        raise OpError(PARAM_VALUE, "data_mc has neither data nor simulated datasets to draw")
    labels = style.get("labels") or {}
    colors = style.get("colors") or {}
    mc_hists = [_one_d(products[d], style) for d in mc]
    data_hist = None
    for d in data:
        h = _one_d(products[d], style)
        data_hist = h if data_hist is None else data_hist + h
    if out.suffix.lower() == ".csv":
        lines = {str(labels.get(d, d)): h for d, h in zip(mc, mc_hists, strict=True)}
        if data_hist is not None:
            lines["data"] = data_hist
        return write_csv(out, lines)

    import mplhep

    want_ratio = bool(style.get("ratio", True)) and data_hist is not None and bool(mc_hists)
    fig, ax, rax = figure(style, ratio=want_ratio)
    flow = str(style.get("flow", "hint"))
    if mc_hists:
        mplhep.histplot(
            mc_hists,
            ax=ax,
            stack=bool(style.get("stack", True)),
            histtype="fill",
            label=[str(labels.get(d, d)) for d in mc],
            flow=flow,
            **({"color": [colors.get(d) for d in mc]} if all(d in colors for d in mc) else {}),
        )
    mc_total = sum(mc_hists[1:], mc_hists[0]) if mc_hists else None
    if mc_total is not None and style.get("mc_uncertainty", True):
        values, edges = mc_total.values(), mc_total.axes[0].edges
        variances = mc_total.variances() if mc_total.variances() is not None else values
        err = np.sqrt(variances)
        ax.stairs(
            values + err,
            edges,
            baseline=values - err,
            fill=True,
            alpha=0.3,
            color="grey",
            hatch="///",
            label="MC stat. unc.",
        )
    for d in signal:
        mplhep.histplot(
            _one_d(products[d], style), ax=ax, histtype="step", label=str(labels.get(d, d)), flow=flow
        )
    if data_hist is not None:
        mplhep.histplot(
            data_hist, ax=ax, histtype="errorbar", color="black", label="Data", yerr=True, flow=flow
        )
    first = (mc_hists or [data_hist])[0]
    x_label = first.axes[0].label or first.axes[0].name
    if rax is not None and data_hist is not None and mc_total is not None:
        decorate(ax, {**style, "axes": {**(style.get("axes") or {}), "x": {}}}, "", "Events")
        ax.set_xlabel("")  # the ratio panel carries the x label
        _ratio(rax, data_hist, mc_total, style, x_label)
    else:
        decorate(ax, style, x_label, "Events")
    return save(fig, out, style)


def _ratio(rax: Any, data: Any, mc: Any, style: Mapping[str, Any], x_label: str) -> None:
    from fasthep_flow.ops.render.plotting_impl import style_axis

    edges = data.axes[0].edges
    centres = (edges[:-1] + edges[1:]) / 2
    d, m = data.values(), mc.values()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(m > 0, d / m, np.nan)
        err = np.where(m > 0, np.sqrt(data.variances() if data.variances() is not None else d) / m, np.nan)
    rax.errorbar(centres, ratio, yerr=err, fmt="o", color="black", markersize=3)
    rax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    spec = (style.get("axes") or {}).get("ratio") or {}
    rax.set_ylabel(str(spec.get("label", "Data / MC")))
    limits = spec.get("limits") or [0.5, 1.5]
    rax.set_ylim(float(limits[0]), float(limits[1]))
    style_axis(rax, "x", (style.get("axes") or {}).get("x"), x_label)
