"""Where the cursor sits in the YAML structure, read from indentation and keys of the lines above it.

Completion runs while the user types, when the text is often not valid YAML (``op: hep.h`` is, but
``needs: [Bas`` and ``expr: "sqrt(Mu`` are not). So the structure is read the way a person reads it: the
cursor line's key (or dash), then each line above with a smaller indentation is a parent, up to the top.
Flow collections on the cursor line (``needs: [A, Ba``, ``- {name: x, expr: "..."}``) are scanned by hand.
Block scalars (``expr: |``) are recognised. Multi-line flow collections are not (rare in workflows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from fasthep_flow.document.spans import Pos

PathPart = str | int
Role = Literal["key", "value", "item"]

# A mapping key at the start of a line's content: a quoted string, or plain text up to the first ": ".
_KEY = re.compile(
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}\[\],&*!|>%@`?:-][^#]*?|-[^\s#][^#]*?)[ \t]*:(?=[ \t]|$)"""
)
_BLOCK_INDICATOR = re.compile(r"^[|>][0-9+-]*\s*(#.*)?$")


@dataclass(frozen=True, slots=True)
class LineInfo:
    """One line read as YAML block structure."""

    no: int
    text: str
    indent: int
    dashes: tuple[int, ...]
    """Columns of the block-sequence dashes that start the line (``- - x`` has two)."""
    content: int
    """Column where the content after the dashes starts."""
    key: str | None
    key_col: int
    value_col: int
    """Column where the value after ``key:`` starts (end of line when empty)."""

    @property
    def blank(self) -> bool:
        stripped = self.text.strip()
        return not stripped or stripped.startswith("#")

    @property
    def value(self) -> str:
        """The raw value after ``key:`` without a trailing comment."""
        return _strip_comment(self.text[self.value_col :]).strip()


def _strip_comment(text: str) -> str:
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i]
    return text


def _unquote_key(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1].replace("''", "'") if raw[0] == "'" else raw[1:-1]
    return raw.strip()


