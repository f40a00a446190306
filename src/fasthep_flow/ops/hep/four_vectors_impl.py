"""``hep.four_vectors``: read a collection as `vector` four-vectors and write the asked quantities back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.hep.four_vectors import DEFAULT_OUTPUTS
from fasthep_flow.ops.hep.momenta_impl import momenta, quantity


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    collection = str(params["collection"])
    output = str(params.get("output") or collection)
    p4 = momenta(events, collection, params.get("inputs"))
    outputs = [str(q) for q in params.get("outputs") or DEFAULT_OUTPUTS]
    return StageResult(events.with_columns({f"{output}_{q}": quantity(p4, q) for q in outputs}))
