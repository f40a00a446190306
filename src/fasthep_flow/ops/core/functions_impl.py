"""The functions expressions may call, as array code over NumPy and awkward (jagged) arrays.

The expression compiler is handed this table (``function_table()``) and never looks anything else up, so a
workflow can only call what is listed here. Every function accepts NumPy arrays, awkward arrays and Python
scalars alike: a per-event column is a NumPy array, a per-object column an awkward jagged array.

Reductions (``sum``, ``count_nonzero``, ...) act on the innermost axis, i.e. per event for a jagged column;
on a flat column (one value per event) each event is a list of one, so the result keeps one value per event.
``leading``/``nth`` take the first *stored* elements, without sorting: upstream files rely on that.

awkward is imported inside the functions: ``fasthep-flow check`` may import this module to know the names
without paying for awkward.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}
"""Named constants expressions may use like symbols."""


def is_awkward(x: Any) -> bool:
    """True for an awkward Array, tested by type name so that NumPy-only paths never import awkward."""
    return type(x).__module__.startswith("awkward")


def depth(x: Any) -> int:
    """Nesting depth: 0 for a scalar, 1 for one value per event, 2 for a jagged per-object column, ..."""
    if is_awkward(x):
        return int(x.ndim)
    return int(np.ndim(x))


def _as_awkward(x: Any) -> Any:
    import awkward as ak

    return x if is_awkward(x) else ak.Array(np.asarray(x))


# -- element-wise ----------------------------------------------------------------------------------------
# NumPy ufuncs dispatch to awkward for jagged arrays and keep missing values missing.

sqrt = np.sqrt
abs = np.abs
log = np.log
log10 = np.log10
exp = np.exp
cosh = np.cosh
sinh = np.sinh
tanh = np.tanh
sin = np.sin
cos = np.cos
tan = np.tan
arctan2 = np.arctan2


# -- choosing ------------------------------------------------------------------------------------------


def where(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true`` where ``condition`` holds, else ``if_false`` (broadcast like NumPy/awkward)."""
    if any(is_awkward(a) for a in (condition, if_true, if_false)):
        import awkward as ak

        return ak.where(condition, if_true, if_false)
    return np.where(condition, if_true, if_false)


def fill_none(x: Any, value: Any, axis: int | None = -1) -> Any:
    """Replace missing values (None) by ``value``; NumPy arrays have no missing values and pass through.

    ``axis=-1`` (the default) fills the innermost entries; ``axis=None`` fills at every level.
    """
    if is_awkward(x):
        import awkward as ak

        return ak.fill_none(x, value, axis=axis)
    return x


def pad_none(x: Any, target: int, axis: int = 1, clip: bool = False) -> Any:
    """Pad each event's list with missing values up to ``target`` entries (``clip``: also cut longer ones)."""
    import awkward as ak

    return ak.pad_none(_as_awkward(x), int(target), axis=int(axis), clip=bool(clip))


def nth(x: Any, n: int, default: Any = 0.0) -> Any:
    """The ``n``-th *stored* element of each event's list (0-based, negative counts from the end).

    ``default`` (0.0, as upstream FAST-HEP gives) where the list is too short, so a histogram of
    ``leading(Jet_pt)`` counts the events without jets at 0; pass ``None`` for a missing value instead. No
    sorting: ``leading(Muon_pt)`` is the first muon as stored in the file, as upstream defines it.
    """
    import awkward as ak

    n = int(n)
    arr = _as_awkward(x)
    if depth(arr) < 2:
        raise TypeError(f"nth() needs a list per event (a jagged column), got {arr.type}")
    fast = _nth_of_flat_lists(arr, n, default)
    if fast is not None:
        return fast
    stop = n + 1 if n != -1 else None
    picked = ak.firsts(arr[..., n:stop], axis=-1)
    if default is not None:
        picked = ak.fill_none(picked, default, axis=-1)
    return picked


