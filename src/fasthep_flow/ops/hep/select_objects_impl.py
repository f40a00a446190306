"""``hep.select_objects``: a new collection from an existing one — selected, derived, sorted, renamed.

Names in ``keep``, ``selection``, ``derived``, ``sort.by`` are relative to the collection (``pt > 30`` reads
``<collection>_pt``). A name that is no field of the collection falls back to the stream, the globals and the
context (so ``pt > min_pt`` can use a global). The outputs are ``<output>_<field>`` for every kept and derived
field, and the count ``n<output>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, per_event, symbols_for
from fasthep_flow.ops.failures import OpError, did_you_mean

DEFAULT_SORT = {"by": "pt", "order": "descending"}


class CollectionFields(Mapping[str, Any]):
    """``pt`` → the column ``<collection>_pt`` (and derived fields by their relative name)."""

    __slots__ = ("_derived", "_events", "_prefix")

    def __init__(self, events: Events, collection: str, derived: Mapping[str, Any]) -> None:
        self._events = events
        self._prefix = f"{collection}_"
        self._derived = derived

    def __getitem__(self, name: str) -> Any:
        if name in self._derived:
            return self._derived[name]
        return self._events.columns[self._prefix + name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            name in self._derived or self._prefix + name in self._events.columns
        )

    def __iter__(self) -> Iterator[str]:
        yield from self._derived
        n = len(self._prefix)
        yield from (
            c[n:] for c in self._events.columns if c.startswith(self._prefix) and c[n:] not in self._derived
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    collection = str(params["collection"])
    output = str(params["output"])
    derived: dict[str, Any] = {}
    fields = CollectionFields(events, collection, derived)

    def symbols() -> Mapping[str, Any]:
        # The collection's own names come first: `pt` is `<collection>_pt` even if the stream has a `pt`.
        return symbols_for(Events({}, len(events)), ctx, fields, events.columns)

    for name, expr in (params.get("derived") or {}).items():
        derived[str(name)] = per_event(evaluate(expr, symbols(), ctx), len(events))

    keep_names = [str(k) for k in params.get("keep") or ()]
    missing = [k for k in keep_names if k not in fields]
    if missing and params.get("missing_fields", "error") == "error":
        raise OpError(
            RUNTIME_MISSING_FIELD,
            f"collection '{collection}' has no field " + ", ".join(f"'{collection}_{m}'" for m in missing),
            did_you_mean(missing[0], fields) or "set `missing_fields: ignore` to skip absent fields",
        )
    out_names = [k for k in keep_names if k in fields] + [d for d in derived if d not in keep_names]

    mask: Any = None
    for expr in params.get("selection") or ():
        value = ak.fill_none(per_event(evaluate(expr, symbols(), ctx), len(events)), False)
        mask = value if mask is None else mask & value
    selected = {name: ak.Array(fields[name]) for name in out_names}
    raw = next((ak.Array(fields[n]) for n in fields if n not in derived), None)  # a field of the collection
    if selected:  # a per-event derived value (a constant, say) is one value per object of the collection
        deepest = max([*selected.values(), *([raw] if raw is not None else [])], key=lambda a: a.ndim)
        selected = {
            name: ak.broadcast_arrays(arr, deepest)[0] if arr.ndim < deepest.ndim else arr
            for name, arr in selected.items()
        }
    reference = raw if raw is not None else next(iter(selected.values()), None)
    if mask is not None and reference is not None and ak.Array(mask).ndim < reference.ndim:
        mask = ak.broadcast_arrays(mask, reference)[0]  # a per-event condition keeps or drops all objects
    if mask is not None and selected:
        selected = _mask_all(selected, mask)

    sort = params.get("sort", DEFAULT_SORT)
    if sort:  # `sort: false` (ours) and `sort: {}` (upstream's spelling) keep the stored order
        by = str(sort.get("by", "pt"))
        order = sort.get("order", "descending")
        if order not in ("descending", "ascending"):
            raise OpError(PARAM_VALUE, f"sort order '{order}' is not ascending or descending")
        if by in selected:
            key = selected[by]
        elif by in fields:
            key = ak.Array(fields[by])
            key = key[mask] if mask is not None else key
        else:
            raise OpError(
                RUNTIME_MISSING_FIELD,
                f"cannot sort by '{by}': collection '{collection}' has no field '{collection}_{by}'",
                did_you_mean(by, fields) or "derive it (`derived: {pt: ...}`) or set `sort: false`",
            )
        order_index = ak.argsort(key, axis=1, ascending=order == "ascending", stable=True)
        selected = {name: arr[order_index] for name, arr in selected.items()}

    if mask is not None:
        count = ak.to_numpy(ak.count_nonzero(mask, axis=1))
    elif selected:
        count = ak.to_numpy(ak.num(next(iter(selected.values())), axis=1))
    else:
        any_field = next(iter(fields), None)
        count = (
            ak.to_numpy(ak.num(ak.Array(fields[any_field]), axis=1)) if any_field else np.zeros(len(events))
        )
    new = {f"{output}_{name}": arr for name, arr in selected.items()}
    new[f"n{output}"] = np.asarray(count, dtype=np.int64)
    return StageResult(events.with_columns(new))


def _mask_all(selected: dict[str, Any], mask: Any) -> dict[str, Any]:
    """Every field with the same per-object mask.

    Masking each field on its own makes awkward turn the jagged boolean mask into indices once per field;
    for the usual case (lists of numbers sharing the mask's offsets) the mask is flattened once and each
    field's values are taken with NumPy. Anything else (missing values, nested lists, other offsets) is
    masked by awkward.
    """
    from fasthep_flow.expressions.jagged import flat_list, from_flat

    flat_mask = flat_list(mask)
    if flat_mask is None or flat_mask[1].dtype != np.bool_:
        return {name: arr[mask] for name, arr in selected.items()}
    offsets, keep = flat_mask
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    new_offsets = kept_before[offsets]
    out: dict[str, Any] = {}
    for name, arr in selected.items():
        flat = flat_list(arr)
        if flat is None or not np.array_equal(flat[0], offsets):
            out[name] = arr[mask]
            continue
        out[name] = from_flat(new_offsets, flat[1][keep])
    return out
