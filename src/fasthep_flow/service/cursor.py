"""Which node of the document tree is at the cursor, even while the line being typed does not parse.

Every editor feature asks this module where the cursor is; none reads YAML on its own. The text is read by
the document loader (``document/loader.py``, the one YAML reader) into the spanned tree the compiler uses.
When the cursor sits on a word of that tree, the word's node is the answer and nothing is parsed again.

Otherwise the user is typing: the text often does not parse (``needs: [A, Ba``, ``expr: "sqrt(Mu``, a key
without its colon), and an empty line or the space after ``key:`` holds no node at all. So, as GitHub's
actions language service does, the cursor's line is patched and the text parsed again by the same loader:
a placeholder word is put at the cursor (so the cursor always lands in a scalar node); if that does not
parse, a ``:`` is added (a key being typed), or the line's open quotes and brackets are closed; lines the
parser still stops at elsewhere in the file are blanked. The scalar holding the placeholder says what the
cursor is on. The placeholder is then taken out of that scalar and the columns after it on its line are moved
back, so every node of the answer speaks in the document's own coordinates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, ScalarStyle, SeqNode
from fasthep_flow.document.spans import LineIndex, Pos, Span

if TYPE_CHECKING:
    from fasthep_flow.document.loader import Loaded

PathPart = str | int
Role = Literal["key", "value", "item", "none"]

PLACEHOLDER = "FFcursor0"
"""Put at the cursor before parsing a patched line: a plain word that stays a string wherever it lands."""
_ROUNDS = 3
"""How many broken lines ``tolerant_root`` closes or blanks, one at a time, before giving up on a tree."""
_PARSES = 12
"""Parses one cursor may cost at most (patches of its line, and other broken lines blanked one at a time)."""


@dataclass(frozen=True, slots=True)
class Place:
    """The cursor in the document tree.

    ``path`` leads to the *container* the cursor is in: the mapping whose key is typed, the mapping holding
    the value's key, or the sequence whose item is typed; ``nodes[i]`` is the node at ``path[:i]`` (so
    ``nodes[-1]`` is the container). ``word`` is the token at the cursor: its text, the part before the
    cursor, and its start/end columns on the cursor line (quotes excluded).
    """

    path: tuple[PathPart, ...]
    role: Role
    nodes: tuple[Node, ...] = ()
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
    """The scalar's decoded text."""
    block: bool = False
    """Inside a block scalar (``|``/``>``)."""
    siblings: tuple[str, ...] = field(default=())
    """Keys already present in the container mapping (to leave them out of completions)."""
    scalar: ScalarNode | None = None
    """The scalar at the cursor (its text without the placeholder), in document coordinates."""

    @property
    def start_pos(self) -> Pos:
        return Pos(self.line, self.start)

    @property
    def end_pos(self) -> Pos:
        return Pos(self.line, self.end)

    @property
    def container(self) -> Node | None:
        return self.nodes[-1] if self.nodes else None

    def node_at(self, depth: int) -> Node | None:
        """The node at ``path[:depth]`` (the root for 0)."""
        return self.nodes[depth] if 0 <= depth < len(self.nodes) else None


# --- finding the scalar at a position ------------------------------------------------------------------------

_Hit = tuple[tuple[int, ...], ScalarNode]
"""Child indices from the root (entry index, with the key as ``-1 - i``; item index) and the scalar."""


def _hits(node: Node, pos: Pos, want: str | None, trail: tuple[int, ...]) -> Iterator[_Hit]:
    """Scalars whose span holds ``pos`` (holding ``want`` in their text when given), shallow to deep."""
    if isinstance(node, MapNode):
        for i, e in enumerate(node.entries):
            if _holds_line(e.key, pos) and _is_hit(e.key, pos, want):
                yield (*trail, -1 - i), e.key
            if _holds_line(e.value, pos):
                yield from _hits(e.value, pos, want, (*trail, i))
    elif isinstance(node, SeqNode):
        for i, item in enumerate(node.items):
            if _holds_line(item, pos):
                yield from _hits(item, pos, want, (*trail, i))
    elif isinstance(node, ScalarNode) and _is_hit(node, pos, want):
        yield trail, node


