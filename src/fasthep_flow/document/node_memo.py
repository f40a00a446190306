"""Results of work on parse nodes that the next version of the text re-uses where it shares the nodes.

While a workflow is edited, each version's tree shares every node the edit did not touch with the previous
version's (``reparse.py``, ``splice.py``): a shared node has the same text at the same place, because nodes
are never changed after a parse. Work that depends only on such nodes (and on the registry) — a stage's
data-flow steps, its schema errors, where each name inside an expression sits, its semantic tokens — is
therefore remembered here, keyed by the nodes themselves, and a compile of the next version does it only for
the stages that changed.

The keys hold the nodes (a node is hashed by identity and stays alive while its entry does, so a key can
never match a different node), and each entry also holds the *other* inputs it was computed with (the op's
spec, the validator), compared by identity on a hit: a result made with another registry is never returned.

What is kept is what the last compiles used: every compile starts a generation (``new_generation``), and
an entry not used for ``keep`` generations is dropped (two by default: the compile that used it and the next;
semantic tokens, asked for between compiles, keep a few more). Old versions' trees (and their
texts) are not kept alive for long, whatever the size of the document; a hard size limit bounds the rest.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

_generations = itertools.count(1)
_generation = 0


def new_generation() -> None:
    """A compile starts: entries the previous compile did not use will be forgotten by the next one."""
    global _generation
    _generation = next(_generations)


class NodeMemo(Generic[V]):
    """A map from (nodes, names) to a result, guarded by the other inputs of that result.

    ``keep``: how many generations an entry outlives its last use (2: the compile that used it and the next).
    """

    def __init__(self, size: int, keep: int = 2) -> None:
        self._size = size
        self._keep = keep
        self._entries: dict[Hashable, tuple[object, V, int]] = {}
        self._swept = _generation
        self._lock = threading.Lock()

    def _sweep(self) -> None:
        if self._swept != _generation:
            self._swept = _generation
            oldest = _generation - self._keep + 1
            self._entries = {k: e for k, e in self._entries.items() if e[2] >= oldest}

    def get(self, key: Hashable, guard: object, make: Callable[[], V]) -> V:
        """The result for ``key`` made with ``guard`` (an identity: the spec, the validator), or ``make()``."""
        with self._lock:
            self._sweep()
            found = self._entries.get(key)
            if found is not None and found[0] is guard:
                if found[2] != _generation:
                    self._entries[key] = (guard, found[1], _generation)
                return found[1]
        value = make()
        with self._lock:
            self._sweep()
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key] = (guard, value, _generation)
        return value

    def __len__(self) -> int:
        with self._lock:
            self._sweep()
            return len(self._entries)
