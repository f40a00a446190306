"""The fixed merge tree: same result whatever order partitions finish in; streams concatenate in order."""

from __future__ import annotations

import itertools
import random

import awkward as ak
import numpy as np
import pytest

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.ops.contract import Events
from fasthep_flow.runtime.merge import OrderedFold, concat_events, fold_all, merge_named


def tree(a: str, b: str) -> str:
    return f"({a}{b})"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "0"), (2, "(01)"), (3, "((01)2)"), (4, "((01)(23))"), (5, "(((01)(23))4)"), (6, "(((01)(23))(45))")],
)
def test_fold_shape_is_a_binary_counter_with_the_older_side_left(n: int, expected: str) -> None:
    assert fold_all([str(i) for i in range(n)], tree) == expected


def test_fold_is_the_same_tree_for_every_arrival_order() -> None:
    items = [str(i) for i in range(7)]
    expected = fold_all(items, tree)
    for order in itertools.islice(itertools.permutations(range(7)), 0, 5040, 97):
        fold: OrderedFold[str] = OrderedFold(tree)
        for i in order:
            fold.add(i, items[i])
        assert fold.result() == expected


def test_fold_of_floats_is_bitwise_reproducible_under_shuffling() -> None:
    rng = random.Random(3)
    values = [rng.uniform(0, 1e6) / 7 for _ in range(257)]
    expected = fold_all(values, lambda a, b: a + b)
    for _ in range(20):
        order = list(range(len(values)))
        rng.shuffle(order)
        fold: OrderedFold[float] = OrderedFold(lambda a, b: a + b)
        for i in order:
            fold.add(i, values[i])
        assert fold.result() == expected


def test_fold_refuses_gaps_and_duplicates() -> None:
    fold: OrderedFold[str] = OrderedFold(tree)
    fold.add(0, "a")
    fold.add(2, "c")
    assert fold.count == 1
    with pytest.raises(InternalError, match="never did"):
        fold.result()
    with pytest.raises(InternalError, match="twice"):
        fold.add(0, "again")
    assert OrderedFold(tree).result() is None


def test_merge_named_merges_same_names_and_keeps_the_rest() -> None:
    merged = merge_named({"hist": 1, "a": 5}, {"hist": 2, "b": 7}, lambda x, y: x + y)
    assert merged == {"hist": 3, "a": 5, "b": 7}


def test_concat_events_keeps_order_and_common_columns() -> None:
    first = Events({"x": np.array([1.0, 2.0]), "mu": ak.Array([[1], []]), "only_here": np.array([0, 0])})
    second = Events({"x": np.array([3.0]), "mu": ak.Array([[2, 3]])})
    joined = concat_events([first, second])
    assert len(joined) == 3
    assert sorted(joined) == ["mu", "x"]
    assert joined["x"].tolist() == [1.0, 2.0, 3.0]
    assert isinstance(joined["x"], np.ndarray)
    assert ak.to_list(joined["mu"]) == [[1], [], [2, 3]]
    assert len(concat_events([])) == 0
    assert concat_events([first]) is first


def test_add_merges_nested_mappings_key_by_key_in_a_fixed_order() -> None:
    from fasthep_flow.runtime.merge import add

    left = {"a": 1, "m": {"x": 1, "y": 2}}
    right = {"m": {"y": 10, "z": 3}, "b": 5, "a": 2}
    out = add(left, right, lambda p, q: p + q)
    assert out == {"a": 3, "m": {"x": 1, "y": 12, "z": 3}, "b": 5}
    assert list(out) == ["a", "m", "b"] and list(out["m"]) == ["x", "y", "z"]
    assert left == {"a": 1, "m": {"x": 1, "y": 2}}  # the inputs are not changed
