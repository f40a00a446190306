"""``hep.render.comparison``: two histograms of one product drawn together, with a comparison panel below.

Ours renders one stage's products (``{dataset: histogram}``), so ``reference`` and ``target`` name datasets of
that stage, or categories of its dataset axis (a merged product); left out, they are the sums of the datasets
of ``reference_eventtype`` (data) and of ``target_eventtype`` (simulation): data against simulation. Upstream's other form compares along a
variation axis: the one dataset of ``reference_eventtype`` at ``variation_reference`` against the one dataset of
``target_eventtype`` at ``variation``. Upstream's binding of two *stages* (a render stage's ``from`` with
``as: reference/target``) has no counterpart: a render draws one stage.

Both are reduced to the style's x axis (other axes summed; a variation axis read at ``nominal`` outside the
variation form). The lower panel is mplhep's comparison (ratio = reference / target, pull, difference, ...);
a ``.csv`` output is the table of both histograms and the comparison per bin, from the same function.
"""

from __future__ import annotations

import csv
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
    decorate,
    drawing,
    experiment_of,
    figure,
    hist_of,
    save,
    style_axis,
    x_axis_name,
)


def _options(style: Mapping[str, Any]) -> dict[str, Any]:
    block = style.get("comparison")
    return dict(block) if isinstance(block, Mapping) else {}


def _category(h: Any, axis: str, name: str) -> Any | None:
    names = [a.name for a in h.axes]
    if axis in names and name in list(h.axes[axis]):
        return h[{axis: name}]
    return None


def _named(products: Mapping[str, Any], name: str, dataset_axis: str) -> Any:
    """The histogram called ``name``: that dataset's product (at its own dataset-axis bin when it has one),
    else the ``name`` category of a product's dataset axis."""
    if name in products:
        h = hist_of(products[name])
        own = _category(h, dataset_axis, name)
        return h if own is None else own
    for product in products.values():
        found = _category(hist_of(product), dataset_axis, name)
        if found is not None:
            return found
    raise OpError(
        PARAM_VALUE,
        f"`comparison`: '{name}' is neither a dataset of the rendered stage nor a category of its dataset axis",
        "datasets rendered: " + ", ".join(products),
    )


def _one_of_type(style: Mapping[str, Any], products: Mapping[str, Any], eventtype: str) -> str:
    eventtypes = style.get("_eventtypes") or {}
    found = [d for d in products if eventtypes.get(d) == eventtype]
    if len(found) != 1:
        raise OpError(
            PARAM_VALUE,
            f"`comparison.variation_axis` needs exactly one dataset of eventtype '{eventtype}', found "
            f"{found or 'none'}",
        )
    return found[0]


def pair(products: Mapping[str, Any], style: Mapping[str, Any]) -> tuple[Any, Any]:
    """(reference, target) as 1-D histograms over the x axis, normalised when asked."""
    opts = _options(style)
    dataset_axis = str(opts.get("dataset_axis") or "dataset")
    variation_axis = opts.get("variation_axis")
    if variation_axis:
        ref_name = _one_of_type(style, products, str(opts.get("reference_eventtype") or "data"))
        tgt_name = _one_of_type(style, products, str(opts.get("target_eventtype") or "mc"))
        ref_variation = str(opts.get("variation_reference") or NOMINAL)
        chosen = {ref_name: ref_variation, tgt_name: str(opts.get("variation") or ref_variation)}
        hists = []
        for name, variation in chosen.items():
            h = _named(products, name, dataset_axis)
            picked = _category(h, str(variation_axis), variation)
            if picked is None:
                raise OpError(
                    PARAM_VALUE,
                    f"`comparison`: the histogram has no variation '{variation}' on axis '{variation_axis}'",
                )
            hists.append(picked)
        ref, tgt = (_to_x(h, style) for h in hists)
    else:
        ref, tgt = (_side(products, style, opts, key, dataset_axis) for key in ("reference", "target"))
    if opts.get("normalise") == "area":
        ref, tgt = area_normalised(ref), area_normalised(tgt)
    return ref, tgt


def _side(
    products: Mapping[str, Any],
    style: Mapping[str, Any],
    opts: Mapping[str, Any],
    key: str,
    dataset_axis: str,
) -> Any:
    """The named dataset (or category), else the sum of the datasets of ``<key>_eventtype``, over the x axis."""
    if opts.get(key) is not None:
        return _to_x(_named(products, str(opts[key]), dataset_axis), style)
    eventtype = str(opts.get(f"{key}_eventtype") or ("data" if key == "reference" else "mc"))
    eventtypes = style.get("_eventtypes") or {}
    names = [d for d in products if eventtypes.get(d) == eventtype]
    if not names:
        raise OpError(
            PARAM_VALUE,
            f"`comparison`: no `{key}` given and no rendered dataset has eventtype '{eventtype}'",
            f"name the {key} dataset in `comparison.{key}`",
        )
    total = None
    for name in names:
        h = _to_x(_named(products, name, dataset_axis), style)
        total = h if total is None else total + h
    return total


