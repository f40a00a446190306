"""``expressions/jagged.py``: the NumPy fast path for lists of numbers must give what awkward gives, and decline
every other layout (the callers then use awkward)."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from fasthep_flow.expressions import compile_expr, parse
from fasthep_flow.expressions.jagged import concatenate_flat, elementwise, flat_aligned, flat_list


def test_stacking_lists_equals_awkwards_concatenate() -> None:
    a = ak.values_astype(ak.Array([[1.5, 2.5], [], [3.5]]), np.float32)
    b = ak.values_astype(ak.Array([[4.0], [5.0, 6.0, 7.0], [], [8.0]]), np.float32)[[True, True, False, True]]
    assert isinstance(ak.to_layout(b), ak.contents.ListArray)  # an event-filtered column
    got = concatenate_flat([a, b, a])
    want = ak.concatenate([a, b, a], axis=0)
    assert got.tolist() == want.tolist()
    assert str(got.type) == str(want.type) == "9 * var * float32"


def test_other_layouts_are_declined() -> None:
    floats = ak.Array([[1.0], []])
    assert concatenate_flat([floats, ak.Array([[1.0, None], []])]) is None  # missing values
    assert concatenate_flat([floats, ak.Array([[1], []])]) is None  # two dtypes: awkward decides the result
    assert flat_list(ak.Array([[[1.0]], []])) is None  # nested lists
    assert flat_list(ak.Array([{"x": 1.0}])) is None  # records
    assert flat_list(np.array([1.0, 2.0])) is None  # one number per event
    offsets, values = flat_list(ak.Array([[1.0, 2.0], [], [3.0]]))  # type: ignore[misc]
    assert offsets.tolist() == [0, 2, 2, 3] and values.tolist() == [1.0, 2.0, 3.0]


def _same(got: ak.Array, want: ak.Array) -> None:
    assert got.tolist() == want.tolist()
    assert str(got.type) == str(want.type)


PX = ak.values_astype(ak.Array([[3.0, 1.0], [], [6.0, 2.0, 5.0], [0.5]]), np.float32)
PY = ak.values_astype(ak.Array([[4.0, 1.0], [], [8.0, 2.0, 12.0], [1.5]]), np.float32)


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (np.add, (PX, PY)),
        (np.power, (PX, 2)),
        (np.greater, (PX, 1.5)),
        (np.sqrt, (PX,)),
        (np.arctan2, (PY, PX)),
        (np.multiply, (PX, np.array([1.0, 2.0, 3.0, 4.0]))),  # one number per event, repeated per object
        (np.subtract, (np.array([10, 20, 30, 40]), PX)),
        (np.add, (PX[[True, False, True, True]], PY[[True, False, True, True]])),  # filtered (ListArray)
        (np.add, (PX[1:], PY[1:])),  # offsets not starting at 0
    ],
)
def test_elementwise_gives_what_awkward_gives(fn: object, args: tuple[object, ...]) -> None:
    got = elementwise(fn, args)  # type: ignore[arg-type]
    assert got is not None
    _same(got, fn(*args))  # type: ignore[operator]


def test_elementwise_declines_what_it_cannot_line_up() -> None:
    assert elementwise(np.add, (PX, PX[[1, 0, 2, 3]])) is None  # lists of different lengths
    assert elementwise(np.add, (PX, np.array([1.0, 2.0]))) is None  # per-event column of the wrong length
    assert elementwise(np.add, (PX, ak.Array([[1.0, None], [], [1.0, 2.0, 3.0], [1.0]]))) is None  # missing
    assert elementwise(np.add, (ak.Array([[[1.0]]]), 1.0)) is None  # nested lists
    assert elementwise(np.add, (np.array([1.0]), 1.0)) is None  # nothing jagged: not this path's business
    assert elementwise(np.add, (PX, "a")) is None
    assert elementwise(np.add, (ak.Array(["ab", "c"]), 1)) is None  # strings are lists of characters


def test_expressions_on_jagged_columns_match_awkward_and_still_report_misalignment() -> None:
    env = {"px": PX, "py": PY, "w": np.array([1.0, 2.0, 3.0, 4.0]), "other": PX[[1, 0, 2, 3]]}
    expr = "sqrt(px ** 2 + py ** 2) * w > 4"
    got = compile_expr(parse(expr), {"sqrt": np.sqrt})(env)
    _same(got, np.sqrt(PX**2 + PY**2) * ak.Array(env["w"]) > 4)
    assert got.tolist() == [[True, False], [], [True, True, True], [True]]  # 5, 1.41; -; 30, 8.5, 39; 6.3
    with pytest.raises(Exception, match="evaluating 'px \\+ other' failed"):
        compile_expr(parse("px + other"), {})(env)  # awkward's own error, with where it happened


def test_flat_aligned_equals_broadcast_and_flatten() -> None:
    weight = np.array([0.5, 1.0, 2.0, 4.0])
    pt, w = flat_aligned([PX[[True, False, True, True]], weight[[True, False, True, True]]])  # type: ignore[misc]
    want_pt, want_w = ak.broadcast_arrays(PX[[True, False, True, True]], weight[[True, False, True, True]])
    assert pt.tolist() == ak.flatten(want_pt).tolist()
    assert w.tolist() == ak.flatten(want_w).tolist() == [0.5, 0.5, 2.0, 2.0, 2.0, 4.0]
    assert flat_aligned([np.array([1.0, 2.0])]) is not None  # per-event only: already flat
    assert flat_aligned([ak.Array([[1.0, None]]), np.array([1.0])]) is None  # missing values: awkward's path