def _holds_line(node: Node, pos: Pos) -> bool:
    return node.span.start.line <= pos.line <= node.span.end.line


def _is_hit(node: ScalarNode, pos: Pos, want: str | None) -> bool:
    if not node.span.contains(pos):
        return False
    if want is not None:
        return want in node.text
    # inside the text itself: not before an opening quote or after a closing one, not on a `key: |` line
    return bool(node.text) and node.text_offset_at(pos) is not None


# --- patching the cursor's line ------------------------------------------------------------------------------


def _closers(text: str) -> str:
    """What closes the quotes and flow brackets left open on one line (``[A, "b`` -> ``"]``)."""
    stack: list[str] = []
    quote: str | None = None
    prev = " "
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote = None
        elif ch in "'\"" and prev in " \t[{,:-":
            quote = ch
        elif ch in "[{":
            stack.append("]" if ch == "[" else "}")
        elif ch in "]}" and stack:
            stack.pop()
        elif ch == "#" and prev in " \t":
            break
        prev = " " if ch in " \t" else ch
        i += 1
    return (quote or "") + "".join(reversed(stack))


def _line_patches(line: str, col: int) -> Iterator[tuple[str, int, str]]:
    """(patched line, column of the insertion, inserted text) for a cursor at ``col``, in the order tried."""
    head, tail = line[:col], line[col:]
    ins = " " + PLACEHOLDER if head.endswith(":") else PLACEHOLDER  # `op:|` -> `op: …`
    typed = head + ins + tail
    if line.strip():
        yield typed, col, ins
    yield typed.rstrip() + ":", col, ins  # a key being typed: `ana|` -> `ana…:`; on an empty line, a new key
    closed = _closers(typed)
    if closed:
        yield typed.rstrip() + closed, col, ins
    cut = head + ins
    yield cut + _closers(cut), col, ins


@dataclass(frozen=True, slots=True)
class _Patch:
    line: int
    col: int
    """Where the inserted text starts."""
    width: int
    """Characters inserted at ``col``: every column after them on ``line`` moves back by this much."""

    @property
    def marker(self) -> Pos:
        """A position inside the placeholder."""
        return Pos(self.line, self.col + self.width - 1)


def _culprits(loaded: Loaded) -> set[int]:
    """The lines to blame for the loader's syntax errors: where an unclosed flow collection or quoted string
    starts (the parser only notices later), else the line it stopped at."""
    from fasthep_flow.document import codes

    out: set[int] = set()
    for d in loaded.diagnostics:
        if d.code != codes.YAML_SYNTAX:
            continue
        opened = [r.span.start.line for r in d.related if "flow" in r.message or "quoted" in r.message]
        out.add(opened[0] if opened else d.span.start.line)
    return out


def _repaired(line: str) -> str:
    """A broken line made harmless: its open quotes and brackets closed, or else blanked."""
    closers = _closers(line)
    return line.rstrip() + closers if closers else " " * len(line)


def _patched_parse(
    lines: list[str], pos: Pos, file: str, previous: tuple[str, Loaded] | None, first: int = 0
) -> tuple[Loaded, _Patch] | None:
    """Parse ``lines`` with the cursor's line patched (see the module docstring); None if nothing parses.

    ``first``: the index in the document of ``lines[0]`` (a window of it); the text parsed starts with as many
    empty lines, so the nodes have the document's lines and columns."""
    from fasthep_flow.document.loader import parse_yaml

    lines = list(lines)
    here = pos.line - first
    own = lines[here]
    cr = "\r" if own.endswith("\r") else ""
    body = own[: len(own) - len(cr)]
    col = min(pos.col, len(body))
    lead = "\n" * first
    repaired: set[int] = set()
    budget = _PARSES
    # first the next line's errors count as the cursor line's own (`ana|` is reported there); then not, as
    # when a line typed inside a list makes the list's next item misplaced
    for own_lines in ({pos.line, pos.line + 1}, {pos.line}):
        for patched, at, ins in _line_patches(body, col):
            lines[here] = patched + cr
            while budget > 0:
                budget -= 1
                loaded = parse_yaml(lead + "\n".join(lines), file, previous=None if repaired else previous)
                if loaded.root is not None:
                    return loaded, _Patch(pos.line, at, len(ins))
                foreign = {
                    n for n in _culprits(loaded) - own_lines - repaired if first <= n < first + len(lines)
                }
                if not foreign:
                    break  # this patch's own fault: try the next one (lines repaired so far stay so)
                worst = min(foreign)
                repaired.add(worst)
                lines[worst - first] = _repaired(lines[worst - first])
    return None


