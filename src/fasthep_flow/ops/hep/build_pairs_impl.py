"""``hep.build_pairs``: all unordered pairs of distinct objects, their sum as a four-vector (through ``vector``).

The collections are concatenated per event in the order given, then paired with ``ak.combinations`` (object
``i`` with object ``j > i``). Pair cuts read ``lepton_1_<f>``/``lepton_2_<f>``, candidate cuts and the sort
read the candidate's ``pt``, ``eta``, ``phi``, ``mass``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, symbols_for
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.ops.hep.build_pairs import VECTOR_FIELDS, pair_fields
from fasthep_flow.ops.hep.candidates_impl import cuts


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak
    import vector

    collections = [str(c) for c in params.get("collections") or []]
    output = str(params["output"])
    keep = params.get("keep") or {}
    kept_candidate = [str(f) for f in keep.get("candidate") or []]
    constituents = [str(f) for f in keep.get("constituents") or []]
    selection = params.get("selection") or {}
    pair_cuts = list(selection.get("pair") or [])
    fields = list(
        dict.fromkeys([*VECTOR_FIELDS, *constituents, *sorted(pair_fields([str(c) for c in pair_cuts])[1])])
    )
    parts = []
    for c in collections:
        absent = [f"{c}_{f}" for f in fields if f"{c}_{f}" not in events]
        if absent:
            raise OpError(
                RUNTIME_MISSING_FIELD,
                f"collection '{c}' lacks {', '.join(absent)}",
                did_you_mean(absent[0], events.columns) or "pairs need `<collection>_pt/_eta/_phi/_mass`",
            )
        parts.append(ak.zip({f: events[f"{c}_{f}"] for f in fields}))
    merged = parts[0] if len(parts) == 1 else ak.concatenate(parts, axis=1)
    first, second = ak.unzip(ak.combinations(merged, 2))
    n = len(events)
    if pair_cuts:
        columns = {f"lepton_{i}_{f}": lep[f] for i, lep in ((1, first), (2, second)) for f in fields}
        ok = cuts(pair_cuts, columns, n, ctx)
        first, second = first[ok], second[ok]
    total = vector.zip({f: first[f] for f in VECTOR_FIELDS}) + vector.zip(
        {f: second[f] for f in VECTOR_FIELDS}
    )
    candidate = {"pt": total.pt, "eta": total.eta, "phi": total.phi, "mass": total.mass}
    if selection.get("candidate"):
        ok = cuts(list(selection["candidate"]), candidate, n, ctx)
        candidate = {k: v[ok] for k, v in candidate.items()}
        first, second = first[ok], second[ok]
    sort = params.get("sort")
    if isinstance(sort, Mapping) and sort.get("by") is not None:
        key = evaluate(sort["by"], symbols_for(Events(candidate, n), ctx), ctx)
        order = ak.argsort(key, axis=1, ascending=sort.get("order", "ascending") == "ascending", stable=True)
        candidate = {k: v[order] for k, v in candidate.items()}
        first, second = first[order], second[order]
    out: dict[str, Any] = {f"n{output}_Z": ak.to_numpy(ak.num(candidate["pt"], axis=1)).astype(np.int64)}
    out.update({f"{output}_Z_{f}": candidate[f] for f in kept_candidate})
    out.update(
        {f"{output}_lepton_{i}_{f}": lep[f] for i, lep in ((1, first), (2, second)) for f in constituents}
    )
    clash = [name for name in out if name in events]
    if clash:
        raise OpError(
            PARAM_VALUE, f"`hep.build_pairs` would overwrite fields {clash}", "choose another `output`"
        )
    return StageResult(events.with_columns(out))
