"""Observers ``hep.schema_snapshot`` and ``hep.branches``: what the stream holds at a node, as JSON.

They look without touching: the stream passes on unchanged. The runtime decides which partitions are observed
(``mode``) and gives ``out`` as a path inside the run's output folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError


def describe(value: Any) -> dict[str, Any]:
    """Type, depth and whether a column is jagged, without reading its values."""
    if hasattr(value, "layout"):
        return {"type": str(value.type.content), "jagged": value.ndim > 1, "ndim": int(value.ndim)}
    dtype = getattr(value, "dtype", None)
    return {"type": str(dtype) if dtype is not None else type(value).__name__, "jagged": False, "ndim": 1}


def _where(ctx: RunContext, events: Events) -> dict[str, Any]:
    part = ctx.partition
    return {
        "node": ctx.stage,
        "dataset": ctx.dataset.name,
        "eventtype": ctx.dataset.eventtype,
        "file": part.file,
        "start": part.start,
        "stop": part.stop,
        "entries": len(events),
    }


def _write_json(params: Mapping[str, Any], ctx: RunContext, payload: Mapping[str, Any]) -> Path:
    fmt = str(params.get("format", "json"))
    if fmt != "json":
        raise OpError(PARAM_VALUE, f"observer format '{fmt}' is not supported", "use `format: json`")
    target = Path(params.get("out") or f"inspect/{ctx.stage}.json")
    if not target.is_absolute():
        target = ctx.outdir / target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def schema_snapshot(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    """Write every field's type (and jaggedness) at this node."""
    payload = {**_where(ctx, events), "fields": {name: describe(v) for name, v in events.columns.items()}}
    _write_json(params, ctx, payload)
    return StageResult(None)


def branches(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    """Write the names of the fields present at this node."""
    _write_json(params, ctx, {**_where(ctx, events), "fields": list(events.columns)})
    return StageResult(None)
