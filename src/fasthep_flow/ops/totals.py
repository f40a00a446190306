"""Totals across datasets, one per eventtype: recorded data and simulation are never added together.

A sum of data and simulation counts nothing real, yet a single ``total`` column invites reading it. So every
place that sums datasets (the product files the runtime writes, ``hep.render.cutflow_csv``'s total rows, the
run result's products) sums them per eventtype and names the sum ``total_<eventtype>``: ``total_data``,
``total_mc``. The name lives here so the runtime and the render ops spell it the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")

TOTAL_PREFIX = "total_"
DEFAULT_EVENTTYPE = "mc"


def total_key(eventtype: str) -> str:
    """The name of the sum over the datasets of one eventtype: ``total_mc``, ``total_data``."""
    return f"{TOTAL_PREFIX}{eventtype}"


def is_total(name: str) -> bool:
    return name.startswith(TOTAL_PREFIX)


def eventtype_of_total(name: str) -> str:
    """``total_mc`` → ``mc``."""
    return name.removeprefix(TOTAL_PREFIX)


def totals_by_eventtype(
    items: Mapping[str, T], eventtypes: Mapping[str, str], add: Callable[[T, T], T]
) -> dict[str, T]:
    """``{dataset: item}`` → ``{total_<eventtype>: sum of that eventtype's items}``, in first-seen order.

    ``add`` is called left to right in the order of ``items`` (the datasets' order in the workflow), so the
    result is the same on every run. A dataset with no known eventtype counts as simulation, like a dataset
    that does not set ``eventtype``.
    """
    out: dict[str, T] = {}
    for name, item in items.items():
        key = total_key(eventtypes.get(name, DEFAULT_EVENTTYPE))
        out[key] = add(out[key], item) if key in out else item
    return out
