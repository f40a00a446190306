"""Folding ranges from the document tree: every key or list item whose value spans lines, and comment runs.

While the file is briefly invalid, the tree is the one the loader gives with the lines it stops at closed or
blanked (``cursor.tolerant_root``), so the folds of the rest of the file stay put.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fasthep_flow.document.nodes import MapNode, Node, SeqNode
from fasthep_flow.service.cursor import tolerant_root

if TYPE_CHECKING:
    from fasthep_flow.document.loader import Loaded


@dataclass(frozen=True, slots=True)
class Fold:
    start_line: int
    end_line: int
    kind: Literal["region", "comment"] = "region"


def folding_ranges(text: str, file: str = "", parsed: Loaded | None = None) -> list[Fold]:
    """The folds of ``text`` (``parsed``: its parse by the loader, when one is at hand)."""
    lines = text.split("\n")
    content = [bool(s) and not s.startswith("#") for s in (line.strip() for line in lines)]
    folds: list[Fold] = []
    root = tolerant_root(text, file, parsed)
    if root is not None:
        _collect(root, content, folds)
    run: int | None = None
    for no, line in enumerate([*lines, ""]):  # comment runs: comments are not in the tree
        if line.strip().startswith("#"):
            run = no if run is None else run
            continue
        if run is not None and no - 1 > run:
            folds.append(Fold(run, no - 1, "comment"))
        run = None
    unique = {(f.start_line, f.end_line, f.kind): f for f in folds}
    return sorted(unique.values(), key=lambda f: (f.start_line, -f.end_line))


def _last_line(node: Node, content: list[bool]) -> int:
    """The last line holding content of ``node`` (a block ends where the next token starts)."""
    end = node.span.end
    last = end.line - 1 if end.col == 0 and end.line > node.span.start.line else end.line
    last = min(last, len(content) - 1)
    while last > node.span.start.line and not content[last]:
        last -= 1
    return last


def _collect(node: Node, content: list[bool], folds: list[Fold]) -> None:
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, MapNode):
            for e in node.entries:
                start = e.key.span.start.line
                last = _last_line(e.value, content)
                if last > start:
                    folds.append(Fold(start, last))
                stack.append(e.value)
        elif isinstance(node, SeqNode):
            for item in node.items:
                last = _last_line(item, content)
                if last > item.span.start.line:
                    folds.append(Fold(item.span.start.line, last))
                stack.append(item)
