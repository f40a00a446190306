"""``hep.choose``: coherent per-event choices — every output of one event comes from the same case.

Cases are tried in order; with ``on_multiple: error`` an event matching two cases stops the run (the message
names the first such event), with ``first`` the earlier case wins. An event matching none is an error unless
``on_no_match: default``, which gives it the ``default`` values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fasthep_flow.document.codes import PARAM_VALUE, STAGE_FAILED
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, event_mask, per_event, symbols_for
from fasthep_flow.ops.core.functions_impl import is_awkward
from fasthep_flow.ops.failures import OpError


def _outputs(
    cases: list[Mapping[str, Any]], default: Mapping[str, Any] | None, use_default: bool
) -> list[str]:
    names: list[str] = []
    for case in cases:
        for name in case.get("values") or {}:
            if str(name) not in names:
                names.append(str(name))
    for i, case in enumerate(cases):
        have = {str(k) for k in case.get("values") or {}}
        if have != set(names):
            raise OpError(
                PARAM_VALUE,
                f"case {_label(case, i)} defines {sorted(have)}, but the cases together define {names}",
                "every case must give a value to the same outputs",
            )
    if use_default and {str(k) for k in (default or {})} != set(names):
        raise OpError(PARAM_VALUE, f"`default` must give a value to exactly {names}")
    return names


def _label(case: Mapping[str, Any], index: int) -> str:
    return repr(str(case["name"])) if case.get("name") else f"#{index + 1}"


def _select(mask: np.ndarray, a: Any, b: Any) -> Any:
    if is_awkward(a) or is_awkward(b):
        import awkward as ak

        return ak.where(mask, a, b)
    return np.where(mask, a, b)


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    cases = list(params.get("cases") or [])
    if not cases:
        raise OpError(PARAM_VALUE, "`cases` is empty: there is nothing to choose from")
    on_multiple = str(params.get("on_multiple", "error"))
    use_default = str(params.get("on_no_match", "error")) == "default"
    default = params.get("default")
    names = _outputs(cases, default, use_default)
    clash = [n for n in names if n in events]
    if clash:
        raise OpError(PARAM_VALUE, f"outputs {clash} are already fields of the stream", "choose new names")
    n = len(events)
    symbols = symbols_for(events, ctx)
    masks = [
        event_mask(evaluate(c["when"], symbols, ctx), n, f"case {_label(c, i)} `when`")
        for i, c in enumerate(cases)
    ]
    matches = np.sum(masks, axis=0) if masks else np.zeros(n, dtype=int)
    if on_multiple == "error" and (several := np.flatnonzero(matches > 1)).size:
        first = int(several[0])
        which = [_label(c, i) for i, c in enumerate(cases) if masks[i][first]]
        raise OpError(
            STAGE_FAILED,
            f"{several.size} events match several cases (the first, event {first}, matches {', '.join(which)})",
            "make the `when` conditions exclusive, or set `on_multiple: first`",
        )
    if not use_default and (none := np.flatnonzero(matches == 0)).size:
        raise OpError(
            STAGE_FAILED,
            f"{none.size} events match no case (the first is event {int(none[0])})",
            "add a case for them, or set `on_no_match: default` with a `default` mapping",
        )

    def values_of(mapping: Mapping[str, Any]) -> dict[str, Any]:
        return {name: per_event(evaluate(mapping[name], symbols, ctx), n) for name in names}

    chosen = values_of(default) if use_default else values_of(cases[0]["values"])
    for mask, case in reversed(
        list(zip(masks, cases, strict=True))
    ):  # earlier cases are applied last: they win
        values = values_of(case["values"])
        chosen = {name: _select(mask, values[name], chosen[name]) for name in names}
    return StageResult(events.with_columns(chosen))
