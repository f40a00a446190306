"""``hep.project_fields``: fields under new names; ``include_existing: false`` keeps only the aliases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fasthep_flow.document.codes import RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError, did_you_mean


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    aliases: dict[str, Any] = {}
    for new, old in (params.get("aliases") or {}).items():
        if old not in events:
            raise OpError(
                RUNTIME_MISSING_FIELD,
                f"alias '{new}' names field '{old}', which is not in the stream",
                did_you_mean(str(old), events.columns),
            )
        aliases[str(new)] = events[old]
    if params.get("include_existing", True):
        return StageResult(events.with_columns(aliases))
    return StageResult(Events(aliases, len(events)))
