"""``ops/hep/flat_lists.py``: the NumPy fast path for lists of numbers must give what awkward gives, and decline
every other layout (the callers then use awkward)."""

from __future__ import annotations

import awkward as ak
import numpy as np

from fasthep_flow.ops.hep.flat_lists import concatenate_flat, flat_list


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
