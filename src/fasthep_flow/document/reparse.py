"""Re-using the previous parse when an edit stays inside one scalar on one line.

Typing in the editor mostly changes the inside of an expression string or a name: one line, one scalar,
nothing structural. For that case the new tree is the previous one with that scalar replaced and the few nodes
after it on the same line shifted; every other node is shared with the previous tree. Shared nodes keep the
line index of the text they were read from, and every position a node computes goes through its own index,
so a shared node still answers with the right line and column: the lines it sits on did not change.

Anything else — a second line touched, a key edited, a quote or backslash typed, anchors anywhere in the
file, a diagnostic in the previous parse — returns None and the caller parses from scratch. A test compares
this shortcut with a full parse on many edits of real workflows.
"""

from __future__ import annotations

import re

import yaml

from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, ScalarStyle, SeqNode
from fasthep_flow.document.spans import LineIndex, Pos, Span

_PLAIN_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*\Z")
"""A plain scalar stays one plain string scalar whatever its context (no indicator, no space, no colon)."""
_UNSAFE_IN_QUOTES = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ufeff\ufffe\uffff\ud800-\udfff]")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving (string comparisons run in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def reparse(
    old_text: str, old_root: Node | None, old_index: LineIndex, new_text: str, file: str
) -> tuple[Node, LineIndex] | None:
    """The new tree and line index, or None when the edit is not a simple in-scalar one."""
    if not isinstance(old_root, MapNode) or old_text == new_text:
        return None
    p = common_prefix(old_text, new_text)
    q = common_suffix(old_text, new_text, min(len(old_text), len(new_text)) - p)
    old_end, new_end = len(old_text) - q, len(new_text) - q
    if "\n" in old_text[p:old_end] or "\n" in new_text[p:new_end] or "\r" in new_text[p:new_end]:
        return None
    start = old_index.pos(p)
    line = start.line
    target = _scalar_at(old_root, start, old_index.pos(old_end))
    if target is None:
        return None
    node, path = target
    delta = (new_end - p) - (old_end - p)
    new_index = LineIndex(new_text)
    replacement = _replaced(node, p, old_end, new_text, delta, file, old_index, new_index)
    if replacement is None:
        return None
    edit_col = old_index.pos(old_end).col
    shifter = _Shifter(line, edit_col, delta, new_index, old_index, file, node, replacement)
    new_root = shifter.rebuild(old_root, path, 0)
    return new_root, new_index


def _scalar_at(root: MapNode, start: Pos, end: Pos) -> tuple[ScalarNode, list[Node]] | None:
    """The value scalar whose span holds [start, end] (both on one line), with its ancestors; keys refuse."""
    path: list[Node] = []
    node: Node = root
    while True:
        path.append(node)
        child: Node | None = None
        if isinstance(node, MapNode):
            for entry in node.entries:
                if _holds(entry.key.span, start, end):
                    return None  # editing a key: duplicate keys and structure may change
                if _holds(entry.value.span, start, end):
                    child = entry.value
                    break
        elif isinstance(node, SeqNode):
            for item in node.items:
                if _holds(item.span, start, end):
                    child = item
                    break
        if child is None:
            return None
        if isinstance(child, ScalarNode):
            return child, path
        node = child


def _holds(span: Span, start: Pos, end: Pos) -> bool:
    return span.start <= start and end <= span.end


