"""Folding ranges from indentation: every key or list item whose block spans lines, and comment runs.

Read from the lines, not the parse, so folds stay put while the file is briefly invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fasthep_flow.service.blocks import Lines


@dataclass(frozen=True, slots=True)
class Fold:
    start_line: int
    end_line: int
    kind: Literal["region", "comment"] = "region"


def folding_ranges(text: str) -> list[Fold]:
    lines = Lines(text)
    n = len(lines)
    folds: list[Fold] = []
    open_: list[tuple[int, int]] = []  # (column, line) of keys/items whose block is still open
    last_content = -1
    comment_start: int | None = None
    for no in range(n):
        info = lines.info(no)
        stripped = info.text.strip()
        if stripped.startswith("#"):
            if comment_start is None:
                comment_start = no
            continue
        if comment_start is not None:
            if no - 1 > comment_start:
                folds.append(Fold(comment_start, no - 1, "comment"))
            comment_start = None
        if not stripped:
            continue
        col = info.indent
        while open_ and open_[-1][0] >= col:
            _, start = open_.pop()
            if last_content > start:
                folds.append(Fold(start, last_content))
        for dash in info.dashes:
            open_.append((dash, no))
        if info.key is not None:
            open_.append((info.key_col, no))
        last_content = no
    if comment_start is not None and n - 1 > comment_start:
        folds.append(Fold(comment_start, n - 1, "comment"))
    while open_:
        _, start = open_.pop()
        if last_content > start:
            folds.append(Fold(start, last_content))
    unique = {(f.start_line, f.end_line, f.kind): f for f in folds}
    return sorted(unique.values(), key=lambda f: (f.start_line, -f.end_line))
