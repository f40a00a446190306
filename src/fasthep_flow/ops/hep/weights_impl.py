"""Per-event weights: a CSV bin table looked up (``hep.weights.lookup_csv``), or the envelope of a weight list
(``hep.weights.pdf_envelope``)."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document.codes import INPUT_ERROR, PARAM_VALUE, STAGE_FAILED
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, per_event, symbols_for
from fasthep_flow.ops.core.functions_impl import depth, is_awkward
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.weights import bin_columns


def read_table(path: str, columns: list[str]) -> dict[str, np.ndarray]:
    """The named numeric columns of a CSV file."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            absent = [c for c in columns if c not in (reader.fieldnames or [])]
            if absent:
                raise OpError(
                    PARAM_VALUE,
                    f"CSV table '{path}' has no column(s) {absent}",
                    f"it has {reader.fieldnames}",
                )
            rows = list(reader)
    except OSError as exc:
        raise OpError(INPUT_ERROR, f"CSV table '{path}' cannot be read: {exc.strerror}") from None
    if not rows:
        raise OpError(INPUT_ERROR, f"CSV table '{path}' has no rows")
    try:
        return {c: np.array([float(r[c]) for r in rows]) for c in columns}
    except ValueError as exc:
        raise OpError(INPUT_ERROR, f"CSV table '{path}': {exc}") from None


def lookup_csv(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    values = {str(k): str(v) for k, v in (params.get("values") or {}).items()}
    outputs = {str(k): str(v) for k, v in (params.get("outputs") or {}).items()}
    unknown = [label for label in outputs if label not in values]
    if unknown:
        raise OpError(PARAM_VALUE, f"outputs {unknown} have no column in `values`")
    lower, upper = bin_columns(params.get("bins") or {})
    table = read_table(str(params["path"]), list(dict.fromkeys([lower, upper, *values.values()])))
    x = per_event(evaluate(params["variable"], symbols_for(events, ctx), ctx), len(events))
    if depth(x) != 1:
        raise OpError(PARAM_VALUE, f"`variable` '{params['variable']}' must give one number per event")
    if is_awkward(x):
        import awkward as ak

        x = ak.to_numpy(x)
    x = np.asarray(x, dtype=np.float64)
    inside = (table[lower][None, :] <= x[:, None]) & (x[:, None] < table[upper][None, :])  # events × bins
    found = inside.any(axis=1)
    if not found.all():
        bad = x[~found][0]
        raise OpError(
            STAGE_FAILED, f"{int((~found).sum())} events have a value outside every bin (first: {bad})"
        )
    row = inside.argmax(axis=1)  # the first matching bin
    return StageResult(
        events.with_columns({out: table[values[label]][row] for label, out in outputs.items()})
    )


def pdf_envelope(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak

    weights = evaluate(params["inputs"], symbols_for(events, ctx), ctx)
    if depth(weights) < 2:
        raise OpError(PARAM_VALUE, f"`inputs` '{params['inputs']}' must give a list of weights per event")
    outputs = params.get("outputs") or {}
    columns: dict[str, Any] = {}
    if outputs.get("up"):
        columns[str(outputs["up"])] = ak.max(weights, axis=1)
    if outputs.get("down"):
        columns[str(outputs["down"])] = ak.min(weights, axis=1)
    return StageResult(events.with_columns(columns))
