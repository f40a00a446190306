"""``hep.clean``: keep the source objects farther than ``min_delta_r`` (ΔR through ``vector``) from every object
of every target collection. All per-object fields of the source (``<source>_*`` with the same counts) are
carried over to ``<output>_*``; the targets are untouched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.ops.hep.clean import output_name


def collection(events: Events, name: str) -> dict[str, Any]:
    """The per-object fields ``<name>_<f>`` (jagged, with the counts of ``<name>_eta``) as ``{f: array}``."""
    import awkward as ak

    for key in ("eta", "phi"):
        if f"{name}_{key}" not in events:
            raise OpError(
                RUNTIME_MISSING_FIELD,
                f"collection '{name}' has no field '{name}_{key}'",
                did_you_mean(f"{name}_{key}", events.columns) or "ΔR needs `<collection>_eta` and `_phi`",
            )
    counts = ak.to_numpy(ak.num(events[f"{name}_eta"], axis=1))
    out: dict[str, Any] = {}
    for column, value in events.columns.items():
        per_object = column.startswith(f"{name}_") and hasattr(value, "layout") and value.ndim > 1
        if per_object and np.array_equal(ak.to_numpy(ak.num(value, axis=1)), counts):
            out[column[len(name) + 1 :]] = value
    return out


def _directions(fields: Mapping[str, Any]) -> Any:
    import awkward as ak
    import vector

    eta = fields["eta"]
    return vector.zip({"pt": ak.ones_like(eta), "eta": eta, "phi": fields["phi"]})


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    source_name = str(params["source"])
    out = output_name(source_name, params.get("output"))
    min_dr = float(params.get("min_delta_r", 0.4))
    source = collection(events, source_name)
    directions = _directions(source)
    keep = ak.ones_like(source["eta"], dtype=bool)
    for target_name in params.get("clean_against") or []:
        target = _directions(collection(events, str(target_name)))
        pairs = ak.cartesian({"s": directions, "t": target}, axis=1, nested=True)
        keep = keep & ~ak.any(pairs["s"].deltaR(pairs["t"]) < min_dr, axis=2)
    kept = {f: v[keep] for f, v in source.items()}
    removed = {f: v[~keep] for f, v in source.items()}
    sort_by = params.get("sort_by")
    if sort_by is not None:
        if str(sort_by) not in kept:
            raise OpError(RUNTIME_MISSING_FIELD, f"`sort_by`: '{source_name}_{sort_by}' is not in the stream")
        order = ak.argsort(
            kept[str(sort_by)], axis=1, ascending=params.get("sort_order") == "ascending", stable=True
        )
        kept = {f: v[order] for f, v in kept.items()}
    columns: dict[str, Any] = {f"{out}_{f}": v for f, v in kept.items()}
    columns[f"n{out}"] = ak.to_numpy(ak.num(kept["eta"], axis=1))
    diagnostics = params.get("diagnostics")
    diagnostics = diagnostics if isinstance(diagnostics, Mapping) else {}
    removed_count = diagnostics.get("removed_count", f"nremoved_{out}")
    if removed_count not in (None, False):
        columns[str(removed_count)] = ak.to_numpy(ak.num(removed["eta"], axis=1))
    if diagnostics.get("keep_removed"):
        columns.update({f"{out}_removed_{f}": v for f, v in removed.items()})
    clash = [c for c in columns if c in events]
    if clash:
        raise OpError(PARAM_VALUE, f"`hep.clean` would overwrite fields {clash}", "choose another `output`")
    return StageResult(events.with_columns(columns))
