"""The workflow as a tree of nodes that remember where they came from.

Built from the YAML composer's marks by ``document/loader.py``. Mappings keep every entry in order, duplicates
included (the loader reports them), so that tools can point at the second ``id:`` as easily as the first.
Nodes merged in by ``include:`` keep their own file's spans and line index.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum

from fasthep_flow.document.spans import LineIndex, Pos, Span


class ScalarStyle(Enum):
    PLAIN = "plain"
    SINGLE = "'"
    DOUBLE = '"'
    LITERAL = "|"
    FOLDED = ">"


@dataclass(eq=False, slots=True)
class Node:
    span: Span
    index: LineIndex = field(repr=False)
    """Line index of the text this node was read from (the including or the included file)."""


@dataclass(eq=False, slots=True)
class ScalarNode(Node):
    value: object = None
    """The resolved value: str, int, float, bool or None (YAML 1.1 rules as PyYAML's SafeLoader)."""
    text: str = ""
    """The decoded string of the scalar (``value`` for strings; the written form for numbers)."""
    style: ScalarStyle = ScalarStyle.PLAIN
    offsets: Sequence[int] = field(default=(), repr=False)
    """For each character of ``text`` the offset in the file's text it was decoded from, plus one end offset
    (a ``range`` when the text is the source's characters one to one, which most scalars are)."""

    def offset_of(self, i: int) -> int:
        """Document offset of character ``i`` of ``text`` (``len(text)`` gives the end of the last one)."""
        if not self.offsets:
            return self.index.offset(self.span.start)
        i = max(0, min(i, len(self.offsets) - 1))
        return self.offsets[i]

    def pos_of(self, i: int) -> Pos:
        return self.index.pos(self.offset_of(i))

    def span_of(self, start: int, end: int) -> Span:
        """The document span of ``text[start:end]`` — how an error inside an expression string gets its column."""
        if end <= start:
            p = self.pos_of(start)
            return Span(self.span.file, p, p)
        last = self.offset_of(end - 1)
        # the end of a character decoded from an escape (``\t``) is the start of the next one
        stop = self.offset_of(end) if end < len(self.offsets) else last + 1
        return Span(self.span.file, self.pos_of(start), self.index.pos(max(stop, last + 1)))

    def text_offset_at(self, pos: Pos) -> int | None:
        """Index into ``text`` of the character at (or just after, for a cursor) document ``pos``; None outside."""
        if not self.offsets:
            return None
        target = self.index.offset(pos)
        if target < self.offsets[0] or target > self.offsets[-1]:
            return None
        return bisect.bisect_left(self.offsets, target)

    @property
    def is_string(self) -> bool:
        return isinstance(self.value, str)


@dataclass(eq=False, slots=True)
class Entry:
    key: ScalarNode
    value: Node

    @property
    def name(self) -> str:
        return self.key.text


@dataclass(eq=False, slots=True)
class MapNode(Node):
    entries: list[Entry] = field(default_factory=list)

    def entry(self, key: str) -> Entry | None:
        """The first entry with this key (a duplicate key is reported; the first definition wins)."""
        for e in self.entries:
            if e.key.text == key:
                return e
        return None

    def get(self, key: str) -> Node | None:
        e = self.entry(key)
        return e.value if e else None

    def keys(self) -> list[str]:
        return [e.key.text for e in self.entries]

    def items(self) -> Iterator[tuple[str, Node]]:
        for e in self.entries:
            yield e.key.text, e.value

    def __contains__(self, key: str) -> bool:
        return self.entry(key) is not None


@dataclass(eq=False, slots=True)
class SeqNode(Node):
    items: list[Node] = field(default_factory=list)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


PathPart = str | int


def to_python(node: Node | None) -> object:
    """Plain Python data for a node (first entry wins on duplicate keys, as ``MapNode.get``)."""
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SeqNode):
        return [to_python(n) for n in node.items]
    if isinstance(node, MapNode):
        out: dict[str, object] = {}
        for e in node.entries:
            out.setdefault(e.key.text, to_python(e.value))
        return out
    raise TypeError(f"bug: unknown node type {type(node).__name__}")


def node_at(root: Node, path: tuple[PathPart, ...] | list[PathPart]) -> Node:
    """The deepest node that exists along ``path`` (a jsonschema error path): errors land on real nodes."""
    node = root
    for part in path:
        if isinstance(node, MapNode) and isinstance(part, str) and (child := node.get(part)) is not None:
            node = child
        elif isinstance(node, SeqNode) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        else:
            break
    return node


def walk(node: Node) -> Iterator[Node]:
    """Every node below and including ``node``, depth first, keys before their values."""
    yield node
    if isinstance(node, MapNode):
        for e in node.entries:
            yield e.key
            yield from walk(e.value)
    elif isinstance(node, SeqNode):
        for item in node.items:
            yield from walk(item)
