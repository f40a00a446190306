"""Re-parsing only the stages an edit touches.

Most edits that are not inside one scalar (``reparse.py``) still stay inside ``analysis.stages``: a key renamed,
a line added to a stage, a stage pasted in. For those the new tree is the previous one with the touched
stage items parsed again and the rest kept: the items before them are shared as they are, the items and
entries after them are shared too when the edit did not move them, and copied with their lines and offsets
shifted when it did. Shared nodes are what lets the compiler re-use its per-stage work (``document/node_memo.py``).

The touched items are parsed from a text of the same length as the new one in which everything outside them
is blanked (so lines, columns and offsets come out as in a full parse) except the lines holding the keys
``analysis:`` and ``stages:`` — the items are parsed where they belong — and one line standing for what
follows them (the next item's dash, or the next key), so every collection ends where a full parse ends it.

Anything unusual returns None and the caller parses the whole text: the previous parse had diagnostics or
anchors (checked by the caller), a flow-style ``stages`` list, an edit outside the items, a part that does not
parse on its own or parses to something other than stage mappings. A test compares the result with a full
parse over many edits of real workflows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.reparse import common_prefix, common_suffix
from fasthep_flow.document.spans import LineIndex, Pos, Span

if TYPE_CHECKING:
    from fasthep_flow.document.loader import Loaded

_KEY_LINE = r"[ ]*{}[ ]*:[ ]*(#.*)?"


def splice_stages(
    old_text: str,
    old_root: Node | None,
    old_index: LineIndex,
    new_text: str,
    file: str,
    parse: Callable[[str, LineIndex], Loaded],
) -> tuple[Node, LineIndex] | None:
    """The new tree and line index, or None when the edit is not confined to stage items.

    ``parse(text, index)`` parses a text with the given line index (the loader's parser, without re-use)."""
    if not isinstance(old_root, MapNode) or old_text == new_text:
        return None
    analysis_entry = old_root.entry("analysis")
    analysis = analysis_entry.value if analysis_entry is not None else None
    stages_entry = analysis.entry("stages") if isinstance(analysis, MapNode) else None
    seq = stages_entry.value if stages_entry is not None else None
    if analysis_entry is None or stages_entry is None or not isinstance(seq, SeqNode) or not seq.items:
        return None
    if not isinstance(analysis, MapNode) or not all(isinstance(i, MapNode) for i in seq.items):
        return None
    old_lines = old_text.split("\n")
    dash = seq.span.start.col
    dash_lines = []
    for item in seq.items:
        line = item.span.start.line
        if item.span.start.col != dash + 2 or not old_lines[line].startswith(" " * dash + "- "):
            return None  # `-` alone on its line, or a flow list: parsed whole
        dash_lines.append(line)
    for entry, name in ((analysis_entry, "analysis"), (stages_entry, "stages")):
        if not re.fullmatch(_KEY_LINE.format(name), old_lines[entry.key.span.start.line]):
            return None
    if analysis_entry.key.span.start.col != 0:
        return None

    p = common_prefix(old_text, new_text)
    q = common_suffix(old_text, new_text, min(len(old_text), len(new_text)) - p)
    old_end = len(old_text) - q
    first_line = old_index.pos(p).line
    last_line = old_index.pos(old_end).line
    k = max((n for n, line in enumerate(dash_lines) if line <= first_line), default=None)
    if k is None:
        return None  # the edit starts before the first item
    j = next((n for n, line in enumerate(dash_lines) if line > last_line), None)

    # what follows the touched items: item j, or the entry after `stages`, or the entry after `analysis`
    follower: tuple[int, int, str] | None  # (line, column, the line standing for it)
    if j is not None:
        follower = (dash_lines[j], dash, " " * dash + "- x")
    else:
        after = _entry_after(analysis, stages_entry) or _entry_after(old_root, analysis_entry)
        if after is not None:
            col = after.key.span.start.col
            follower = (after.key.span.start.line, col, " " * col + "x_:")
        else:
            follower = None
    region_start = old_index.offset(Pos(dash_lines[k], 0))
    region_end_old = old_index.offset(Pos(follower[0], 0)) if follower is not None else len(old_text)
    if old_end > region_end_old or p < region_start:
        return None
    delta = len(new_text) - len(old_text)
    region_end = region_end_old + delta
    if region_end < region_start:
        return None
    line_delta = new_text.count("\n", region_start, region_end) - old_text.count(
        "\n", region_start, region_end_old
    )

    # the text to parse: blanks, the two key lines, the touched items, the stand-in for what follows
    keep = {analysis_entry.key.span.start.line, stages_entry.key.span.start.line}
    head = new_text[:region_start].split("\n")
    blanked = "\n".join(line if n in keep else " " * len(line) for n, line in enumerate(head))
    tail = follower[2] + "\n" if follower is not None else ""
    new_index = LineIndex(new_text)
    loaded = parse(blanked + new_text[region_start:region_end] + tail, new_index)
    if loaded.diagnostics or loaded.anchors or not isinstance(loaded.root, MapNode):
        return None
    stand_in_at = None if follower is None or j is not None else follower[1]
    root_keys = ["analysis"] + (["x_"] if stand_in_at == 0 else [])
    if loaded.root.keys() != root_keys:
        return None  # a line of the items went out of them (a new top-level key, say)
    part_analysis = loaded.root.get("analysis")
    if not isinstance(part_analysis, MapNode):
        return None
    if part_analysis.keys() != ["stages"] + (["x_"] if stand_in_at else []):
        return None
    part = part_analysis.get("stages")
    if not isinstance(part, SeqNode) or part.span.start.col != dash:
        return None
    items = list(part.items)
    if j is not None:
        last = items.pop() if items else None
        if not isinstance(last, ScalarNode) or last.text != "x":
            return None  # the stand-in for item j was swallowed by the items before it
    if not items or not all(isinstance(i, MapNode) for i in items):
        return None

    move = _Mover(region_end_old, line_delta, delta, new_index) if (line_delta or delta) else None

    def moved(node: Node) -> Node:
        return move.node(node) if move is not None else node

    new_items: list[Node] = [*seq.items[:k], *items, *(moved(i) for i in seq.items[j:] if j is not None)]
    # a block collection ends where its last item ends (``loader._Composer``)
    start = part.span.start if k == 0 else seq.span.start  # lines may have been added before the first
    new_seq = SeqNode(Span(file, start, new_items[-1].span.end), new_index, new_items)
    entries = _replaced(analysis.entries, stages_entry, new_seq, moved)
    new_analysis = MapNode(Span(file, analysis.span.start, entries[-1].value.span.end), new_index, entries)
    entries = _replaced(old_root.entries, analysis_entry, new_analysis, moved)
    new_root = MapNode(Span(file, old_root.span.start, entries[-1].value.span.end), new_index, entries)
    return new_root, new_index


def _entry_after(node: MapNode, entry: Entry) -> Entry | None:
    at = next(n for n, e in enumerate(node.entries) if e is entry)
    return node.entries[at + 1] if at + 1 < len(node.entries) else None


def _replaced(entries: list[Entry], old: Entry, value: Node, moved: Callable[[Node], Node]) -> list[Entry]:
    out = []
    seen = False
    for e in entries:
        if e is old:
            out.append(Entry(e.key, value))
            seen = True
        elif seen:
            out.append(Entry(moved(e.key), moved(e.value)))  # type: ignore[arg-type]
        else:
            out.append(e)
    return out


class _Mover:
    """Copies of the nodes after the edit, ``lines`` lines and ``chars`` characters further on."""

    def __init__(self, from_offset: int, lines: int, chars: int, index: LineIndex) -> None:
        self.from_offset, self.lines, self.chars, self.index = from_offset, lines, chars, index

    def pos(self, pos: Pos) -> Pos:
        return Pos(pos.line + self.lines, pos.col)

    def span(self, span: Span) -> Span:
        return Span(span.file, self.pos(span.start), self.pos(span.end))

    def node(self, node: Node) -> Node:
        if isinstance(node, ScalarNode):
            offsets = node.offsets
            span = self.span(node.span)
            # offsets count in the text of the node's own index, which may be older than the previous
            # version (a node shared since an earlier edit): re-base them on where the node now starts
            chars = self.index.offset(span.start) - node.index.offset(node.span.start)
            moved = (
                range(offsets.start + chars, offsets.stop + chars)
                if isinstance(offsets, range)
                else tuple(o + chars for o in offsets)
            )
            return ScalarNode(span, self.index, node.value, node.text, node.style, moved)
        if isinstance(node, MapNode):
            entries = [Entry(self.node(e.key), self.node(e.value)) for e in node.entries]  # type: ignore[arg-type]
            return MapNode(self.span(node.span), self.index, entries)
        if isinstance(node, SeqNode):
            return SeqNode(self.span(node.span), self.index, [self.node(i) for i in node.items])
        return node