@dataclass(frozen=True, slots=True)
class _Window:
    """The lines of the one stage the cursor is in, and where that stage sits in a recent tree of the file.

    In a long workflow, parsing one stage instead of the whole file keeps completion instant while the user
    types (a full parse of a 300-stage file is tens of milliseconds, and a patch may take a few)."""

    first: int
    last: int
    trail: tuple[int, int, int]
    """Entry index of ``analysis``, of ``stages``, item index of the stage."""
    root: MapNode

    def graft(self, item: Node) -> MapNode:
        """The recent tree with the stage replaced by ``item`` (the other stages are shared, unchanged)."""
        a, s, i = self.trail
        analysis = self.root.entries[a].value
        assert isinstance(analysis, MapNode)
        stages = analysis.entries[s].value
        assert isinstance(stages, SeqNode)
        new_stages = SeqNode(stages.span, stages.index, [*stages.items[:i], item, *stages.items[i + 1 :]])
        new_analysis = MapNode(analysis.span, analysis.index, _replaced(analysis.entries, s, new_stages))
        return MapNode(self.root.span, self.root.index, _replaced(self.root.entries, a, new_analysis))


def _replaced(entries: list[Entry], i: int, value: Node) -> list[Entry]:
    return [*entries[:i], Entry(entries[i].key, value), *entries[i + 1 :]]


_WINDOW_MIN_STAGES = 20
"""Below this many stages the whole file is parsed again (it is cheap, and exact)."""


def _window(text: str, real: LineIndex, pos: Pos, reference: tuple[str, Loaded] | None) -> _Window | None:
    """The stage around ``pos``, found in ``reference`` (this text's parse, or the last one before this edit).

    A stage is taken only when the text before it and the text from the next stage on are the same as in the
    reference: then the edit is inside it, and the rest of the reference tree still describes this text."""
    if reference is None or not isinstance(reference[1].root, MapNode):
        return None
    ref_text, ref = reference
    root = ref.root
    assert isinstance(root, MapNode)
    a = next((k for k, e in enumerate(root.entries) if e.key.text == "analysis"), None)
    analysis = root.entries[a].value if a is not None else None
    if a is None or not isinstance(analysis, MapNode):
        return None
    s = next((k for k, e in enumerate(analysis.entries) if e.key.text == "stages"), None)
    stages = analysis.entries[s].value if s is not None else None
    if s is None or not isinstance(stages, SeqNode) or len(stages.items) < _WINDOW_MIN_STAGES:
        return None
    delta = real.line_count - ref.index.line_count
    for i in range(len(stages.items) - 1):
        first = stages.items[i].span.start.line
        after = stages.items[i + 1].span.start.line  # the next stage's first line, in the reference
        if first > pos.line:
            break
        if not first <= pos.line < after + delta or after + delta >= real.line_count:
            continue
        start, ref_start = real.offset(Pos(first, 0)), ref.index.offset(Pos(first, 0))
        stop, ref_stop = real.offset(Pos(after + delta, 0)), ref.index.offset(Pos(after, 0))
        if text[:start] == ref_text[:ref_start] and text[stop:] == ref_text[ref_stop:]:
            return _Window(first, after + delta - 1, (a, s, i), root)
    return None


