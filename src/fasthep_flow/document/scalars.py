"""Offset tables for YAML scalars: where in the file each character of a decoded value came from.

An error inside an expression string (``"NMuon >= = 2"``) is found at an index of the *decoded* value; the editor
needs the line and column in the *file*. Quotes, ``''``, escapes, folded line breaks and block indentation make
the two differ, so each scalar style has a small decoder that walks the raw source the way PyYAML's scanner does
and records, for every character it produces, the offset of the source character it came from.

The decoders are checked against the value the YAML parser produced: when they disagree (an exotic case), every
character maps to the scalar's start instead. A wrong column is a nuisance; a crash in the editor is not.
"""

from __future__ import annotations

import re

from fasthep_flow.document.nodes import ScalarStyle

_BREAKS = "\r\n\x85\u2028\u2029"
_END = "\0"  # what the decoders see past the end of the scalar, as PyYAML's reader does past the stream

_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\x09",
    "\t": "\x09",
    "n": "\x0a",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\x0d",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# runs of characters the decoders copy unchanged (PyYAML's reader shows "\0" past the end: never inside a run)
_WORD = re.compile("[^ \t\r\n\x85\u2028\u2029]+")
_QUOTED_RUN = re.compile("[^'\"\\\\ \t\r\n\x85\u2028\u2029]+")
_LINE = re.compile("[^\r\n\x85\u2028\u2029]+")


Decoded = tuple[int, int, tuple[int, ...], bool]
"""``(start, end, offsets, exact)``: where the scalar itself begins (after any ``&anchor`` or ``!tag``); the offset
just after its last source character (a block scalar's trailing blank lines left out); the source offset of each
character of the value plus one end offset; False when the decoders could not reproduce the parser's value and
the fallback table is used. A plain tuple: this runs once per scalar of every keystroke's parse."""


class _Mismatch(Exception):
    """The source does not decode the way the parser said it does: use the fallback table."""


def skip_properties(source: str, start: int, end: int) -> int:
    """Offset of the scalar content after the node's ``&anchor`` and ``!tag`` (and the spaces that follow)."""
    i = start
    while i < end:
        ch = source[i]
        if ch in " \t" or ch in _BREAKS:
            i += 1
        elif ch == "#" and i > start and source[i - 1] in " \t":
            while i < end and source[i] not in _BREAKS:
                i += 1
        elif ch in "&!":
            if source.startswith("!<", i):
                close = source.find(">", i, end)
                i = end if close < 0 else close + 1
            else:
                while i < end and source[i] not in " \t,[]{}" and source[i] not in _BREAKS:
                    i += 1
        else:
            break
    return min(i, end)


class _Out:
    """Decoded characters with their source offsets; ``last_end`` is where the last one's source ends."""

    __slots__ = ("chars", "last_end", "offsets")

    def __init__(self, begin: int) -> None:
        self.chars: list[str] = []
        self.offsets: list[int] = []
        self.last_end = begin

    def add(self, ch: str, offset: int, source_end: int) -> None:
        self.chars.append(ch)
        self.offsets.append(offset)
        self.last_end = source_end

    def copy(self, source: str, i: int, j: int) -> None:
        """Characters ``source[i:j]`` unchanged."""
        if j > i:
            self.chars.append(source[i:j])
            self.offsets.extend(range(i, j))
            self.last_end = j


class _Reader:
    """The scalar's source with PyYAML's ``peek`` and ``scan_line_break`` over ``source[..end]``."""

    __slots__ = ("end", "source")

    def __init__(self, source: str, end: int) -> None:
        self.source = source
        self.end = end

    def run(self, pattern: re.Pattern[str], i: int) -> int:
        """The end of the run of ``pattern`` characters starting at ``i``."""
        found = pattern.match(self.source, i, self.end)
        return found.end() if found else i

    def peek(self, i: int) -> str:
        return self.source[i] if i < self.end else _END

    def line_break(self, i: int) -> tuple[str, int]:
        """The normalised break at ``i`` and the offset after it (``("", i)`` when there is none)."""
        ch = self.peek(i)
        if ch in "\r\n\x85":
            if ch == "\r" and self.peek(i + 1) == "\n":
                return "\n", i + 2
            return "\n", i + 1
        if ch in "\u2028\u2029":
            return ch, i + 1
        return "", i


# --- plain -----------------------------------------------------------------------------------------------------


