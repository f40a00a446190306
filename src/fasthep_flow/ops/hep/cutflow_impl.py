"""``hep.selection.cutflow``: named groups of cuts; count events and weights per step, flag and filter.

A group's first step sees the events passing all of its parent groups (``parents``/``from``), so nested
selections ("baseline", then "signal region" from it) count from the right place. Groups combine into the
stream's filter by ``filter``: ``all`` keeps events passing every group, ``any`` events passing at least one,
``none`` keeps everything (only counting and flagging).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fasthep_flow.document.codes import DEPENDENCY_CYCLE, PARAM_VALUE, UNKNOWN_STAGE_REF
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.core.evaluate_impl import evaluate, event_mask, per_event, symbols_for
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.ops.hep.cutflow import PARENT_KEYS, STEP_KEYS, parent_ref
from fasthep_flow.ops.hep.cutflow_product import Cutflow, StepCounts
from fasthep_flow.ops.hep.define_impl import reduce_per_event


def _steps_and_parents(group: Any) -> tuple[list[Any], tuple[str, ...]]:
    if isinstance(group, Mapping):
        steps = next((group[k] for k in STEP_KEYS if k in group), None) or []
        parents = next((v for v in (group.get(k) for k in PARENT_KEYS) if v), None) or ()
        if isinstance(parents, str):
            parents = (parents,)
        return list(steps), tuple(str(p) for p in parents)
    if isinstance(group, str):
        return [group], ()
    return list(group or []), ()


def step_label(step: Any) -> str:
    """The step's name in the table: its ``label``, else its expression, else ``op(over)``."""
    if isinstance(step, Mapping):
        if step.get("label"):
            return str(step["label"])
        if "expr" in step:
            return str(step["expr"])
        reduce = step.get("reduce") or {}
        return f"{reduce.get('op')}({reduce.get('over')})"
    return str(step)


def _parent_groups(parents: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Parents as group names (a step id `g[i]` depends on group `g`), for ordering."""
    return {g: tuple(parent_ref(p)[0] for p in ps) for g, ps in parents.items()}


def _order(parents: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Groups with every parent before its children (the listed order otherwise)."""
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(group: str, chain: tuple[str, ...]) -> None:
        if state.get(group) == 2:
            return
        if state.get(group) == 1:
            raise OpError(
                DEPENDENCY_CYCLE, "cutflow groups depend on each other: " + " -> ".join((*chain, group))
            )
        state[group] = 1
        for parent in parents[group]:
            if parent not in parents:
                raise OpError(
                    UNKNOWN_STAGE_REF,
                    f"group '{group}' starts from group '{parent}', which this cutflow does not define",
                    did_you_mean(parent, parents),
                )
            visit(parent, (*chain, group))
        state[group] = 2
        done.append(group)

    for group in parents:
        visit(group, ())
    return done


class _Sums:
    """Events, sum of weights and sum of squared weights under a mask, for one partition's weights.

    With finite weights the sums are dot products with the mask (no copy of the selected weights, and several
    times faster than a masked ``np.sum``); a NaN or infinite weight would spoil a dot product even where the
    mask is false (NaN times 0 is NaN), so then the masked sum is used.
    """

    def __init__(self, weights: np.ndarray | None) -> None:
        self.weights = weights
        self.squares = None if weights is None else np.square(weights, dtype=np.float64)
        self.finite = weights is None or bool(np.isfinite(self.squares).all())

    def __call__(self, mask: np.ndarray) -> tuple[int, float, float]:
        n = int(np.count_nonzero(mask))
        if self.weights is None or self.squares is None:
            return n, float(n), float(n)
        if self.finite:
            # einsum's own loop, not np.dot: BLAS would start threads of its own in every worker process
            ones = mask.astype(np.float64)
            return n, float(np.einsum("i,i", self.weights, ones)), float(np.einsum("i,i", self.squares, ones))
        return (
            n,
            float(np.sum(self.weights, dtype=np.float64, where=mask)),
            float(np.sum(self.squares, where=mask)),
        )


def _weights(params: Mapping[str, Any], events: Events, ctx: RunContext) -> np.ndarray | None:
    expr = params.get("weight_expr")
    if expr is None:
        return None
    import awkward as ak

    value = per_event(evaluate(expr, symbols_for(events, ctx), ctx), len(events))
    if hasattr(value, "layout"):
        if value.ndim > 1:
            raise OpError(PARAM_VALUE, f"weight_expr '{expr}' gives one value per object, not one per event")
        value = ak.to_numpy(ak.fill_none(value, 0.0))
    return np.asarray(value, dtype=np.float64)


def _step_mask(step: Any, events: Events, ctx: RunContext) -> np.ndarray:
    n = len(events)
    if isinstance(step, Mapping) and "reduce" in step:
        return event_mask(reduce_per_event(step["reduce"], events, ctx), n, f"step '{step_label(step)}'")
    expr = step["expr"] if isinstance(step, Mapping) else step
    return event_mask(evaluate(expr, symbols_for(events, ctx), ctx), n, f"step '{step_label(step)}'")


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    selection: Mapping[str, Any] = params.get("selection") or {}
    mode = params.get("filter", "all")
    if mode not in ("all", "any", "none"):
        raise OpError(PARAM_VALUE, f"filter '{mode}' is not one of all, any, none")
    groups = {str(name): _steps_and_parents(group) for name, group in selection.items()}
    parents = {name: p for name, (_, p) in groups.items()}
    sums = _Sums(_weights(params, events, ctx))
    n = len(events)

    # Each step is evaluated once per group on the whole partition; masks then chain within the group.
    passed: dict[str, np.ndarray] = {}
    counts: dict[str, tuple[StepCounts, ...]] = {}
    after: dict[str, list[np.ndarray]] = {}  # the mask after each step: what a parent `g[i]` starts from
    for name in _order(_parent_groups(parents)):
        steps, group_parents = groups[name]
        current = np.ones(n, dtype=bool)
        for parent in group_parents:
            group, index = parent_ref(parent)
            if index is None:
                current &= passed[group]
            elif -len(after[group]) <= index < len(after[group]):
                current &= after[group][index]
            else:
                raise OpError(
                    PARAM_VALUE, f"group '{group}' has no step {index} (parent '{parent}' of '{name}')"
                )
        rows = []
        after[name] = []
        n_out, w_out, w2_out = sums(current)
        for step in steps:
            n_in, w_in, w2_in = n_out, w_out, w2_out  # what entered this step is what left the last one
            current = current & _step_mask(step, events, ctx)
            n_out, w_out, w2_out = sums(current)
            rows.append(StepCounts(step_label(step), n_in, n_out, w_in, w_out, w2_in, w2_out))
            after[name].append(current)
        passed[name] = current
        counts[name] = tuple(rows)

    names = list(groups)
    cutflow = Cutflow({g: counts[g] for g in names}, {g: parents[g] for g in names})
    combined = _combine([passed[g] for g in names], mode if mode != "none" else "all", n)
    new: dict[str, Any] = {}
    if params.get("emit_flags", True):
        new.update({f"{ctx.stage}.{g}": passed[g] for g in names})
    if params.get("output_field"):
        new[str(params["output_field"])] = combined
    out = events.with_columns(new) if new else events
    if mode != "none":
        out = out.filter(combined)
    return StageResult(out, {"cutflow": cutflow})


def _combine(masks: Sequence[np.ndarray], mode: str, n: int) -> np.ndarray:
    if not masks:
        return np.ones(n, dtype=bool)
    if mode == "any":
        return np.logical_or.reduce(masks)
    return np.logical_and.reduce(masks)