def _to_x(h: Any, style: Mapping[str, Any]) -> Any:
    names = [a.name for a in h.axes]
    if VARIATION_AXIS in names:
        h = h[{VARIATION_AXIS: NOMINAL}]
    x = x_axis_name(h, style)
    return h.project(x) if len(h.axes) > 1 else h


def area_normalised(h: Any) -> Any:
    """``h`` scaled to unit visible area per bin width (a density), variances by the square of the same factor;
    an empty histogram is returned as it is (there is no area to divide by)."""
    import numpy as np

    values = h.values()
    area = float(np.sum(values * h.axes[0].widths)) if h.axes[0].traits.continuous else float(np.sum(values))
    if area == 0:
        return h
    if area < 0:
        raise OpError(PARAM_VALUE, f"`normalise: area` of a histogram with negative area {area}")
    out = h.copy()
    widths = h.axes[0].widths if h.axes[0].traits.continuous else np.ones(len(values))
    factor = 1.0 / (area * widths)
    view = out.view()
    if hasattr(view, "value"):
        view.value = values * factor
        view.variance = h.variances() * factor**2
    else:
        view[...] = values * factor
    return out


def compared(ref: Any, tgt: Any, style: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """(values, lower uncertainties, upper uncertainties) of the comparison panel, from mplhep."""
    from mplhep.comp import get_comparison

    opts = _options(style)
    kind = str(opts.get("comparison") or "ratio")
    return get_comparison(ref, tgt, kind, str(opts.get("w2method") or "sqrt"))  # type: ignore[no-any-return]


def write_table(out: Path, ref: Any, tgt: Any, style: Mapping[str, Any]) -> list[Path]:
    values, low, high = compared(ref, tgt, style)
    axis = ref.axes[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    ref_var, tgt_var = ref.variances(), tgt.variances()
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["low", "high", "reference", "reference_variance", "target", "target_variance",
                         "comparison", "comparison_low", "comparison_high"])  # fmt: skip
        for i in range(len(axis)):
            edges = (axis.edges[i], axis.edges[i + 1]) if axis.traits.continuous else (axis[i], axis[i])
            writer.writerow(
                [
                    *edges,
                    f"{float(ref.values()[i]):.10g}",
                    "" if ref_var is None else f"{float(ref_var[i]):.10g}",
                    f"{float(tgt.values()[i]):.10g}",
                    "" if tgt_var is None else f"{float(tgt_var[i]):.10g}",
                    *(f"{float(v[i]):.10g}" for v in (values, low, high)),
                ]
            )
    os.replace(tmp, out)
    return [out]


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    out = Path(out)
    ref, tgt = pair(products, style)
    if out.suffix.lower() == ".csv":
        return write_table(out, ref, tgt, style)
    import mplhep
    from mplhep.comp import comparison

    opts = _options(style)
    ref_label = str(opts.get("reference_label") or opts.get("reference") or "reference")
    tgt_label = str(opts.get("target_label") or opts.get("target") or "target")
    flow = str(opts.get("flow") or "hint")
    eventtypes = style.get("_eventtypes") or {}
    experiment = experiment_of(style, has_data=any(t == "data" for t in eventtypes.values()))
    x_label = ref.axes[0].label or ref.axes[0].name
    with drawing(experiment):
        fig, ax, rax = figure(style, ratio=True)
        mplhep.histplot(ref, ax=ax, label=ref_label, histtype=str(opts.get("reference_histtype") or "errorbar"),
                        color=str(opts.get("reference_color") or "black"), yerr=True,
                        w2method=str(opts.get("w2method") or "sqrt"), flow=flow)  # fmt: skip
        mplhep.histplot(tgt, ax=ax, label=tgt_label, histtype=str(opts.get("target_histtype") or "step"),
                        color=str(opts.get("target_color") or "red"), flow=flow)  # fmt: skip
        ylim = opts.get("comparison_ylim")
        comparison(
            ref,
            tgt,
            ax=rax,
            xlabel=x_label,
            h1_label=ref_label,
            h2_label=tgt_label,
            comparison=str(opts.get("comparison") or "ratio"),
            comparison_ylabel=opts.get("comparison_ylabel"),
            comparison_ylim=tuple(ylim) if ylim else None,
            h1_w2method=str(opts.get("w2method") or "sqrt"),
            flow=flow,
            color=str(opts.get("reference_color") or "black"),
        )
        y_label = "Density" if opts.get("normalise") == "area" else "Events"
        decorate(ax, style, "", y_label, experiment)
        ax.set_xlabel("")
        style_axis(rax, "x", (style.get("axes") or {}).get("x"), x_label)
        return save(fig, out, style)