class _Restore:
    """Copies of the nodes on the patched line with the placeholder taken out and later columns moved back."""

    def __init__(self, patch: _Patch, real: LineIndex) -> None:
        self.line, self.col, self.width = patch.line, patch.col, patch.width
        self.real = real

    def pos(self, p: Pos) -> Pos:
        if p.line != self.line or p.col < self.col:
            return p
        return Pos(p.line, max(self.col, p.col - self.width))

    def _inserted(self, p: Pos) -> bool:
        return p.line == self.line and self.col <= p.col < self.col + self.width

    def node(self, node: Node) -> Node:
        s, e = node.span.start, node.span.end
        if not s.line <= self.line <= e.line:
            return node
        span = Span(node.span.file, self.pos(s), self.pos(e))
        if isinstance(node, ScalarNode):
            return self._scalar(node, span)
        if isinstance(node, MapNode):
            entries = [Entry(self.node(x.key), self.node(x.value)) for x in node.entries]  # type: ignore[arg-type]
            return MapNode(span, self.real, entries)
        if isinstance(node, SeqNode):
            return SeqNode(span, self.real, [self.node(x) for x in node.items])
        return node

    def _scalar(self, node: ScalarNode, span: Span) -> ScalarNode:
        if not node.offsets:
            return ScalarNode(span, self.real, node.value, node.text, node.style, ())
        chars: list[str] = []
        offsets: list[int] = []
        for i, ch in enumerate(node.text):
            p = node.index.pos(node.offsets[i])
            if self._inserted(p):
                continue
            chars.append(ch)
            offsets.append(self.real.offset(self.pos(p)))
        end = node.index.pos(node.offsets[len(node.text)]) if len(node.offsets) > len(node.text) else span.end
        offsets.append(self.real.offset(self.pos(end)))
        text = "".join(chars)
        value = node.value
        if PLACEHOLDER in node.text:
            value = text if text or node.style is not ScalarStyle.PLAIN else None
        return ScalarNode(span, self.real, value, text, node.style, offsets)


# --- the answer ----------------------------------------------------------------------------------------------


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_.-/"


def place_at(
    text: str,
    pos: Pos,
    file: str = "",
    parsed: Loaded | None = None,
    reference: tuple[str, Loaded] | None = None,
) -> Place:
    """Where ``pos`` is in the tree of ``text``.

    ``parsed``: the parse of ``text``, when one is at hand; ``reference``: a recent parse of this file (this
    text's, or the last one that parsed) to re-parse only the stage being typed in.
    """
    real = parsed.index if parsed is not None else LineIndex(text)
    if pos.line >= real.line_count:
        return Place((), "key", line=pos.line)
    if parsed is not None and parsed.root is not None:
        hit = next(_hits(parsed.root, pos, None, ()), None)
        if hit is not None:
            return _place(parsed.root, hit[0], pos, real)
        reference = (text, parsed)
    in_window = place_in_stage(text, pos, file, reference, real)
    if in_window is not None:
        return in_window
    lines = text.split("\n")
    previous = (text, parsed) if parsed is not None and parsed.root is not None else None
    found = _patched_parse(lines, pos, file, previous)
    if found is None:
        return Place((), "none", line=pos.line, start=pos.col, end=pos.col)
    loaded, patch = found
    assert loaded.root is not None
    hit = next(_hits(loaded.root, patch.marker, PLACEHOLDER, ()), None)
    if hit is None:  # the placeholder landed in a comment
        return Place((), "none", line=pos.line, start=pos.col, end=pos.col)
    return _place(_Restore(patch, real).node(loaded.root), hit[0], pos, real)


def place_in_stage(
    text: str, pos: Pos, file: str, reference: tuple[str, Loaded] | None, real: LineIndex | None = None
) -> Place | None:
    """The place of ``pos`` found by parsing only the stage it is in (see ``_Window``), or None when the
    reference does not tell which stage that is or the stage alone does not parse."""
    real = real if real is not None else LineIndex(text)
    window = _window(text, real, pos, reference)
    if window is None:
        return None
    lines = text.split("\n", window.last + 1)[window.first : window.last + 1]
    found = _patched_parse(lines, pos, file, None, window.first)
    wroot = found[0].root if found is not None else None
    if found is None or not isinstance(wroot, SeqNode) or len(wroot.items) != 1:
        return None
    hit = next(_hits(wroot, found[1].marker, PLACEHOLDER, ()), None)
    if hit is None:
        return None
    restored = _Restore(found[1], real).node(wroot)
    assert isinstance(restored, SeqNode)
    return _place(window.graft(restored.items[0]), window.trail + hit[0][1:], pos, real)


