"""``hep.hist``: fill a histogram from fields or expressions, per partition; partitions then add up.

The numbers follow upstream FAST-HEP (LANGUAGE.md §9.4):

- storage is ``weighted`` (sum of weights and of squared weights) when ``weight_expr`` or ``variations`` is
  given, else ``count``; an explicit ``storage: count`` ignores ``weight_expr`` (the check warns, FF130);
- ``int`` axes are growing integer categories in order of first appearance, whatever ``bins`` say (FF131);
- a ``dataset_axis`` comes *first*; ``variations`` add a category axis *last*, one bin per key of
  ``weights``: a dataset within ``apply_to`` fills every key with its expression, any other dataset fills
  ``nominal`` only, unweighted (into the overflow bin when ``nominal`` is not a key).

Axis values that are jagged (one per object) are broadcast together with the per-event ones and the event
weight, then flattened: a jagged source fills once per object. A missing value (None) fills nothing; a NaN
goes to the overflow bin, as boost-histogram does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, STAGE_FAILED
from fasthep_flow.expressions.jagged import flat_aligned
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
    if kind == "int":  # upstream: growing integer categories; `bins` are ignored (the check warns)
        return hist.axis.IntCategory([], growth=True, name=name, label=label)
    if kind == "bool":  # upstream: integer categories 0 and 1, plus an overflow bin
        return hist.axis.IntCategory([0, 1], name=name, label=label)
    if kind == "category":
        values = list(bins) if isinstance(bins, Sequence) and not isinstance(bins, str) else []
        growth = bool(spec.get("growth", False)) or not values
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return hist.axis.IntCategory(values, growth=growth, name=name, label=label)
        return hist.axis.StrCategory([str(v) for v in values], growth=growth, name=name, label=label)
    raise OpError(PARAM_VALUE, f"axis '{name}' has unknown type '{kind}'")


def dataset_axis_spec(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The dataset axis as an ordinary axis description: ``true`` → a category axis ``dataset`` filled with
    ``dataset_name`` (its bins: the run's datasets, see ``make_hist``); a mapping is taken as given (``{name}``
    alone gets the rest of that default)."""
    value = params.get("dataset_axis")
    if value is None or value is False:
        return None
    axis: dict[str, Any] = {"name": "dataset", "type": "category", "source": "dataset_name"}
    if isinstance(value, Mapping):
        axis.update({str(k): v for k, v in value.items() if v is not None})
    return axis


def storage_of(params: Mapping[str, Any]) -> str:
    """``weighted`` or ``count``: the given storage, else weighted exactly when there is a weight to apply."""
    given = params.get("storage")
    if params.get("variations"):
        return "weighted"  # upstream: variations imply weighted storage
    if given in ("count", "weighted"):
        return str(given)
    return "weighted" if params.get("weight_expr") else "count"


def _with_dataset_bins(spec: Mapping[str, Any], dataset_names: Sequence[str]) -> Mapping[str, Any]:
    """A category axis filled from ``dataset_name`` without ``bins`` gets the run's datasets as its bins."""
    by_dataset = (
        spec.get("source") in ("dataset_name", "dataset") and spec.get("type", "category") == "category"
    )
    if dataset_names and by_dataset and not spec.get("bins") and not spec.get("growth"):
        return {**spec, "bins": list(dataset_names)}
    return spec


def make_hist(params: Mapping[str, Any], dataset_names: Sequence[str] = ()) -> Any:
    """The empty histogram the params describe (the same for every partition, so partitions add).

    A category axis filled from ``dataset_name`` without ``bins`` (the ``dataset_axis`` one, say) has one bin per
    dataset of the run, in the run's order (upstream's rule), so a dataset that fills nothing still shows as
    zeros.
    """
    import hist

    specs = list(params.get("axes") or ())
    dataset_axis = dataset_axis_spec(params)
    if dataset_axis is not None:
        specs.insert(0, dataset_axis)
    axes = [make_axis(_with_dataset_bins(a, dataset_names)) for a in specs]
    variations = params.get("variations")
    if variations:
        axis = str(variations.get("axis") or "variation")
        names = [str(k) for k in (variations.get("weights") or {})]
        axes.append(hist.axis.StrCategory(names, name=axis, label=axis))
    weighted = storage_of(params) == "weighted"
    storage = hist.storage.Weight() if weighted else hist.storage.Double()
    return hist.Hist(*axes, storage=storage)


