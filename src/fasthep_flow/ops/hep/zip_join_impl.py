"""``hep.zip_join``: equal-length streams zipped, each input's columns under its prefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.hep.merge_fields_impl import equal_lengths


def run(streams: Mapping[str, Events], params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    del ctx
    chosen = {str(i["name"]): str(i["prefix"]) for i in params.get("inputs") or ()}
    picked = {name: streams[name] for name in chosen}  # check makes sure each name is bound
    length = equal_lengths(picked, "hep.zip_join")
    columns: dict[str, Any] = {}
    for name, prefix in chosen.items():
        for field, column in picked[name].columns.items():
            columns[f"{prefix}.{field}"] = column
    return StageResult(Events(columns, length))