def _decode_plain(r: _Reader, i: int, out: _Out) -> None:
    """Words keep their spaces; a line break folds to one space (mapped to the break), blank lines to ``\\n``."""
    pending: list[tuple[str, int, int]] = []
    while True:
        j = r.run(_WORD, i)
        if j == i:
            return
        for ch, off, src_end in pending:
            out.add(ch, off, src_end)
        out.copy(r.source, i, j)
        i = j
        k = i
        while r.peek(k) == " ":
            k += 1
        if r.peek(k) in _BREAKS:
            first, k2 = r.line_break(k)
            folded: list[tuple[str, int, int]] = []
            while r.peek(k2) in " \r\n\x85\u2028\u2029":
                if r.peek(k2) == " ":
                    k2 += 1
                else:
                    brk, nxt = r.line_break(k2)
                    folded.append((brk, k2, nxt))
                    k2 = nxt
            pending = []
            if first != "\n":
                pending.append((first, k, k + 1))
            elif not folded:
                pending.append((" ", k, k2))
            pending.extend(folded)
            i = k2
        elif k > i:
            pending = [(" ", p, p + 1) for p in range(i, k)]
            i = k
        else:
            return


# --- quoted ----------------------------------------------------------------------------------------------------


def _quoted_breaks(r: _Reader, i: int) -> tuple[list[tuple[str, int, int]], int]:
    breaks: list[tuple[str, int, int]] = []
    while True:
        while r.peek(i) in " \t":
            i += 1
        if r.peek(i) not in _BREAKS:
            return breaks, i
        brk, nxt = r.line_break(i)
        breaks.append((brk, i, nxt))
        i = nxt


def _quoted_non_spaces(r: _Reader, i: int, double: bool, out: _Out) -> int:
    source = r.source
    while True:
        j = r.run(_QUOTED_RUN, i)
        out.copy(source, i, j)
        i = j
        ch = r.peek(i)
        if not double and ch == "'" and r.peek(i + 1) == "'":
            out.add("'", i, i + 2)  # '' is one quote, shown at the first of the two
            i += 2
        elif (double and ch == "'") or (not double and ch in '"\\'):
            out.add(ch, i, i + 1)
            i += 1
        elif double and ch == "\\":
            backslash = i
            ch = r.peek(i + 1)
            if ch in _ESCAPES:
                out.add(_ESCAPES[ch], backslash, i + 2)
                i += 2
            elif ch in _HEX_ESCAPES:
                digits = source[i + 2 : i + 2 + _HEX_ESCAPES[ch]]
                if len(digits) != _HEX_ESCAPES[ch] or not _HEX_DIGITS.issuperset(digits):
                    raise _Mismatch
                i += 2 + len(digits)
                out.add(chr(int(digits, 16)), backslash, i)
            elif ch in _BREAKS:
                _, i = r.line_break(i + 1)  # an escaped line break joins the lines without a space
                breaks, i = _quoted_breaks(r, i)
                for brk, off, src_end in breaks:
                    out.add(brk, off, src_end)
            else:
                raise _Mismatch
        else:
            return i


def _quoted_spaces(r: _Reader, i: int, out: _Out) -> int:
    j = i
    while r.peek(j) in " \t":
        j += 1
    ch = r.peek(j)
    if ch == _END:
        raise _Mismatch
    if ch in _BREAKS:
        first, k = r.line_break(j)
        breaks, k = _quoted_breaks(r, k)
        if first != "\n":
            out.add(first, j, j + 1)
        elif not breaks:
            out.add(" ", j, k)  # trailing spaces and the break fold into one space, shown at the break
        for brk, off, src_end in breaks:
            out.add(brk, off, src_end)
        return k
    out.copy(r.source, i, j)
    return j


def _decode_quoted(r: _Reader, i: int, out: _Out) -> None:
    quote = r.peek(i)
    double = quote == '"'
    i = _quoted_non_spaces(r, i + 1, double, out)
    while r.peek(i) != quote:
        before = i
        i = _quoted_spaces(r, i, out)
        i = _quoted_non_spaces(r, i, double, out)
        if i == before:
            raise _Mismatch


# --- block (| and >) -------------------------------------------------------------------------------------------


def _block_header(r: _Reader, i: int) -> tuple[bool | None, int | None, int]:
    """Chomping (True ``+``, False ``-``, None clip), the indentation indicator, and the offset of the body."""
    chomping: bool | None = None
    increment: int | None = None
    for _ in range(2):
        ch = r.peek(i)
        if ch in "+-" and chomping is None:
            chomping = ch == "+"
        elif ch in "123456789" and increment is None:
            increment = int(ch)
        else:
            break
        i += 1
    while r.peek(i) == " ":
        i += 1
    if r.peek(i) == "#":
        while r.peek(i) not in "\0\r\n\x85\u2028\u2029":
            i += 1
    if r.peek(i) not in "\0\r\n\x85\u2028\u2029":
        raise _Mismatch
    _, i = r.line_break(i)
    return chomping, increment, i