def _flat(values: Sequence[Any]) -> list[np.ndarray]:
    """Broadcast per-event and per-object values together; drop entries where any value is missing.

    Per-event string columns (the ``variation`` label of ``hep.vary``) travel as their row numbers, since
    awkward cannot make its strings optional; they are looked up again after flattening.
    """
    import awkward as ak

    if not any(is_awkward(v) for v in values):
        return [np.asarray(v) for v in values]
    labels: dict[int, np.ndarray] = {}
    values = list(values)
    for i, v in enumerate(values):
        if not is_awkward(v) and np.asarray(v).dtype.kind in "USO":
            labels[i] = np.asarray(v)
            values[i] = np.arange(len(labels[i]))
    if labels:
        return [labels[i][c] if i in labels else c for i, c in enumerate(_flat(values))]
    fast = flat_aligned(values)  # plain lists that line up: repeat per-event values, no general broadcast
    if fast is not None:
        return fast
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


def _fills(params: Mapping[str, Any], ctx: RunContext) -> list[tuple[str | None, Any]]:
    """(variation bin or None, weight expression or None) for each fill this dataset makes."""
    variations = params.get("variations")
    if not variations:
        weighted = storage_of(params) == "weighted"
        return [(None, params.get("weight_expr") if weighted else None)]
    apply_to = (variations.get("apply_to") or {}).get("eventtype")
    applies = apply_to is None or ctx.dataset.eventtype in (
        [apply_to] if isinstance(apply_to, str) else list(apply_to)
    )
    if not applies:
        return [(NOMINAL, None)]  # upstream: one unweighted fill into `nominal` (overflow when not a key)
    return [(str(name), expr) for name, expr in (variations.get("weights") or {}).items()]


def _axis_values(spec: Mapping[str, Any], events: Events, symbols: Any, ctx: RunContext) -> Any:
    source = spec["source"]
    if source in ("dataset_name", "dataset") and source not in events:
        return ctx.dataset.name  # the context symbol, whether or not the caller filled ctx.symbols
    value = evaluate(source, symbols, ctx)
    if isinstance(value, str):
        return value  # a per-dataset name (`dataset_name`): hist broadcasts one category to every entry
    value = per_event(value, len(events))
    if spec.get("type") == "bool":  # the categories are the integers 0 and 1
        if is_awkward(value):
            import awkward as ak

            return ak.values_astype(value, np.int64)
        return np.asarray(value).astype(np.int64)
    return value


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    h = make_hist(params, (ctx.symbols or {}).get("dataset_names") or ())
    n = len(events)
    if n == 0:
        return StageResult(None, {"hist": h})
    symbols = symbols_for(events, ctx)
    axes_specs = list(params.get("axes") or ())
    dataset_axis = dataset_axis_spec(params)
    if dataset_axis is not None:
        axes_specs.insert(0, dataset_axis)
    sources = [_axis_values(a, events, symbols, ctx) for a in axes_specs]
    arrays = [i for i, v in enumerate(sources) if not isinstance(v, str)]

    computed: dict[str, Any] = {}
    for variation, expr in _fills(params, ctx):
        key = str(expr)
        if expr is not None and key not in computed:
            computed[key] = _weights(expr, events, ctx)
        weight = computed[key] if expr is not None else None
        columns = _flat([*(sources[i] for i in arrays), *([weight] if weight is not None else [])])
        # Positional, in axis order: axis names such as `sample` or `weight` are fill() keywords in hist.
        values: list[Any] = list(sources)
        for i, column in zip(arrays, columns, strict=False):
            values[i] = column
        for i, axis in enumerate(list(h.axes)[: len(values)]):
            numbers = not isinstance(values[i], str) and np.asarray(values[i]).dtype.kind in "biuf"
            if type(axis).__name__ == "StrCategory" and numbers:
                values[i] = np.asarray(values[i]).astype(str)  # numbers on a string category: their text
        if variation is not None:
            values.append(variation)
        if weight is not None:
            h.fill(*values, weight=columns[-1])
        else:
            h.fill(*values)
    return StageResult(None, {"hist": h})
