"""Lists of plain numbers per event (``var * float32``, the shape of nearly every NanoAOD branch) as two NumPy
arrays — offsets and values — and the work done on them directly.

Most expressions a physicist writes (``sqrt(Muon_Px ** 2 + Muon_Py ** 2)``, ``Jet_pt > 30``) combine jagged
columns of one collection, whose lists line up by construction; a histogram fills per-object values with one
weight per event; a selection masks every field of a collection with one mask. Awkward does all of these
through its general broadcasting machinery, which on a 500 000-event chunk costs several times the arithmetic
itself. Here such columns are taken apart into offsets and values, NumPy works on the values, and the offsets
are put back: the numbers are the ones awkward computes (the same ufunc on the same values), only the
bookkeeping is skipped.

Anything else — missing values, records, strings, nested lists, lists that do not line up, arrays without data
(the editor's type inference) — gives None, and the caller takes awkward's general path, which also words the
errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def _is_awkward(value: object) -> bool:
    return type(value).__module__.startswith("awkward")


def flat_list(array: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets from 0, values) of a list of plain numbers per event; None for any other layout."""
    if not _is_awkward(array) or not hasattr(array, "layout"):
        return None
    import awkward as ak

    layout = ak.to_layout(array)
    if not isinstance(layout, ak.contents.ListOffsetArray | ak.contents.ListArray) or layout.parameters:
        return None
    if ak.backend(layout) != "cpu":
        return None  # a typetracer has no numbers; a GPU array stays with awkward
    packed = layout.to_ListOffsetArray64(True)  # offsets from 0: a view when already so
    content = packed.content
    if not isinstance(content, ak.contents.NumpyArray) or content.parameters or content.data.ndim != 1:
        return None
    offsets = np.asarray(packed.offsets)
    return offsets, np.asarray(content.data)[: offsets[-1]]


def flat_numbers(value: Any) -> np.ndarray | None:
    """``value`` as a 1-d NumPy array of numbers or booleans (one per event); None for anything else."""
    if _is_awkward(value):
        import awkward as ak

        layout = getattr(value, "layout", None)
        if not isinstance(layout, ak.contents.NumpyArray) or layout.parameters or layout.data.ndim != 1:
            return None
        if ak.backend(layout) != "cpu":
            return None
        value = np.asarray(layout.data)
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "biuf":
        return value
    return None


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


def aligned(values: Sequence[Any]) -> tuple[np.ndarray | None, list[Any]] | None:
    """The shared offsets of the jagged values (None when there are none) and every value made flat: a list's
    values, a per-event column repeated for each object of its event, a plain number as it is.

    None unless every value is one of those, the lists all line up and the per-event columns all have one
    entry per event.
    """
    offsets: np.ndarray | None = None
    parts: list[Any] = []
    per_event: list[int] = []
    for value in values:
        if isinstance(value, bool | int | float) or (
            isinstance(value, np.generic) and value.dtype.kind in "biuf"
        ):
            parts.append(value)
            continue
        flat = flat_list(value)
        if flat is not None:
            if offsets is not None and not _same(offsets, flat[0]):
                return None
            offsets = flat[0] if offsets is None else offsets
            parts.append(flat[1])
            continue
        numbers = flat_numbers(value)
        if numbers is None:
            return None
        per_event.append(len(parts))
        parts.append(numbers)
    if offsets is not None and per_event:
        if any(len(parts[i]) != len(offsets) - 1 for i in per_event):
            return None
        counts = np.diff(offsets)
        for i in per_event:
            parts[i] = np.repeat(parts[i], counts)
    return offsets, parts


def elementwise(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``fn(*args)`` for a NumPy ufunc or operator when some argument is a list of plain numbers per event and
    the others line up with it (``aligned``); None otherwise (awkward then broadcasts)."""
    found = aligned(args)
    if found is None or found[0] is None:
        return None
    offsets, parts = found
    result = np.asarray(fn(*parts))
    if result.ndim != 1 or len(result) != int(offsets[-1]) or result.dtype.kind not in "biuf":
        return None
    return from_flat(offsets, result)


def flat_aligned(values: Sequence[Any]) -> list[np.ndarray] | None:
    """Per-event and per-object columns as one entry per object, per-event values repeated for each object of
    their event (what filling a histogram needs); None unless ``aligned`` holds and none is a plain number."""
    found = aligned(values)
    if found is None or any(not isinstance(p, np.ndarray) for p in found[1]):
        return None
    return found[1]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a is b or (len(a) == len(b) and bool(np.array_equal(a, b)))
