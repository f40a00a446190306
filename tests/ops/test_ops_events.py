"""``Events``: the stream handed to every op. A filter cuts a column only when something reads it, and what a
reader sees is exactly what cutting every column at once would give."""

from __future__ import annotations

import pickle
from typing import Any

import awkward as ak
import numpy as np

from fasthep_flow.ops.contract import Events


class Counted:
    """A column that counts how often it is cut (indexed)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.cuts = 0

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: Any) -> np.ndarray:
        self.cuts += 1
        return self.values[index]


def _stream() -> tuple[Events, Counted]:
    unread = Counted(np.arange(6) * 10)
    columns = {
        "x": np.arange(6),
        "obj": ak.Array([[1.0], [], [2.0, 3.0], [4.0], [], [5.0]]),
        "unread": unread,
    }
    return Events(columns), unread


def test_a_filter_cuts_each_column_when_read_and_only_once() -> None:
    events, unread = _stream()
    kept = events.filter(np.array([True, False, True, True, False, True]))
    assert len(kept) == 4 and list(kept) == ["x", "obj", "unread"]
    assert kept["x"].tolist() == [0, 2, 3, 5]
    assert kept["obj"].tolist() == [[1.0], [2.0, 3.0], [4.0], [5.0]]
    assert unread.cuts == 0
    assert kept["unread"].tolist() == [0, 20, 30, 50] and kept["unread"].tolist() == [0, 20, 30, 50]
    assert unread.cuts == 1


def test_columns_added_after_a_filter_and_filters_in_a_row() -> None:
    events, unread = _stream()
    kept = events.filter(np.array([True, False, True, True, False, True]))
    more = kept.with_columns({"y": np.array([7, 8, 9, 10]), "x": np.array([-1, -2, -3, -4])})
    assert list(more) == ["x", "obj", "unread", "y"] and "y" in more and "y" not in kept
    assert more["x"].tolist() == [-1, -2, -3, -4] and kept["x"].tolist() == [0, 2, 3, 5]
    again = more.filter(np.array([False, True, True, False]))
    assert {name: again[name].tolist() for name in again} == {
        "x": [-2, -3],
        "obj": [[2.0, 3.0], [4.0]],
        "unread": [20, 30],
        "y": [8, 9],
    }
    assert unread.cuts == 1  # once for the first filter, shared by `kept` and `more`
    assert len(again) == 2 and dict(again.columns.items()).keys() == {"x", "obj", "unread", "y"}


def test_a_filtered_stream_travels_as_its_own_columns() -> None:
    events = Events({"x": np.arange(1000), "y": np.arange(1000) * 2.0})
    kept = events.filter(np.arange(1000) < 3)
    copy = pickle.loads(pickle.dumps(kept))
    assert type(copy.columns) is dict and len(copy) == 3
    assert copy["y"].tolist() == [0.0, 2.0, 4.0]
    assert len(pickle.dumps(kept)) < 2000  # not the 1000-event columns behind the filter