def _block_breaks(
    r: _Reader, i: int, column: int, indent: int
) -> tuple[list[tuple[str, int, int]], int, int]:
    breaks: list[tuple[str, int, int]] = []
    while column < indent and r.peek(i) == " ":
        i += 1
        column += 1
    while r.peek(i) in _BREAKS:
        brk, nxt = r.line_break(i)
        breaks.append((brk, i, nxt))
        i, column = nxt, 0
        while column < indent and r.peek(i) == " ":
            i += 1
            column += 1
    return breaks, i, column


def _decode_block(r: _Reader, i: int, out: _Out, parent_indent: int) -> None:
    folded = r.peek(i) == ">"
    chomping, increment, i = _block_header(r, i + 1)
    column = 0
    min_indent = max(parent_indent + 1, 1)
    if increment is None:
        breaks: list[tuple[str, int, int]] = []
        max_indent = 0
        while r.peek(i) in " \r\n\x85\u2028\u2029":
            if r.peek(i) == " ":
                i += 1
                column += 1
                max_indent = max(max_indent, column)
            else:
                brk, nxt = r.line_break(i)
                breaks.append((brk, i, nxt))
                i, column = nxt, 0
        indent = max(min_indent, max_indent)
    else:
        indent = min_indent + increment - 1
        breaks, i, column = _block_breaks(r, i, column, indent)
    last_break: tuple[str, int, int] = ("", i, i)
    while column == indent and r.peek(i) != _END:
        for brk in breaks:
            out.add(*brk)
        leading_non_space = r.peek(i) not in " \t"
        j = r.run(_LINE, i)
        out.copy(r.source, i, j)
        column += j - i
        brk, nxt = r.line_break(j)
        last_break = (brk, j, nxt)
        if brk:
            column = 0
        breaks, i, column = _block_breaks(r, nxt, column, indent)
        if column != indent or r.peek(i) == _END:
            break
        if folded and brk == "\n" and leading_non_space and r.peek(i) not in " \t":
            if not breaks:
                out.add(" ", j, nxt)  # a folded break becomes a space, shown at the newline
        else:
            out.add(*last_break)
    if chomping is not False and last_break[0]:
        out.add(*last_break)
    if chomping is True:
        for brk in breaks:
            out.add(*brk)


# --- entry point -----------------------------------------------------------------------------------------------


def _column(source: str, offset: int) -> int:
    """PyYAML's column of ``offset``: code points since the last line break of any kind."""
    newline = source.rfind("\n", 0, offset)
    line_start = max(source.rfind(ch, newline + 1, offset) for ch in _BREAKS) + 1
    return offset - max(line_start, newline + 1)


def _run(source: str, begin: int, end: int, style: ScalarStyle, parent_indent: int) -> _Out:
    r = _Reader(source, end)
    out = _Out(begin)
    if style is ScalarStyle.PLAIN:
        _decode_plain(r, begin, out)
    elif style is ScalarStyle.SINGLE or style is ScalarStyle.DOUBLE:
        _decode_quoted(r, begin, out)
    else:
        _decode_block(r, begin, out, parent_indent)
    return out


def decode_scalar(source: str, start: int, end: int, style: ScalarStyle, value: str) -> Decoded:
    """The offset table of the scalar ``source[start:end]`` (the parser's marks) whose decoded text is ``value``.

    ``start`` may point at the node's anchor or tag; the content start is found past them. Never raises: if the
    decoders cannot reproduce ``value`` every character maps to the content start.
    """
    begin = skip_properties(source, start, end) if start < end and source[start] in "&!" else start
    # fast paths: one line, nothing to unescape (most scalars in a workflow)
    if style is ScalarStyle.PLAIN and end - begin == len(value) and source.startswith(value, begin):
        return begin, end, tuple(range(begin, end + 1)), True
    if (
        (style is ScalarStyle.SINGLE or style is ScalarStyle.DOUBLE)
        and end - begin - 2 == len(value)
        and source.startswith(value, begin + 1)
    ):
        return begin, end, (*range(begin + 1, end - 1), end - 1), True
    if style is ScalarStyle.LITERAL or style is ScalarStyle.FOLDED:
        # the parser's indentation level is not in the event; try the possible ones, the right one reproduces it
        header_column = _column(source, begin)
        candidates = range(-1, max(header_column, 0))
        block_end = begin + len(source[begin:end].rstrip(" \t" + _BREAKS))
    else:
        candidates = range(-1, 0)
        block_end = end
    for parent_indent in candidates:
        try:
            out = _run(source, begin, end, style, parent_indent)
        except (_Mismatch, ValueError, IndexError):
            break
        if "".join(out.chars) == value:
            out.offsets.append(out.last_end)
            final_end = block_end if style in (ScalarStyle.LITERAL, ScalarStyle.FOLDED) else end
            return begin, final_end, tuple(out.offsets), True
    return begin, block_end, (begin,) * len(value) + (end,), False