def _replaced(
    node: ScalarNode,
    p: int,
    old_end: int,
    new_text: str,
    delta: int,
    file: str,
    old_index: LineIndex,
    new_index: LineIndex,
) -> ScalarNode | None:
    span = node.span
    if span.start.line != span.end.line or not isinstance(node.value, str):
        return None
    first = old_index.offset(span.start)
    last = old_index.offset(span.end)  # one past the scalar (after a closing quote)
    if node.style is ScalarStyle.PLAIN:
        if not (first <= p and old_end <= last):
            return None
        raw = new_text[first : last + delta]
        if not _PLAIN_SAFE.match(raw) or _RESOLVER.resolve(yaml.ScalarNode, raw, (True, False)) != _STR_TAG:
            return None
        offsets = range(first, first + len(raw) + 1)
    elif node.style in (ScalarStyle.DOUBLE, ScalarStyle.SINGLE):
        if not (first + 1 <= p and old_end <= last - 1):
            return None  # the quotes themselves were edited
        raw = new_text[first + 1 : last - 1 + delta]
        quote = '"' if node.style is ScalarStyle.DOUBLE else "'"
        if quote in raw or (quote == '"' and "\\" in raw) or _UNSAFE_IN_QUOTES.search(raw):
            return None
        offsets = range(first + 1, first + 1 + len(raw) + 1)
    else:
        return None
    end = Pos(span.end.line, span.end.col + delta)
    return ScalarNode(Span(file, span.start, end), new_index, raw, raw, node.style, offsets)


class _Shifter:
    """Copies the nodes that change — the path to the edited scalar, and what follows it on its line."""

    def __init__(
        self,
        line: int,
        col: int,
        delta: int,
        new_index: LineIndex,
        old_index: LineIndex,
        file: str,
        old: ScalarNode,
        new: ScalarNode,
    ) -> None:
        self.line, self.col, self.delta = line, col, delta
        self.new_index, self.old_index, self.file = new_index, old_index, file
        self.old, self.new = old, new

    def _pos(self, pos: Pos) -> Pos:
        return Pos(pos.line, pos.col + self.delta) if pos.line == self.line and pos.col >= self.col else pos

    def _span(self, span: Span) -> Span:
        return Span(span.file, self._pos(span.start), self._pos(span.end))

    def _touched(self, node: Node) -> bool:
        """Its span starts or ends after the edit on the edited line (so its columns move)."""
        s, e = node.span.start, node.span.end
        return (s.line == self.line and s.col >= self.col) or (e.line == self.line and e.col >= self.col)

    def rebuild(self, node: Node, path: list[Node], depth: int) -> Node:
        if node is self.old:
            return self.new
        on_path = depth < len(path) and path[depth] is node
        if not on_path and not self._touched(node) and not self._holds_line(node):
            return node
        if isinstance(node, ScalarNode):
            return self._shifted_scalar(node) if self._touched(node) else node
        if isinstance(node, MapNode):
            entries = [
                Entry(self.rebuild(e.key, path, depth + 1), self.rebuild(e.value, path, depth + 1))  # type: ignore[arg-type]
                for e in node.entries
            ]
            if (
                not on_path
                and not self._touched(node)
                and all(
                    a.key is b.key and a.value is b.value for a, b in zip(entries, node.entries, strict=True)
                )
            ):
                return node
            return MapNode(self._span(node.span), node.index, entries)
        if isinstance(node, SeqNode):
            items = [self.rebuild(i, path, depth + 1) for i in node.items]
            if (
                not on_path
                and not self._touched(node)
                and all(a is b for a, b in zip(items, node.items, strict=True))
            ):
                return node
            return SeqNode(self._span(node.span), node.index, items)
        return node

    def _holds_line(self, node: Node) -> bool:
        return node.span.start.line <= self.line <= node.span.end.line

    def _shifted_scalar(self, node: ScalarNode) -> ScalarNode:
        """A scalar after the edit on the same line: same text, columns and offsets moved by the edit."""
        offsets = node.offsets
        span = self._span(node.span)
        # offsets count in the text of the node's own index, which is older than the previous version when
        # the node has been shared since an earlier edit: re-base them on where the node now starts
        delta = self.new_index.offset(span.start) - node.index.offset(node.span.start)
        moved = (
            range(offsets.start + delta, offsets.stop + delta)
            if isinstance(offsets, range)
            else tuple(o + delta for o in offsets)
        )
        return ScalarNode(span, self.new_index, node.value, node.text, node.style, moved)