def read_line(no: int, text: str) -> LineInfo:
    indent = len(text) - len(text.lstrip(" "))
    col = indent
    dashes: list[int] = []
    while col < len(text) and text[col] == "-" and (col + 1 == len(text) or text[col + 1] in " \t"):
        dashes.append(col)
        col += 1
        while col < len(text) and text[col] in " \t":
            col += 1
    key: str | None = None
    key_col = col
    value_col = len(text)
    m = _KEY.match(text, col)
    if m:
        key = _unquote_key(m.group("key"))
        value_col = m.end()
        while value_col < len(text) and text[value_col] in " \t":
            value_col += 1
    return LineInfo(no, text, indent, tuple(dashes), col, key, key_col, value_col)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the path from the document root: a key (with its line) or a sequence item."""

    part: PathPart
    line: int
    col: int
    """The key's column, or the item's dash column (-1 for items of a flow sequence)."""


@dataclass(frozen=True, slots=True)
class Place:
    """The cursor in the YAML structure.

    ``steps`` lead to the *container* the cursor is in (the mapping whose key is typed, the mapping holding the
    value's key, or the sequence whose item is typed). ``word`` is the token at the cursor: its text, the part
    before the cursor, and its start/end columns on the cursor line (quotes excluded).
    """

    steps: tuple[Step, ...]
    role: Role
    key: str | None = None
    """For a value: the key whose value it is."""
    index: int | None = None
    """For an item: its index in the sequence."""
    word: str = ""
    prefix: str = ""
    line: int = 0
    start: int = 0
    end: int = 0
    quote: str | None = None
    """The quote character when the cursor is inside a quoted scalar."""
    scalar_start: int | None = None
    """For a value or item: the column where the scalar's text starts (after an opening quote)."""
    scalar_text: str = ""
    """The scalar's text on the cursor line (up to the closing quote, or the end of the plain scalar)."""
    block: bool = False
    """Inside a block scalar (``|``/``>``): the scalar is found in the parsed tree, not on one line."""
    siblings: tuple[str, ...] = field(default=())
    """Keys already present in the container mapping (to leave them out of completions)."""

    @property
    def path(self) -> tuple[PathPart, ...]:
        return tuple(s.part for s in self.steps)

    @property
    def start_pos(self) -> Pos:
        return Pos(self.line, self.start)

    @property
    def end_pos(self) -> Pos:
        return Pos(self.line, self.end)


class Lines:
    """The lines of one text, read lazily (a 6000-line workflow is read only where the cursor needs it)."""

    def __init__(self, text: str) -> None:
        self.raw = text.split("\n")
        self._info: dict[int, LineInfo] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def info(self, no: int) -> LineInfo:
        found = self._info.get(no)
        if found is None:
            found = self._info[no] = read_line(no, self.raw[no].rstrip("\r"))
        return found

    # -- walking up --------------------------------------------------------------------------------------------
    def parents(self, line: int, col: int) -> list[Step]:
        """Steps from the root to the node whose content starts at ``col`` on ``line`` (that node excluded)."""
        steps: list[Step] = []
        limit = col
        i = line - 1
        while i >= 0 and limit > 0:
            info = self.info(i)
            i -= 1
            if info.blank or info.indent >= limit:
                continue
            anchors = [(d, "dash") for d in info.dashes]
            if info.key is not None:
                anchors.append((info.key_col, "key"))
            below = [a for a in anchors if a[0] < limit]
            if not below:
                continue
            at, what = below[-1]
            if what == "key":
                steps.append(Step(info.key, info.no, at))  # type: ignore[arg-type]
                limit = at
                continue
            # inside an item of a block sequence whose dashes sit at column `at`: count the items above
            index, j, parent_key = self._item_index(info.no, at)
            steps.append(Step(index, info.no, at))
            limit = at
            if parent_key is not None:  # `key:` at the same column as its sequence's dashes
                steps.append(Step(parent_key.key, parent_key.no, at))  # type: ignore[arg-type]
            i = j
        steps.reverse()
        return steps

    def _item_index(self, dash_line: int, dash_col: int) -> tuple[int, int, LineInfo | None]:
        """(index of the item starting on ``dash_line``, next line to look at, key owning a same-indent list)."""
        index = 0
        i = dash_line - 1
        while i >= 0:
            info = self.info(i)
            if info.blank or info.indent > dash_col:
                i -= 1
                continue
            if info.indent == dash_col and info.dashes and info.dashes[0] == dash_col:
                index += 1
                i -= 1
                continue
            if info.indent == dash_col and info.key is not None and not info.dashes:
                return index, i - 1, info
            break
        return index, i, None

    def block_owner(self, line: int) -> LineInfo | None:
        """The ``key: |`` line whose block scalar contains ``line``, if any."""
        own = self.info(line)
        indent = own.indent if not own.blank else len(own.text)
        i = line - 1
        while i >= 0:
            info = self.info(i)
            i -= 1
            if not info.text.strip():
                continue
            if info.indent < indent or (own.blank and info.indent <= indent):
                if info.key is not None and _BLOCK_INDICATOR.match(info.value or ""):
                    return info
                if not own.blank or info.indent < indent:
                    return None
        return None

    def keys_of(self, steps: tuple[Step, ...] | list[Step], col: int, start_line: int) -> list[str]:
        """Keys of the block mapping whose keys sit at ``col``, found around ``start_line``."""
        keys: list[str] = []
        first = start_line
        # up to the container's first line
        while first > 0:
            info = self.info(first - 1)
            if not info.blank and (info.indent < col and not (info.dashes and info.content == col)):
                break
            first -= 1
            if info.dashes and info.content == col and info.indent < col:
                break
        i = first
        while i < len(self):
            info = self.info(i)
            if i > start_line and not info.blank and info.indent < col and i != first:
                break
            if not info.blank and info.key is not None and info.key_col == col:
                if i > first and info.dashes and info.indent < col:
                    break  # the next item of the sequence
                keys.append(info.key)
            i += 1
        return keys

    def item_keys(self, step: Step) -> dict[str, LineInfo]:
        """The keys (and their lines) of the block-mapping item that starts at ``step`` (a sequence item)."""
        out: dict[str, LineInfo] = {}
        first = self.info(step.line)
        col = first.dashes[-1] + 2 if first.dashes else first.content
        col = first.content if first.content > step.col else col
        i = step.line
        while i < len(self):
            info = self.info(i)
            if i > step.line and not info.blank and info.indent <= step.col:
                break
            if info.key is not None and info.key_col == col:
                out.setdefault(info.key, info)
            i += 1
        return out

    def item_end(self, step: Step) -> int:
        """The line after the last one of the sequence item that starts at ``step`` (trailing blanks excluded)."""
        last = step.line
        i = step.line + 1
        while i < len(self):
            info = self.info(i)
            if not info.blank:
                if info.indent <= step.col:
                    break
                last = i
            i += 1
        return last + 1

    def mapping_keys_under(self, step: Step) -> dict[str, LineInfo]:
        """The keys (and their lines) of the block mapping that is the value of the key at ``step``."""
        out: dict[str, LineInfo] = {}
        col: int | None = None
        i = step.line + 1
        while i < len(self):
            info = self.info(i)
            i += 1
            if info.blank:
                continue
            if info.indent < step.col or (info.indent == step.col and not info.dashes):
                break
            if col is None:
                col = info.content if info.key is not None else None
                if col is None:
                    break
            if info.key is not None and info.key_col == col:
                out.setdefault(info.key, info)
        return out


def place_at(text: str | Lines, pos: Pos) -> Place:
    """Read the structure around ``pos`` (see the module docstring)."""
    lines = text if isinstance(text, Lines) else Lines(text)
    if pos.line >= len(lines):
        return Place((), "key", line=pos.line)
    info = lines.info(pos.line)
    col = min(pos.col, len(info.text))
    head = info.text[:col]

    owner = lines.block_owner(pos.line)
    if owner is not None:
        steps = tuple(lines.parents(owner.no, owner.key_col)) + _item_steps(lines, owner)
        word_start = col
        while word_start > 0 and _is_word(info.text[word_start - 1]):
            word_start -= 1
        return Place(
            steps,
            "value",
            key=owner.key,
            word=info.text[word_start:col],
            prefix=info.text[word_start:col],
            line=pos.line,
            start=word_start,
            end=col,
            block=True,
        )

    if not head.strip():  # a new key (or item) at the cursor's column
        steps = tuple(lines.parents(pos.line, col))
        siblings = _siblings(lines, steps, col, pos.line)
        return Place(
            steps,
            "key",
            line=pos.line,
            start=col,
            end=_word_end(info.text, col),
            siblings=siblings,
            word=info.text[col : _word_end(info.text, col)],
        )

    if info.dashes and info.content >= col:  # on the dash itself, or just after it
        return _item_place(lines, info, col, "")
    if info.dashes and info.text[info.content] in "[{":  # `- {name: x, expr: "sq|`
        steps = tuple(lines.parents(pos.line, info.dashes[0])) + _item_steps(lines, info)
        return _flow_place(info, col, steps, info.content)

    key_ends_before_cursor = info.key is not None and (
        info.value_col <= col or info.text[info.key_col : col].rstrip().endswith(":")
    )
    if not key_ends_before_cursor:
        word_start = info.content
        end = _word_end(info.text, col)
        if (
            info.dashes
            and (info.key is None or info.key_col >= col)
            and not info.text[word_start:col].endswith(":")
        ):
            # `- Bas|`: a scalar item of a block sequence, or the first key of a new mapping item
            return _item_place(lines, info, col, info.text[word_start:col])
        steps = tuple(lines.parents(pos.line, info.content)) + _item_steps(lines, info)
        siblings = _siblings(lines, steps, info.content, pos.line)
        return Place(
            steps,
            "key",
            word=info.text[word_start:end],
            prefix=info.text[word_start:col],
            line=pos.line,
            start=word_start,
            end=end,
            siblings=tuple(s for s in siblings if s != info.key),
        )

    # the value of `key:` — a scalar, or a flow collection scanned by hand
    assert info.key is not None
    steps = tuple(lines.parents(pos.line, info.key_col)) + _item_steps(lines, info)
    key_step = Step(info.key, info.no, info.key_col)
    value_col = info.value_col
    if value_col < len(info.text) and info.text[value_col] in "[{":
        return _flow_place(info, col, (*steps, key_step), value_col)
    return _scalar_place(info, col, steps, info.key, value_col)


def _item_steps(lines: Lines, info: LineInfo) -> tuple[Step, ...]:
    """Steps for the sequence items opened by the dashes on ``info``'s own line."""
    out: list[Step] = []
    for i, dash in enumerate(info.dashes):
        index = lines._item_index(info.no, dash)[0] if i == 0 else 0
        out.append(Step(index, info.no, dash))
    return tuple(out)


def _item_place(lines: Lines, info: LineInfo, col: int, prefix: str) -> Place:
    steps = tuple(lines.parents(info.no, info.dashes[0])) + _item_steps(lines, info)[:-1]
    index = _item_steps(lines, info)[-1].part
    start = info.content if prefix else col
    end = _word_end(info.text, col)
    quote = None
    if start < len(info.text) and info.text[start] in "'\"":
        quote = info.text[start]
        start += 1
        prefix = prefix[1:]
    return Place(
        steps,
        "item",
        index=int(index),
        word=info.text[start:end],
        prefix=prefix,
        line=info.no,
        start=start,
        end=end,
        quote=quote,
        scalar_start=start,
        scalar_text=info.text[start:end],
    )


def _siblings(lines: Lines, steps: tuple[Step, ...], col: int, line: int) -> tuple[str, ...]:
    return tuple(lines.keys_of(steps, col, line))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_.-/"


def _word_end(text: str, col: int) -> int:
    end = col
    while end < len(text) and _is_word(text[end]):
        end += 1
    return end


def _scalar_place(info: LineInfo, col: int, steps: tuple[Step, ...], key: str, value_col: int) -> Place:
    text = info.text
    quote = text[value_col] if value_col < len(text) and text[value_col] in "'\"" else None
    start = value_col + (1 if quote else 0)
    if quote:
        close = _closing_quote(text, start, quote)
        stop = close if close is not None else len(text)
    else:
        stop = value_col + len(_strip_comment(text[value_col:]).rstrip())
    word_start = col
    while word_start > start and _is_word(text[word_start - 1]):
        word_start -= 1
    word_end = _word_end(text, col) if not quote else min(_word_end(text, col), stop)
    return Place(
        steps,
        "value",
        key=key,
        word=text[word_start:word_end],
        prefix=text[word_start:col],
        line=info.no,
        start=word_start,
        end=word_end,
        quote=quote,
        scalar_start=start,
        scalar_text=text[start : max(stop, start)],
    )


def _closing_quote(text: str, start: int, quote: str) -> int | None:
    i = start
    while i < len(text):
        ch = text[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


@dataclass
class _Frame:
    kind: Literal["seq", "map"]
    step: Step | None
    index: int = 0
    key: str | None = None
    after_colon: bool = False
    keys: list[str] = field(default_factory=list)


def _flow_place(info: LineInfo, col: int, steps: tuple[Step, ...], begin: int) -> Place:
    """Scan a flow collection from its opening bracket to the cursor: ``[A, Ba`` or ``{name: x, expr: "sq``."""
    text = info.text
    stack: list[_Frame] = []
    path: list[Step] = list(steps)
    token_start = begin
    i = begin
    quote: str | None = None
    quote_start = 0
    while i < col:
        ch = text[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"" and text[token_start:i].strip() == "":
            quote, quote_start = ch, i
        elif ch in "[{":
            if stack:
                top = stack[-1]
                part: PathPart = top.index if top.kind == "seq" else (top.key or "")
                path.append(Step(part, info.no, -1))
            stack.append(_Frame("seq" if ch == "[" else "map", None))
            token_start = i + 1
        elif ch in "]}":
            if stack:
                stack.pop()
                if stack and len(path) > len(steps):
                    path.pop()
            token_start = i + 1
        elif ch == ",":
            if stack:
                top = stack[-1]
                top.index += 1
                top.key, top.after_colon = None, False
            token_start = i + 1
        elif (
            ch == ":" and stack and stack[-1].kind == "map" and (i + 1 >= len(text) or text[i + 1] in " \t,}")
        ):
            stack[-1].key = _unquote_key(text[token_start:i].strip())
            stack[-1].keys.append(stack[-1].key)
            stack[-1].after_colon = True
            token_start = i + 1
        elif ch == "#" and i > 0 and text[i - 1] in " \t":
            break
        i += 1
    while token_start < col and text[token_start] in " \t":
        token_start += 1
    if quote:
        token_start = quote_start + 1
    elif token_start < len(text) and text[token_start] in "'\"" and token_start < col:
        quote = text[token_start]
        token_start += 1
    end = col
    if quote:
        close = _closing_quote(text, token_start, quote)
        stop = close if close is not None else len(text)
        word_end = min(_word_end(text, col), stop)
    else:
        while end < len(text) and text[end] not in ",]}#" and not (text[end] == ":" and stack):
            end += 1
        stop = end
        while stop > col and text[stop - 1] in " \t":
            stop -= 1
        word_end = _word_end(text, col)
    word_start = col
    while word_start > token_start and _is_word(text[word_start - 1]):
        word_start -= 1
    top = stack[-1] if stack else None
    common = dict(
        word=text[word_start:word_end],
        prefix=text[word_start:col],
        line=info.no,
        start=word_start,
        end=word_end,
        quote=quote,
        scalar_start=token_start,
        scalar_text=text[token_start : max(stop, token_start)],
    )
    if top is None:
        return Place(tuple(path[:-1]), "value", key=str(path[-1].part), **common)  # type: ignore[arg-type]
    if top.kind == "seq":
        return Place(tuple(path), "item", index=top.index, **common)  # type: ignore[arg-type]
    if top.after_colon:
        return Place(tuple(path), "value", key=top.key, **common)  # type: ignore[arg-type]
    return Place(tuple(path), "key", siblings=tuple(top.keys), **common)  # type: ignore[arg-type]
