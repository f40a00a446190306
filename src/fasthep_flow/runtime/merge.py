"""Merging partition results in one fixed tree, whatever the executor and whatever order results arrive in.

Adding floating-point histograms is not associative in the last bit, so "the same result on every executor"
needs the same merge tree everywhere. ``OrderedFold`` is a binary counter over partitions *in index order*:
partition results are buffered until their predecessors arrive, and pairs are merged as soon as two subtrees
of equal size sit side by side (the left one always older). The Dask executor builds its reduction graph with
the very same class, folding task keys instead of values, so its tree has the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.ops.contract import Events

T = TypeVar("T")


class OrderedFold(Generic[T]):
    """Fold ``items[0] ⊕ items[1] ⊕ ...`` as a balanced-ish tree; ``add`` accepts items in any order."""

    __slots__ = ("_combine", "_next", "_pending", "_stack")

    def __init__(self, combine: Callable[[T, T], T]) -> None:
        self._combine = combine
        self._pending: dict[int, T] = {}
        self._next = 0
        self._stack: list[tuple[int, T]] = []

    def add(self, seq: int, item: T) -> None:
        if seq < self._next or seq in self._pending:
            raise InternalError(f"partition {seq} folded twice")
        self._pending[seq] = item
        while self._next in self._pending:
            self._push(self._pending.pop(self._next))
            self._next += 1

    @property
    def count(self) -> int:
        """How many items have been folded in (a contiguous prefix of the sequence)."""
        return self._next

    def _push(self, item: T) -> None:
        level = 0
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            item = self._combine(left, item)
            level += 1
        self._stack.append((level, item))

    def result(self) -> T | None:
        """The fold of everything added so far (None when nothing was); items after a gap are an error."""
        if self._pending:
            raise InternalError(f"partitions {sorted(self._pending)} arrived but {self._next} never did")
        item: T | None = None
        for _, left in reversed(self._stack):
            item = left if item is None else self._combine(left, item)
        return item


def fold_all(items: Sequence[T], combine: Callable[[T, T], T]) -> T | None:
    fold: OrderedFold[T] = OrderedFold(combine)
    for i, item in enumerate(items):
        fold.add(i, item)
    return fold.result()


def merge_named(
    left: Mapping[str, Any], right: Mapping[str, Any], merge: Callable[[Any, Any], Any]
) -> dict[str, Any]:
    """Merge two ``{product name: product}`` dicts: products of the same name merge, others are kept."""
    return add(left, right, merge)  # type: ignore[no-any-return]


def add(left: Any, right: Any, merge: Callable[[Any, Any], Any]) -> Any:
    """The one "add" of a run's results: mappings add key by key (recursively, left's keys first, then
    right's new ones, so the order is deterministic); anything else is two addable products (``merge``)."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        out = dict(left)
        for name, item in right.items():
            out[name] = add(out[name], item, merge) if name in out else item
        return out
    return merge(left, right)


def concat_events(chunks: Sequence[Events]) -> Events:
    """One stream from several, in order; only columns every chunk has survive (skipped defines add none)."""
    if not chunks:
        return Events({}, 0)
    if len(chunks) == 1:
        return chunks[0]
    names = [n for n in chunks[0].columns if all(n in c.columns for c in chunks[1:])]
    columns = {name: _concat([c.columns[name] for c in chunks]) for name in names}
    return Events(columns, sum(len(c) for c in chunks))


def _concat(arrays: list[Any]) -> Any:
    import numpy as np

    if all(isinstance(a, np.ndarray) for a in arrays):
        return np.concatenate(arrays)
    import awkward as ak

    return ak.concatenate(arrays)
