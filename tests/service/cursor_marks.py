"""Cursor-marker fixtures: write ``needs: [Bas|]`` and get the text without the marker plus the position."""

from __future__ import annotations

from fasthep_flow.document.spans import Pos


def at_cursor(text: str, marker: str = "|") -> tuple[str, Pos]:
    """Strip the single ``marker`` from ``text``; return the text and the 0-based position it marked.

    Use ``marker="‸"`` around YAML block scalars, where ``|`` is part of the syntax.
    """
    if text.count(marker) != 1:
        raise ValueError(f"expected exactly one {marker!r} cursor marker, found {text.count(marker)}")
    i = text.index(marker)
    before = text[:i]
    line = before.count("\n")
    col = i - (before.rfind("\n") + 1)
    return before + text[i + len(marker) :], Pos(line, col)