def _nth_of_flat_lists(arr: Any, n: int, default: Any) -> Any:
    """``nth`` on the common shape — lists of plain numbers — by index arithmetic on the list offsets.

    Slicing every list and taking ``firsts`` builds two new jagged arrays per call; reading element
    ``start + n`` directly is one gather. Returns None for any other shape (the general path handles it).
    """
    import awkward as ak

    if ak.backend(arr) != "cpu":
        return None  # a typetracer (type inference without data, in the editor) has no numbers to index
    layout = arr.layout
    if not isinstance(layout, ak.contents.ListOffsetArray | ak.contents.ListArray):
        return None
    content = layout.content
    if not isinstance(content, ak.contents.NumpyArray) or content.data.ndim != 1 or arr.ndim != 2:
        return None
    starts = np.asarray(layout.starts)
    stops = np.asarray(layout.stops)
    data = np.asarray(content.data)
    index = starts + n if n >= 0 else stops + n
    ok = (index >= starts) & (index < stops)
    values = data[np.where(ok, index, 0)] if len(data) else np.zeros(len(starts), dtype=data.dtype)
    if default is not None:
        return np.where(
            ok, values, np.asarray(default, dtype=np.result_type(data.dtype, np.asarray(default)))
        )
    return ak.Array(
        ak.contents.ByteMaskedArray(ak.index.Index8(ok), ak.contents.NumpyArray(values), valid_when=True)
    )


def leading(x: Any, default: Any = 0.0) -> Any:
    """The first stored element of each event's list (``default``, 0.0 unless given, when it is empty)."""
    return nth(x, 0, default)


def subleading(x: Any, default: Any = 0.0) -> Any:
    """The second stored element of each event's list (``default``, 0.0 unless given, when shorter)."""
    return nth(x, 1, default)


# -- reductions per event ----------------------------------------------------------------------------------


def _reduce(x: Any, ak_name: str, flat: Callable[[Any], Any], axis: int) -> Any:
    """Reduce ``x`` over ``axis``; a flat column (one value per event) goes to ``flat`` instead."""
    if depth(x) < 2:
        return flat(x)
    import awkward as ak

    return getattr(ak, ak_name)(_as_awkward(x), axis=axis)


def count_nonzero(x: Any, axis: int = -1) -> Any:
    """How many entries of each event's list are non-zero / true."""
    return _reduce(x, "count_nonzero", lambda v: (np.asarray(v) != 0).astype(np.int64), axis)


def any(x: Any, axis: int = -1) -> Any:
    """Whether any entry of each event's list is true (False for an empty list)."""
    return _reduce(x, "any", lambda v: np.asarray(v) != 0, axis)


def all(x: Any, axis: int = -1) -> Any:
    """Whether every entry of each event's list is true (True for an empty list)."""
    return _reduce(x, "all", lambda v: np.asarray(v) != 0, axis)


def sum(x: Any, axis: int = -1) -> Any:
    """The sum of each event's list (0 for an empty list)."""
    return _reduce(x, "sum", lambda v: v, axis)


def min(x: Any, axis: int = -1) -> Any:
    """Smallest entry of each event's list (missing when the list is empty)."""
    return _reduce(x, "min", lambda v: v, axis)


def max(x: Any, axis: int = -1) -> Any:
    """Largest entry of each event's list (missing when the list is empty)."""
    return _reduce(x, "max", lambda v: v, axis)


def num(x: Any, axis: int = 1) -> Any:
    """The length of each event's list (1 for a flat column: one value per event)."""
    if depth(x) < 2:
        return np.ones(len(x), dtype=np.int64) if np.ndim(x) else 1
    import awkward as ak

    return ak.num(_as_awkward(x), axis=axis)


REDUCERS: dict[str, Callable[..., Any]] = {
    "count_nonzero": count_nonzero,
    "any": any,
    "all": all,
    "sum": sum,
    "min": min,
    "max": max,
}
"""The reductions a ``reduce: {op, over}`` block may name (hep.define, cutflow steps)."""


FUNCTION_NAMES: tuple[str, ...] = (
    *("sqrt", "abs", "log", "log10", "exp", "cosh", "sinh", "tanh", "sin", "cos", "tan", "arctan2"),
    *("where", "fill_none", "pad_none", "nth", "leading", "subleading", "num"),
    *REDUCERS,
)
"""Every function this module provides to expressions (each is a module-level name, for spec ``impl``s)."""


def function_table() -> dict[str, Callable[..., Any]]:
    """Name -> callable for every function expressions may call; the compiler binds calls through it."""
    return {name: globals()[name] for name in FUNCTION_NAMES}