def _place(root: Node, trail: tuple[int, ...], pos: Pos, real: LineIndex) -> Place:
    """The place of the scalar that ``trail`` leads to from ``root`` (a tree in document coordinates)."""
    nodes: list[Node] = [root]
    path: list[PathPart] = []
    node = root
    role: Role = "none"
    key: str | None = None
    index: int | None = None
    siblings: tuple[str, ...] = ()
    scalar: ScalarNode | None = None
    for depth, step in enumerate(trail):
        last = depth == len(trail) - 1
        if isinstance(node, MapNode):
            if step < 0:  # the key itself
                own = node.entries[-1 - step]
                scalar, role = own.key, "key"
                siblings = tuple(e.key.text for e in node.entries if e is not own)
                break
            entry = node.entries[step]
            if last:
                scalar, role, key = entry.value, "value", entry.key.text  # type: ignore[assignment]
                break
            path.append(entry.key.text)
            node = entry.value
        elif isinstance(node, SeqNode):
            if last:
                scalar, role, index = node.items[step], "item", step  # type: ignore[assignment]
                break
            path.append(step)
            node = node.items[step]
        nodes.append(node)
    if not isinstance(scalar, ScalarNode):
        return Place(tuple(path), "none", tuple(nodes), line=pos.line, start=pos.col, end=pos.col)
    line_text = real.line_text(pos.line)
    col = min(pos.col, len(line_text))
    first = scalar.pos_of(0) if scalar.offsets else scalar.span.start
    start_col = first.col if first.line == pos.line else 0
    quote = scalar.style.value if scalar.style in (ScalarStyle.SINGLE, ScalarStyle.DOUBLE) else None
    block = scalar.style in (ScalarStyle.LITERAL, ScalarStyle.FOLDED)
    stop = scalar.span.end.col - (1 if quote else 0) if scalar.span.end.line == pos.line else len(line_text)
    if role == "key":
        word_start = start_col
    else:
        word_start = col
        while word_start > start_col and _is_word(line_text[word_start - 1]):
            word_start -= 1
    word_end = col
    while word_end < min(stop, len(line_text)) and _is_word(line_text[word_end]):
        word_end += 1
    return Place(
        tuple(path),
        role,
        tuple(nodes),
        key=key,
        index=index,
        word=line_text[word_start:word_end],
        prefix=line_text[word_start:col],
        line=pos.line,
        start=word_start,
        end=word_end,
        quote=quote,
        scalar_start=start_col if not block else None,
        scalar_text=scalar.text,
        block=block,
        siblings=siblings,
        scalar=scalar,
    )


def tolerant_text(text: str, file: str = "", parsed: Loaded | None = None, blank: int | None = None) -> str:
    """``text`` with line ``blank`` blanked and the lines the loader stops at closed or blanked, until it parses
    (or ``_ROUNDS`` lines were mended): what a half-typed workflow says so far."""
    return _mend(text, file, parsed, blank)[0]


def tolerant_root(text: str, file: str = "", parsed: Loaded | None = None) -> Node | None:
    """The tree of ``text``; when it does not parse, that of ``tolerant_text`` (the rest of the file keeps its
    shape while one line is broken)."""
    return _mend(text, file, parsed, None)[1].root


def _mend(text: str, file: str, parsed: Loaded | None, blank: int | None) -> tuple[str, Loaded]:
    from fasthep_flow.document.loader import parse_yaml

    lines = text.split("\n")
    if blank is not None and 0 <= blank < len(lines):
        lines[blank] = ""
        parsed = None
    loaded = parsed if parsed is not None else parse_yaml("\n".join(lines), file)
    for _ in range(2 * _ROUNDS):
        if loaded.root is not None:
            break
        broken = sorted(n for n in _culprits(loaded) if n < len(lines) and lines[n].strip())
        if not broken:
            break
        lines[broken[0]] = _repaired(lines[broken[0]])
        loaded = parse_yaml("\n".join(lines), file)
    return "\n".join(lines), loaded
