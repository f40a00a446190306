"""Did-you-mean: the closest known name to a misspelt one, or nothing when no name is close.

Typos in workflow files are mostly one slip: a swapped pair (``hep.hsit``), a wrong case (``Muon_pt``), a
missing namespace (``hist`` for ``hep.hist``). A Damerau–Levenshtein distance (optimal string alignment)
counts a swap as one edit, which plain Levenshtein and difflib do not.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    if a == b:
        return 0
    if not a or not b:
        return len(a) + len(b)
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _limit(name: str) -> int:
    """How many edits still look like a typo: 1 for short names, up to 3 for long ones."""
    return max(1, min(3, len(name) // 4))


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The best match for ``name`` among ``candidates``, or None when none is plausibly meant."""
    pool = sorted({c for c in candidates if isinstance(c, str) and c})
    if not name or not pool:
        return None
    if name in pool:
        return name
    folded = name.casefold()
    same_case = [c for c in pool if c.casefold() == folded]
    if same_case:
        return same_case[0]
    # `hist` for `hep.hist`, `cutflow` for `hep.selection.cutflow`: the last part names the thing
    tail = [c for c in pool if "." in c and c.rsplit(".", 1)[1].casefold() == folded]
    if len(tail) == 1:
        return tail[0]
    scored = []
    for c in pool:
        d = edit_distance(folded, c.casefold())
        if d <= _limit(name):
            ratio = difflib.SequenceMatcher(None, name, c).ratio()
            scored.append((d, -ratio, c))
    if scored:
        return min(scored)[2]
    if tail:
        return tail[0]
    return None
