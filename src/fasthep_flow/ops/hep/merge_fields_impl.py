"""``hep.merge_fields``: columns of equal-length streams merged into one stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fasthep_flow.document.codes import STAGE_FAILED
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError


def equal_lengths(streams: Mapping[str, Events], what: str) -> int:
    """The streams' common length; unequal lengths fail the partition, naming each input's."""
    lengths = {name: len(events) for name, events in streams.items()}
    if len(set(lengths.values())) > 1:
        raise OpError(
            STAGE_FAILED,
            f"{what}: the inputs hold different numbers of events "
            + ", ".join(f"{name}: {n}" for name, n in lengths.items()),
            "the inputs must be streams of the same events: merge before a filtering stage, or filter every "
            "input alike",
        )
    return next(iter(lengths.values()), 0)


def _equal(a: Any, b: Any) -> bool:
    """Whether two columns hold the same values (lists compared element by element)."""
    import awkward as ak

    try:
        return bool(ak.array_equal(ak.Array(a), ak.Array(b), equal_nan=True))
    except (TypeError, ValueError):
        return False


def run(streams: Mapping[str, Events], params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    del ctx
    length = equal_lengths(streams, "hep.merge_fields")
    mode = str(params.get("on_conflict", "keep_first"))
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for name, events in streams.items():
        for field, column in events.columns.items():
            if field not in merged:
                merged[field], owner[field] = column, name
            elif column is merged[field] or (mode == "error" and _equal(column, merged[field])):
                continue  # the same values (a branch read once, carried by both inputs): nothing to choose
            elif mode == "error":
                raise OpError(
                    STAGE_FAILED,
                    f"hep.merge_fields: field '{field}' is in inputs '{owner[field]}' and '{name}'",
                    "rename it in one input, or set `on_conflict: keep_first` or `keep_last`",
                )
            elif mode == "keep_last":
                merged[field], owner[field] = column, name
    return StageResult(Events(merged, length))
