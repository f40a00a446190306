"""``hep.hist``: fill a histogram from fields or expressions, per partition; partitions then add up.

Axis values that are jagged (one per object) are broadcast together with the per-event ones and the event
weight, then flattened: a jagged source fills once per object. A missing value (None, e.g. the dimuon mass of
an event with one muon) fills nothing; a NaN goes to the overflow bin, as boost-histogram does. A
``dataset_axis`` adds a category axis filled with the dataset's name; ``variations`` add a category axis whose
``nominal`` bin uses ``weight_expr`` and each other bin its own weight expression (for the eventtypes in
``apply_to``; other datasets fill every variation with the nominal weight, so histograms still add).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, STAGE_FAILED
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, per_event, symbols_for
from fasthep_flow.ops.core.functions_impl import is_awkward
from fasthep_flow.ops.failures import OpError

NOMINAL = "nominal"


def make_axis(spec: Mapping[str, Any]) -> Any:
    """One ``hist`` axis from its workflow description."""
    import hist

    name = str(spec["name"])
    kind = spec.get("type", "regular")
    bins = spec.get("bins")
    label = str(spec.get("label") or name)
    flow = {"underflow": bool(spec.get("underflow", True)), "overflow": bool(spec.get("overflow", True))}
    if kind == "regular":
        if not isinstance(bins, Mapping) or "nbins" not in bins:
            raise OpError(PARAM_VALUE, f"regular axis '{name}' needs bins: {{low, high, nbins}}")
        return hist.axis.Regular(
            int(bins["nbins"]), float(bins["low"]), float(bins["high"]), name=name, label=label, **flow
        )
    if kind == "variable":
        edges = bins.get("edges") if isinstance(bins, Mapping) else bins
        if not isinstance(edges, Sequence) or len(edges) < 2:
            raise OpError(PARAM_VALUE, f"variable axis '{name}' needs at least two bin edges")
        return hist.axis.Variable([float(e) for e in edges], name=name, label=label, **flow)
    if kind == "int":
        if not isinstance(bins, Mapping):
            raise OpError(PARAM_VALUE, f"int axis '{name}' needs bins: {{low, high}}")
        return hist.axis.Integer(int(bins["low"]), int(bins["high"]), name=name, label=label, **flow)
    if kind == "bool":
        return hist.axis.Boolean(name=name, label=label)
    if kind == "category":
        values = list(bins) if isinstance(bins, Sequence) and not isinstance(bins, str) else []
        growth = bool(spec.get("growth", False)) or not values
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return hist.axis.IntCategory(values, growth=growth, name=name, label=label)
        return hist.axis.StrCategory([str(v) for v in values], growth=growth, name=name, label=label)
    raise OpError(PARAM_VALUE, f"axis '{name}' has unknown type '{kind}'")


def _dataset_axis_name(params: Mapping[str, Any]) -> str | None:
    value = params.get("dataset_axis")
    if value is None or value is False:
        return None
    if isinstance(value, Mapping):
        return str(value.get("name") or "dataset")
    return "dataset"


def make_hist(params: Mapping[str, Any]) -> Any:
    """The empty histogram the params describe (the same for every partition, so partitions add)."""
    import hist

    axes = [make_axis(a) for a in params.get("axes") or ()]
    dataset_axis = _dataset_axis_name(params)
    if dataset_axis:
        axes.append(hist.axis.StrCategory([], growth=True, name=dataset_axis, label=dataset_axis))
    variations = params.get("variations")
    weighted = params.get("storage", "count") == "weighted"
    if variations:
        if not weighted:
            raise OpError(PARAM_VALUE, "`variations` need `storage: weighted`", "add `storage: weighted`")
        axis = str(variations.get("axis") or "variation")
        names = [NOMINAL, *(str(k) for k in (variations.get("weights") or {}))]
        axes.append(hist.axis.StrCategory(names, name=axis, label=axis))
    storage = hist.storage.Weight() if weighted else hist.storage.Double()
    return hist.Hist(*axes, storage=storage)


def _flat(values: Sequence[Any]) -> list[np.ndarray]:
    """Broadcast per-event and per-object values together; drop entries where any value is missing."""
    import awkward as ak

    if not any(is_awkward(v) for v in values):
        return [np.asarray(v) for v in values]
    arrays = [v if is_awkward(v) else ak.Array(np.asarray(v)) for v in values]
    try:
        arrays = ak.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise OpError(STAGE_FAILED, f"histogram sources do not line up object by object: {exc}") from None
    flat = []
    for a in arrays:
        while a.ndim > 1:  # axis=1 one level at a time: axis=None would drop None and misalign the columns
            a = ak.flatten(a, axis=1)
        flat.append(a)
    keep = None
    for a in flat:
        if a.layout.is_option:
            present = ~ak.to_numpy(ak.is_none(a))
            keep = present if keep is None else keep & present
    return [ak.to_numpy(a if keep is None else a[keep]) for a in flat]


def _weights(expr: Any, events: Events, ctx: RunContext) -> Any:
    return per_event(evaluate(expr, symbols_for(events, ctx), ctx), len(events))


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    h = make_hist(params)
    n = len(events)
    if n == 0:
        return StageResult(None, {"hist": h})
    symbols = symbols_for(events, ctx)
    axes_specs = list(params.get("axes") or ())
    sources = [per_event(evaluate(a["source"], symbols, ctx), n) for a in axes_specs]
    names = [str(a["name"]) for a in axes_specs]

    weight_exprs: list[tuple[str | None, Any]] = []
    nominal = params.get("weight_expr")
    variations = params.get("variations")
    if variations:
        apply_to = (variations.get("apply_to") or {}).get("eventtype")
        applies = apply_to is None or ctx.dataset.eventtype in (
            [apply_to] if isinstance(apply_to, str) else list(apply_to)
        )
        weight_exprs.append((NOMINAL, nominal))
        for name, expr in (variations.get("weights") or {}).items():
            weight_exprs.append((str(name), expr if applies else nominal))
    else:
        weight_exprs.append((None, nominal))

    dataset_axis = _dataset_axis_name(params)
    variation_axis = str(variations.get("axis") or "variation") if variations else None
    computed: dict[str, Any] = {}
    for variation, expr in weight_exprs:
        key = str(expr)
        if expr is not None and key not in computed:
            computed[key] = _weights(expr, events, ctx)
        weight = computed[key] if expr is not None else None
        columns = _flat([*sources, weight] if weight is not None else sources)
        # Positional, in axis order: axis names such as `sample` or `weight` are fill() keywords in hist.
        values: list[Any] = list(columns[: len(names)])
        if dataset_axis:
            values.append(ctx.dataset.name)
        if variation_axis is not None:
            values.append(variation)
        if weight is not None:
            h.fill(*values, weight=columns[-1])
        else:
            h.fill(*values)
    return StageResult(None, {"hist": h})
