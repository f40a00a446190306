"""``hep.selection.cutflow`` on a small hand-made stream: groups, parents, filter modes, flags, merging."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import awkward as ak
import numpy as np
import pytest

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core.products import merge_products
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep import cutflow_impl
from fasthep_flow.ops.hep.cutflow_product import Cutflow, StepCounts

MakeCtx = Callable[..., RunContext]


def _events() -> Events:
    return Events(
        {
            "x": np.array([1, 2, 3, 4, 5, 6]),
            "w": np.array([0.5, 1.0, 2.0, 1.0, 0.25, 3.0]),
            "obj": ak.Array([[1.0], [], [5.0, 6.0], [7.0], [0.5, 8.0], [9.0, 9.5, 9.9]]),
        }
    )


PARAMS = {
    "selection": {
        "low": ["x <= 4"],
        "high": {"cuts": ["x >= 3", {"reduce": {"op": "any", "over": "obj > 6"}}]},
        "child": {"steps": [{"expr": "w >= 1", "label": "heavy"}], "from": "high"},
    },
    "weight_expr": "w",
}


def test_groups_parents_and_counts(make_ctx: MakeCtx) -> None:
    result = cutflow_impl.run(_events(), PARAMS, make_ctx(stage="Sel"))
    cutflow = result.products["cutflow"]
    assert [s.label for s in cutflow.steps("high")] == ["x >= 3", "any(obj > 6)"]
    assert cutflow.steps("low") == (StepCounts("x <= 4", 6, 4, 7.75, 4.5, 15.3125, 6.25),)
    high = cutflow.steps("high")
    assert (high[0].events_in, high[0].events_out, high[1].events_out) == (6, 4, 3)  # x=4,5,6 have obj > 6
    assert high[1].weights_out == pytest.approx(1.0 + 0.25 + 3.0)
    (child,) = cutflow.steps("child")
    assert (child.label, child.events_in, child.events_out) == ("heavy", 3, 2)
    assert child.weights_in == pytest.approx(4.25) and child.weights_out == pytest.approx(4.0)
    assert cutflow.parents["child"] == ("high",)
    # filter: all → events passing low, high and child: x == 4 only.
    assert result.events["x"].tolist() == [4]
    assert result.events["Sel.low"].tolist() == [True] and result.events["Sel.child"].tolist() == [True]


@pytest.mark.parametrize(("mode", "kept"), [("any", [1, 2, 3, 4, 5, 6]), ("none", [1, 2, 3, 4, 5, 6])])
def test_filter_any_and_none(make_ctx: MakeCtx, mode: str, kept: list[int]) -> None:
    params = {**PARAMS, "filter": mode, "output_field": "passed"}
    result = cutflow_impl.run(_events(), params, make_ctx(stage="Sel"))
    assert result.events["x"].tolist() == kept
    assert result.events["Sel.high"].tolist() == [False, False, False, True, True, True]


def test_filter_any_drops_events_failing_every_group(make_ctx: MakeCtx) -> None:
    params = {"selection": {"a": ["x == 1"], "b": ["x == 5"]}, "filter": "any", "output_field": "either"}
    result = cutflow_impl.run(_events(), params, make_ctx(stage="S"))
    assert result.events["x"].tolist() == [1, 5]
    assert result.events["either"].tolist() == [True, True]
    assert result.events["S.a"].tolist() == [True, False]


def test_emit_flags_false_adds_no_field_and_unweighted_counts(make_ctx: MakeCtx) -> None:
    params = {"selection": {"a": ["x > 2"]}, "emit_flags": False, "filter": "none"}
    result = cutflow_impl.run(_events(), params, make_ctx(stage="S"))
    assert set(result.events.columns) == {"x", "w", "obj"}
    (step,) = result.products["cutflow"].steps("a")
    assert (step.weights_in, step.weights_out, step.weights_sq_out) == (6.0, 4.0, 4.0)


def test_partitions_merge_to_the_whole(make_ctx: MakeCtx) -> None:
    whole = cutflow_impl.run(_events(), PARAMS, make_ctx()).products["cutflow"]
    ev = _events()
    first = Events({k: v[:2] for k, v in ev.columns.items()})
    second = Events({k: v[2:] for k, v in ev.columns.items()})
    parts = [cutflow_impl.run(e, PARAMS, make_ctx()).products["cutflow"] for e in (first, second)]
    merged = merge_products(parts[0], parts[1])
    assert merged.to_rows() == whole.to_rows()
    assert pickle.loads(pickle.dumps(merged)) == merged
    assert sum(parts) == merged


def test_rows_have_the_documented_columns(make_ctx: MakeCtx) -> None:
    rows = cutflow_impl.run(_events(), PARAMS, make_ctx()).products["cutflow"].to_rows()
    assert list(rows[0]) == [
        "group", "step", "events_in", "events_out", "weights_in", "weights_out", "weights_sq_in",
        "weights_sq_out", "efficiency",
    ]  # fmt: skip
    assert rows[0]["efficiency"] == pytest.approx(4 / 6)
    assert [(r["group"], r["step"]) for r in rows] == [
        ("low", "x <= 4"), ("high", "x >= 3"), ("high", "any(obj > 6)"), ("child", "heavy"),
    ]  # fmt: skip


def test_unknown_parent_and_cycles_are_op_errors(make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="does not define") as err:
        cutflow_impl.run(
            _events(), {"selection": {"a": {"steps": ["x > 1"], "parents": ["hihg"]}}}, make_ctx()
        )
    assert err.value.code.id == "FF301"
    cycle = {"selection": {"a": {"steps": ["x > 1"], "from": "b"}, "b": {"steps": ["x > 2"], "from": "a"}}}
    with pytest.raises(OpError) as err:
        cutflow_impl.run(_events(), cycle, make_ctx())
    assert err.value.code.id == "FF302"


def test_a_per_object_cut_is_refused_with_a_hint(make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="one value per object") as err:
        cutflow_impl.run(_events(), {"selection": {"a": ["obj > 1"]}}, make_ctx())
    assert "any(" in (err.value.hint or "")


def test_adding_different_cutflows_is_a_bug() -> None:
    from fasthep_flow.document.diagnostics import InternalError

    a = Cutflow({"g": (StepCounts("x"),)})
    b = Cutflow({"h": (StepCounts("x"),)})
    with pytest.raises(InternalError):
        merge_products(a, b)


def test_a_nan_weight_in_a_rejected_event_does_not_spoil_the_sums(make_ctx: MakeCtx) -> None:
    events = Events({"x": np.array([1, 2, 3, 4]), "w": np.array([np.nan, 1.0, 2.0, np.inf])})
    params = {"selection": {"mid": ["x >= 2", "x <= 3"]}, "weight_expr": "w"}
    first, second = cutflow_impl.run(events, params, make_ctx(stage="Sel")).products["cutflow"].steps("mid")
    assert np.isnan(first.weights_in)  # every event: the NaN is in
    assert first.weights_out == np.inf  # x >= 2 keeps the infinite weight
    assert (second.events_out, second.weights_out, second.weights_sq_out) == (2, 3.0, 5.0)


def test_finite_weights_sum_as_numpy_sums_the_selected_ones(make_ctx: MakeCtx) -> None:
    rng = np.random.default_rng(7)
    x, w = rng.random(100_000), rng.normal(1.0, 0.3, 100_000)
    params = {"selection": {"s": ["x > 0.25"]}, "weight_expr": "w"}
    (step,) = (
        cutflow_impl.run(Events({"x": x, "w": w}), params, make_ctx(stage="S")).products["cutflow"].steps("s")
    )
    assert step.weights_out == pytest.approx(float(w[x > 0.25].sum()), rel=1e-12)
    assert step.weights_sq_out == pytest.approx(float((w[x > 0.25] ** 2).sum()), rel=1e-12)
    assert step.events_out == int((x > 0.25).sum())
