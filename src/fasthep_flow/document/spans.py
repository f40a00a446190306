"""Positions and spans: every node, token and diagnostic says where in which file it came from.

Lines and columns are 0-based and columns count code points (Python ``str`` indices). Only renderers add 1,
and only ``lsp/convert.py`` knows about UTF-16.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple


class Pos(NamedTuple):
    """A named tuple rather than a frozen dataclass: a document has tens of thousands and building them is
    the loader's hot path (tuples compare and order the same way)."""

    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line + 1}:{self.col + 1}"


class Span(NamedTuple):
    """A half-open range ``[start, end)`` inside ``file`` (a path or URI string as the document was opened)."""

    file: str
    start: Pos
    end: Pos

    def contains(self, pos: Pos) -> bool:
        """True when ``pos`` is inside the span or touches its end (a cursor right after a word is 'in' it)."""
        return self.start <= pos <= self.end

    def with_file(self, file: str) -> Span:
        return Span(file, self.start, self.end)

    def __repr__(self) -> str:
        return f"Span({self.file!r}, {self.start.line}:{self.start.col}-{self.end.line}:{self.end.col})"

    @staticmethod
    def point(file: str, pos: Pos) -> Span:
        return Span(file, pos, pos)


class LineIndex:
    """Converts between character offsets and ``Pos`` for one text; built once per document version."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._starts = starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def pos(self, offset: int) -> Pos:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._starts, offset) - 1
        return Pos(line, offset - self._starts[line])

    def offset(self, pos: Pos) -> int:
        if pos.line >= len(self._starts):
            return len(self.text)
        start = self._starts[pos.line]
        end = self._starts[pos.line + 1] - 1 if pos.line + 1 < len(self._starts) else len(self.text)
        return min(start + max(pos.col, 0), end)

    def line_text(self, line: int) -> str:
        if not 0 <= line < len(self._starts):
            return ""
        start = self._starts[line]
        end = self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def span(self, file: str, start: int, end: int) -> Span:
        return Span(file, self.pos(start), self.pos(end))
