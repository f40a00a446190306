"""Lists of plain numbers per event (``var * float32``, the shape of nearly every NanoAOD branch) as two NumPy
arrays — offsets and values — and back.

Whole-column operations on this one shape (masking every field of a collection with one mask, stacking copies of
a stream) are a few NumPy calls on the values; awkward's general machinery re-derives the same indices once per
field. Anything else (missing values, records, nested lists, parameters) is left to awkward by the callers.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def flat_list(array: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets from 0, values) of a list of plain numbers per event; None for any other layout."""
    import awkward as ak

    if not hasattr(array, "layout"):
        return None
    layout = ak.to_layout(array)
    if not isinstance(layout, ak.contents.ListOffsetArray | ak.contents.ListArray) or layout.parameters:
        return None
    packed = layout.to_ListOffsetArray64(True)  # offsets from 0: a view when already so
    content = packed.content
    if not isinstance(content, ak.contents.NumpyArray) or content.parameters or content.data.ndim != 1:
        return None
    offsets = np.asarray(packed.offsets)
    return offsets, np.asarray(content.data)[: offsets[-1]]


def from_flat(offsets: np.ndarray, values: np.ndarray) -> Any:
    """The awkward array of lists these offsets cut ``values`` into (no copy)."""
    import awkward as ak

    layout = ak.contents.ListOffsetArray(ak.index.Index64(offsets), ak.contents.NumpyArray(values))
    return ak.Array(layout)


def concatenate_flat(blocks: list[Any]) -> Any | None:
    """The blocks one after another, when every one is a list of plain numbers of one dtype; else None."""
    flats = [flat_list(b) for b in blocks]
    if any(f is None for f in flats) or len({f[1].dtype for f in flats}) != 1:  # type: ignore[index]
        return None
    offsets = [flats[0][0]]  # type: ignore[index]
    end = int(offsets[0][-1])
    for o, _ in flats[1:]:  # type: ignore[misc]
        offsets.append(o[1:] + end)
        end += int(o[-1])
    return from_flat(np.concatenate(offsets), np.concatenate([v for _, v in flats]))  # type: ignore[misc]
