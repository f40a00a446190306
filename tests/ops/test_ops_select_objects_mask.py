"""``hep.select_objects`` masks every kept field with one flattened mask; it must equal awkward's own masking
for every layout a stream holds (fresh lists, lists left by an event filter, missing values, other offsets)."""

from __future__ import annotations

import awkward as ak
import numpy as np

from fasthep_flow.ops.hep.select_objects_impl import _mask_all


def _same(got: dict, fields: dict, mask: ak.Array) -> None:
    for name, arr in fields.items():
        want = arr[mask]
        assert got[name].tolist() == want.tolist(), name
        assert str(got[name].type) == str(want.type), name


def test_lists_sharing_the_masks_offsets_and_lists_left_by_an_event_filter() -> None:
    pt = ak.Array([[50.0, 20.0, 35.0], [], [31.0], [10.0, 60.0]])
    eta = ak.Array([[0.1, 2.5, -1.0], [], [0.3], [3.0, -0.2]])
    flag = ak.values_astype(ak.Array([[1, 0, 1], [], [0], [1, 1]]), np.int32)
    mask = (pt > 30) & (abs(eta) < 2.4)
    fields = {"pt": pt, "eta": eta, "flag": flag}
    _same(_mask_all(fields, mask), fields, mask)
    events = np.array([True, False, True, True])  # after a cutflow: ListArray views with gaps
    filtered = {k: v[events] for k, v in fields.items()}
    assert isinstance(ak.to_layout(filtered["pt"]), ak.contents.ListArray)
    _same(_mask_all(filtered, mask[events]), filtered, mask[events])


def test_fields_awkward_must_mask_fall_back() -> None:
    pt = ak.Array([[50.0, 20.0], [31.0], []])
    mask = pt > 30
    fields = {
        "pt": pt,
        "opt": ak.Array([[1.0, None], [2.0], []]),
        "deep": ak.Array([[[1], [2, 3]], [[4]], []]),
    }
    _same(_mask_all(fields, mask), fields, mask)


def test_a_field_with_other_counts_is_masked_as_awkward_masks_it() -> None:
    pt = ak.Array([[50.0, 20.0], [31.0], []])
    other = {"other": ak.Array([[1.0], [2.0, 3.0], []])}  # the counts differ per event, not in total
    _same(_mask_all(other, pt > 30), other, pt > 30)
