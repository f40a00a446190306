"""What the candidate builders share (``hep.build_pairs``, ``hep.build_lepton_met_candidate``,
``hep.build_recoil``): a field looked up with a did-you-mean, and cuts evaluated over the candidates' own
columns (``pt``, ``lepton_1_charge``, ...) instead of the stream's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fasthep_flow.document.codes import RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core.evaluate_impl import evaluate, symbols_for
from fasthep_flow.ops.failures import OpError, did_you_mean


def field(events: Events, name: str, what: str) -> Any:
    """The column ``name``; an ``OpError`` naming it (and a near miss) when the stream lacks it."""
    if name not in events:
        raise OpError(
            RUNTIME_MISSING_FIELD,
            f"{what} field '{name}' is not in the stream",
            did_you_mean(name, events.columns) or "define it before this stage",
        )
    return events[name]


def symbols_of(exprs: list[str]) -> list[str]:
    """The names the expressions read (relative names, for a collection's own cuts)."""
    from fasthep_flow.expressions import ExprError, parse

    out: list[str] = []
    for text in exprs:
        parsed = parse(text)
        if not isinstance(parsed, ExprError):
            out.extend(sorted(parsed.symbols))
    return out


def cuts(exprs: list[Any], columns: Mapping[str, Any], n: int, ctx: RunContext) -> Any:
    """The AND of ``exprs`` over ``columns`` (then globals, context symbols); missing counts as false.

    None when there are no cuts, so callers skip the masking altogether.
    """
    import awkward as ak

    mask = None
    symbols = symbols_for(Events(columns, n), ctx)
    for expr in exprs:
        value = ak.fill_none(evaluate(expr, symbols, ctx), False)
        mask = value if mask is None else mask & value
    return mask
