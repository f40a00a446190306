"""YAML text to a node tree in which every key and value knows its exact place in the file.

PyYAML's parser gives a stream of events with marks; this module composes them into ``MapNode``/``SeqNode``/
``ScalarNode`` itself rather than through PyYAML's composer, for three reasons: the tree keeps duplicate keys
(which YAML silently drops), a user's mistake becomes a ``Diagnostic`` instead of an exception, and composing
without recursion means no input nests deep enough to crash the interpreter (libyaml's composer segfaults on
``[[[[...``). libyaml's parser is used when installed: on a 6,500-line, 500-stage workflow (13,500 scalars) its
events take 12 ms and the whole ``parse_yaml`` ~85 ms of CPU, against ~390 ms with the pure-Python parser. Most
of the rest is creating the nodes, spans and offset tables, so the loop below is written for speed.

Scalars resolve to int, float, bool, None or str exactly as PyYAML's ``SafeLoader`` would (timestamps stay
strings); merge keys (``<<: *defaults``) are applied here, explicit keys winning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
import yaml.events as ev

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Related, error, warning
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, ScalarStyle, SeqNode
from fasthep_flow.document.reparse import reparse
from fasthep_flow.document.scalars import decode_scalar
from fasthep_flow.document.spans import LineIndex, Pos, Span
from fasthep_flow.document.splice import splice_stages

MAX_DEPTH = 200
"""Deeper nesting is refused (no workflow needs it; every recursive walk downstream stays safe)."""
MAX_ALIASES = 10_000
"""Aliases (``*name``) one file may use."""
MAX_ALIAS_NODES = 50_000
"""Nodes the aliases of one file may stand for, once expanded (a 6,500-line workflow has ~30,000 nodes in
all, and aliases usually repeat a few small blocks). The tree shares an alias's node, but every later pass
(merging, normalising, schema validation) walks it as often as it is used: nine levels of nine aliases
("billion laughs") would be 387 million nodes."""
MAX_TEXT_CHARS = 2_000_000
"""A workflow file larger than this is refused before parsing (2 MB; the largest real ones are ~300 kB). Every
node costs all the later passes (schema validation is ~0.15 ms per node), so this also bounds `check`: a 2 MB
file of nothing but list items checks in ~7 s of CPU and ~200 MB."""

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
_MERGE = _TAG + "merge"
_AS_TEXT = frozenset(_TAG + t for t in ("timestamp", "value", "merge"))  # resolved, but kept as strings
_COLLECTION_TAGS = frozenset(_TAG + t for t in ("map", "seq", "set", "omap", "pairs"))
_NO_TAGS: frozenset[str] = frozenset()
_STYLES = {
    None: ScalarStyle.PLAIN,
    "": ScalarStyle.PLAIN,
    "'": ScalarStyle.SINGLE,
    '"': ScalarStyle.DOUBLE,
    "|": ScalarStyle.LITERAL,
    ">": ScalarStyle.FOLDED,
}
# characters after which PyYAML's line/column stop agreeing with ``LineIndex`` (which counts "\n" only)
_UNUSUAL_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]|\r(?!\n)")
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_PENDING = Span("", Pos(0, 0), Pos(0, 0))  # a collection's span until its end is known


@dataclass(frozen=True)
class Loaded:
    root: Node | None
    """None when the text is empty or cannot be parsed."""
    diagnostics: tuple[Diagnostic, ...]
    index: LineIndex
    anchors: bool = False
    """The file uses anchors (and so maybe aliases or merge keys): its nodes may be shared within the tree."""


def parse_yaml(
    text: str, file: str, *, libyaml: bool = True, previous: tuple[str, Loaded] | None = None
) -> Loaded:
    """Parse one workflow file; never raises for any text (mistakes come back as diagnostics).

    ``libyaml=False`` forces PyYAML's pure-Python parser (the tests check that both give the same tree).
    ``previous`` — the last text of this file and its parse — lets an edit inside one scalar on one line
    reuse the previous tree (``document/reparse.py``); otherwise it is ignored.
    """
    if previous is not None:
        reused = _reuse(previous, text, file)
        if reused is not None:
            return reused
    index = LineIndex(text)
    if len(text) > MAX_TEXT_CHARS:
        return Loaded(None, (too_large(file, len(text)),), index)
    loaded = _parse(text, file, index, libyaml)
    if libyaml and _beyond_libyaml_nesting(loaded):
        # libyaml scans flow brackets ahead of the events we count and stops at a depth of its own choosing;
        # the pure parser hands us every event, so our own limit (MAX_DEPTH) decides, the same on both paths.
        loaded = _parse(text, file, index, False)
    return loaded


def _beyond_libyaml_nesting(loaded: Loaded) -> bool:
    return any(d.code == codes.YAML_SYNTAX and "nesting depth" in d.message for d in loaded.diagnostics)


def _parse(text: str, file: str, index: LineIndex, libyaml: bool) -> Loaded:
    try:
        parser, shift, is_c = _open(text, libyaml)
    except yaml.reader.ReaderError as exc:  # the pure reader checks every character up front
        return Loaded(None, (_reader_error(exc, text, file, index, byte_offsets=False),), index)
    composer = _Composer(text, file, index, shift, parser.resolve)
    root: Node | None = None
    try:
        root = composer.compose(parser.get_event)
    except yaml.reader.ReaderError as exc:
        composer.diagnostics.append(_reader_error(exc, text, file, index, byte_offsets=is_c))
    except yaml.YAMLError as exc:
        composer.diagnostics.append(_yaml_error(exc, text, file, index, shift))
    except _TooDeep as exc:
        composer.diagnostics.append(
            error(
                codes.UNSUPPORTED_YAML,
                _char_span(text, file, index, exc.offset),
                f"nesting deeper than {MAX_DEPTH} levels is not supported",
                hint="a workflow needs a few levels; check for unbalanced brackets",
            )
        )
    finally:
        parser.dispose()
    if root is not None and not isinstance(root, MapNode):
        if isinstance(root, ScalarNode) and root.value is None and root.text == "":
            root = None  # only comments, or a bare `---`: an empty workflow, not a wrong one
        else:
            composer.diagnostics.append(
                error(
                    codes.NOT_A_MAPPING,
                    root.span,
                    f"the workflow must be a mapping of keys (version:, analysis:, ...), not {_kind(root)}",
                    hint="start the file with `version: 1.0` and write the sections as `key: value` lines",
                )
            )
    return Loaded(root, tuple(composer.diagnostics), index, bool(composer.anchors or composer.open_anchors))


def too_large_words(size: int) -> tuple[str, str]:
    """Message and hint for a file over ``MAX_TEXT_CHARS`` (also said before a file is even read)."""
    return (
        f"the file is {size / 1e6:.1f} MB; a workflow file may be at most {MAX_TEXT_CHARS / 1e6:.0f} MB",
        "split it with `include:`, or check that this is the workflow you meant to open",
    )


def too_large(file: str, chars: int) -> Diagnostic:
    message, hint = too_large_words(chars)
    return error(codes.TOO_LARGE, Span.point(file, Pos(0, 0)), message, hint=hint)


def _reuse(previous: tuple[str, Loaded], text: str, file: str) -> Loaded | None:
    old_text, old = previous
    if old_text == text and old.root is not None and old.root.span.file == file:
        return old  # the same text parses to the same tree (nodes are never changed after a parse)
    if old.diagnostics or old.anchors or old.root is None or old.root.span.file != file:
        return None
    if "\r" in old_text or old_text.startswith("\ufeff") or _UNUSUAL_BREAKS.search(text):
        return None  # positions there need the careful path
    found = reparse(old_text, old.root, old.index, text, file)
    if found is None and len(text) <= MAX_TEXT_CHARS:
        found = splice_stages(
            old_text, old.root, old.index, text, file, lambda t, index: _parse(t, file, index, True)
        )
    return Loaded(found[0], (), found[1]) if found is not None else None


# --- the parser ------------------------------------------------------------------------------------------------


def _open(text: str, libyaml: bool) -> tuple[Any, int, bool]:
    """A PyYAML loader over ``text``, the shift to add to its mark indices, and whether it is libyaml's."""
    if libyaml and hasattr(yaml, "CSafeLoader"):
        try:
            # libyaml does not count a leading byte-order mark in its mark indices
            return yaml.CSafeLoader(text), (1 if text.startswith("\ufeff") else 0), True
        except UnicodeEncodeError:
            pass  # lone surrogates cannot go to libyaml as UTF-8: the pure reader reports the character
    return yaml.SafeLoader(text), 0, False


def _reader_error(
    exc: yaml.reader.ReaderError, text: str, file: str, index: LineIndex, *, byte_offsets: bool
) -> Diagnostic:
    offset = exc.position
    if byte_offsets:  # libyaml counts bytes of the UTF-8 text
        offset = len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))
    ch = exc.character
    shown = f"U+{ch:04X}" if isinstance(ch, int) else repr(ch)
    return error(
        codes.YAML_SYNTAX,
        _char_span(text, file, index, offset),
        f"character {shown} is not allowed in a YAML file",
        hint='remove it, or write it as an escape such as "\\x07" inside a double-quoted string',
    )


_HINTS = (
    (
        "mapping values are not allowed",
        "a value containing ': ' must be quoted; otherwise check the indentation",
    ),
    ("could not find expected ':'", "a key is missing its ':' or this line is indented differently"),
    ("expected <block end>", "check the indentation of this line against the lines above"),
    ("did not find expected key", "check the indentation of this line against the lines above"),
    ("found unexpected end of stream", "a quote or bracket opened earlier is never closed"),
    ("while parsing a flow", "a '[' or '{' is not closed, or a ',' is missing between items"),
    ("unknown escape character", "in double quotes write a backslash as \\\\, or use single quotes"),
)


def _yaml_error(exc: yaml.YAMLError, text: str, file: str, index: LineIndex, shift: int) -> Diagnostic:
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return error(codes.YAML_SYNTAX, Span.point(file, Pos(0, 0)), f"not valid YAML: {exc}")
    offset = exc.problem_mark.index + shift
    problem = exc.problem or exc.context or "not valid YAML"
    message = f"{problem} {exc.context}" if exc.problem and exc.context else problem
    related: tuple[Related, ...] = ()
    if exc.context and exc.context_mark is not None:
        what = re.sub(r"^while (scanning|parsing) ", "", exc.context)
        related = (
            Related(_char_span(text, file, index, exc.context_mark.index + shift), f"{what} starts here"),
        )
    hint = next((h for key, h in _HINTS if key in message), None)
    if "\t" in text[max(0, offset - 1) : offset + 1] or "tab" in message:
        hint = "indent with spaces: YAML does not allow tabs for indentation"
    return error(
        codes.YAML_SYNTAX, _char_span(text, file, index, offset), message, hint=hint, related=related
    )


def _char_span(text: str, file: str, index: LineIndex, offset: int) -> Span:
    """The one character at ``offset`` (an empty span at a line end or the end of the text)."""
    offset = max(0, min(offset, len(text)))
    end = offset + 1 if offset < len(text) and text[offset] not in "\r\n" else offset
    return index.span(file, offset, end)


def _kind(node: Node) -> str:
    if isinstance(node, SeqNode):
        return "a list"
    if isinstance(node, ScalarNode):
        if isinstance(node.value, bool):
            return "a boolean"
        if isinstance(node.value, int | float):
            return "a number"
        return "null" if node.value is None else "a string"
    return "a mapping"


class _TooDeep(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


# --- composing events into nodes -------------------------------------------------------------------------------


class _Frame:
    """A mapping or sequence being composed."""

    __slots__ = ("anchor", "flow", "items", "key", "key_merges", "last_end", "merges", "node", "start")

    def __init__(
        self, node: MapNode | SeqNode, items: list[Node] | None, start: Pos, anchor: str | None, flow: bool
    ) -> None:
        self.node = node
        self.items = items  # the sequence's items, None for a mapping
        self.start = start
        self.anchor = anchor
        self.flow = flow
        self.last_end = start
        # the key waiting for its value (False: the key was refused, drop the value)
        self.key: ScalarNode | bool | None = None
        self.key_merges = False
        self.merges: set[int] | None = None  # indices of `<<` entries, replaced by what they merge at the end

    def merge_at(self, i: int) -> None:
        if self.merges is None:
            self.merges = set()
        self.merges.add(i)


class _Composer:
    """Builds the node tree from parser events with an explicit stack, collecting diagnostics on the way."""

    def __init__(
        self, text: str, file: str, index: LineIndex, shift: int, resolve: Callable[..., str]
    ) -> None:
        self.text = text
        self.file = file
        self.index = index
        self.shift = shift
        self.resolve = resolve
        self.diagnostics: list[Diagnostic] = []
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.tags: dict[str, str] = {}  # plain scalar -> resolved tag: workflows repeat their keys a lot
        self.alias_count = 0
        self.alias_nodes = 0  # nodes the aliases stand for, expanded
        self.sizes: dict[int, int] = {}  # id(node) -> expanded node count, for anchored nodes and their parts
        self.over_limit = False
        # PyYAML's own line/column are exact (and cheaper than a lookup) unless unusual line breaks occur
        self.marks_exact = shift == 0 and _UNUSUAL_BREAKS.search(text) is None

    def _at(self, mark: yaml.Mark) -> tuple[int, Pos]:
        offset = mark.index + self.shift
        if self.marks_exact:
            return offset, Pos(mark.line, mark.column)
        return offset, self.index.pos(offset)

    def _span(self, start: int, end: int) -> Span:
        return Span(self.file, self.index.pos(start), self.index.pos(end))

    # the event loop

    def compose(self, next_event: Callable[[], ev.Event]) -> Node | None:
        next_event()  # StreamStartEvent
        if isinstance(next_event(), ev.StreamEndEvent):
            return None
        root = self._compose_document(next_event)
        try:
            event = next_event()
        except yaml.YAMLError as exc:  # after the first document: report it, keep what was read
            self.diagnostics.append(_yaml_error(exc, self.text, self.file, self.index, self.shift))
            return root
        if isinstance(event, ev.DocumentStartEvent):
            offset, _ = self._at(event.start_mark)
            self.diagnostics.append(
                warning(
                    codes.UNSUPPORTED_YAML,
                    _char_span(self.text, self.file, self.index, offset),
                    "only the first YAML document of a file is read; the documents after this `---` are ignored",
                    hint="move the rest into its own file and name it in `include:`",
                )
            )
        return root

    def _compose_document(self, next_event: Callable[[], ev.Event]) -> Node | None:
        stack: list[_Frame] = []
        root: Node | None = None
        # the hot loop (one turn per key, value and bracket): the common scalar is handled inline with locals
        text, file, index, tags = self.text, self.file, self.index, self.tags
        fast = self.marks_exact
        while True:
            event = next_event()
            kind = event.__class__
            is_merge = False
            if kind is ev.ScalarEvent:
                raw, start_mark, end_mark = event.value, event.start_mark, event.end_mark
                start, stop, style = start_mark.index, end_mark.index, event.style
                offsets: Sequence[int] | None = None  # a range where the text is the source's
                if not fast or event.tag is not None or event.anchor is not None:
                    pass
                elif not style:
                    if stop - start == len(raw) and text.startswith(raw, start):
                        offsets = range(start, stop + 1)  # one line: the characters are the source's
                elif style in "'\"" and stop - start - 2 == len(raw) and text.startswith(raw, start + 1):
                    offsets = range(start + 1, stop)  # quoted, nothing to unescape or fold (end: the quote)
                if offsets is None:
                    node, end, is_merge = self._scalar(event)
                else:
                    end = Pos(end_mark.line, end_mark.column)
                    span = Span(file, Pos(start_mark.line, start_mark.column), end)
                    node = ScalarNode(span, index, raw, raw, _STYLES[style], offsets)
                    if not style and (tag := tags.get(raw) or self._resolve_plain(raw)) != _STR:
                        node.value = self._value(tag, raw, span, None)
                        is_merge = tag == _MERGE
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _TooDeep(event.start_mark.index + self.shift)
                offset, start = self._at(event.start_mark)
                if event.tag is not None:
                    self._check_tag(event.tag, _COLLECTION_TAGS, offset)
                if kind is ev.MappingStartEvent:
                    stack.append(
                        _Frame(MapNode(_PENDING, index), None, start, event.anchor, event.flow_style)
                    )
                else:
                    seq = SeqNode(_PENDING, index)
                    stack.append(_Frame(seq, seq.items, start, event.anchor, event.flow_style))
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                continue
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                frame = stack.pop()
                # a block collection ends with its last item, not at the next token (maybe lines further down)
                end = self._at(event.end_mark)[1] if frame.flow else frame.last_end
                node = self._finish(frame)
                node.span = Span(self.file, frame.start, end)
            elif kind is ev.AliasEvent:
                node, end = self._alias(event)
            elif kind is ev.DocumentEndEvent:
                return root
            else:
                raise yaml.composer.ComposerError(None, None, f"unexpected {kind.__name__}", None)
            if not stack:
                root = node
                continue
            frame = stack[-1]
            frame.last_end = end
            if frame.items is not None:
                frame.items.append(node)
            elif frame.key is not None:
                if frame.key is not False:
                    if frame.key_merges:
                        frame.merge_at(len(frame.node.entries))  # type: ignore[union-attr]
                    frame.node.entries.append(Entry(frame.key, node))  # type: ignore[union-attr]
                frame.key = None
            elif node.__class__ is ScalarNode:
                frame.key = node  # type: ignore[assignment]
                frame.key_merges = is_merge
            else:
                self._refuse_key(frame, node)

    def _resolve_plain(self, raw: str) -> str:
        tag: str = self.resolve(yaml.ScalarNode, raw, (True, False))
        self.tags[raw] = tag
        return tag

    def _refuse_key(self, frame: _Frame, node: Node) -> None:
        frame.key = False
        self.diagnostics.append(
            error(
                codes.UNSUPPORTED_YAML,
                node.span,
                "a mapping key must be a plain value, not a list or a mapping",
                hint="use a string key; this entry is ignored",
            )
        )

    def _finish(self, frame: _Frame) -> MapNode | SeqNode:
        node = frame.node
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = node
        if isinstance(node, SeqNode):
            return node
        merges = frame.merges
        if len(node.entries) < 2 and merges is None:
            return node
        first: dict[str, ScalarNode] = {}
        for i, entry in enumerate(node.entries):
            if merges is not None and i in merges:
                continue
            key = entry.key
            seen = first.setdefault(key.text, key)
            if seen is not key:
                self.diagnostics.append(
                    error(
                        codes.DUPLICATE_KEY,
                        key.span,
                        f"duplicate key '{key.text}'",
                        hint="remove one of the two; fasthep-flow uses the first (plain YAML keeps the last)",
                        related=(Related(seen.span, "first defined here"),),
                    )
                )
        if merges is not None:
            node.entries = self._merged(node.entries, merges, first)
        return node

    def _merged(self, entries: list[Entry], merges: set[int], explicit: dict[str, ScalarNode]) -> list[Entry]:
        """``<<`` entries replaced, in place, by the entries they merge: explicit keys win, then earlier ones."""
        out: list[Entry] = []
        merged: set[str] = set()
        for i, entry in enumerate(entries):
            if i not in merges:
                out.append(entry)
                continue
            for source in self._merge_sources(entry.value):
                for inner in source.entries:
                    if inner.name not in explicit and inner.name not in merged:
                        merged.add(inner.name)
                        out.append(Entry(inner.key, inner.value))
        return out

    def _merge_sources(self, value: Node) -> list[MapNode]:
        if isinstance(value, MapNode):
            return [value]
        if isinstance(value, SeqNode) and all(isinstance(item, MapNode) for item in value.items):
            return [item for item in value.items if isinstance(item, MapNode)]
        self.diagnostics.append(
            error(
                codes.UNSUPPORTED_YAML,
                value.span,
                "a merge key `<<` takes a mapping (usually an alias such as *defaults) or a list of them",
                hint="write `<<: *name` where `&name` marks a mapping",
            )
        )
        return []

    def _alias(self, event: ev.AliasEvent) -> tuple[Node, Pos]:
        name = event.anchor
        (start, start_pos), (_, end_pos) = self._at(event.start_mark), self._at(event.end_mark)
        span = Span(self.file, start_pos, end_pos)
        if name in self.anchors and name not in self.open_anchors:
            node = self.anchors[name]
            if self.over_limit:
                return ScalarNode(span, self.index, None, "", ScalarStyle.PLAIN, (start,)), end_pos
            self.alias_count += 1
            self.alias_nodes += self._expanded(node)
            if self.alias_count <= MAX_ALIASES and self.alias_nodes <= MAX_ALIAS_NODES:
                return node, end_pos
            self.over_limit = True  # one diagnostic; later aliases become nulls too
            what = (
                f"more than {MAX_ALIASES:,} aliases"
                if self.alias_count > MAX_ALIASES
                else f"aliases standing for more than {MAX_ALIAS_NODES:,} values once expanded"
            )
            self.diagnostics.append(
                error(
                    codes.TOO_LARGE,
                    span,
                    f"alias *{name} is refused: the file uses {what}",
                    hint="an alias repeats its anchor's whole value; nested aliases multiply (a 'billion laughs'"
                    " file); write the values out, or reuse them with fewer levels",
                )
            )
            return ScalarNode(span, self.index, None, "", ScalarStyle.PLAIN, (start,)), end_pos
        if name in self.open_anchors:
            message, hint = (
                f"alias *{name} refers to a node that contains it",
                "a workflow cannot be recursive",
            )
        else:
            message, hint = f"alias *{name} names no anchor", f"mark the node to reuse with &{name} before it"
        code = codes.UNSUPPORTED_YAML if name in self.open_anchors else codes.YAML_SYNTAX
        self.diagnostics.append(error(code, span, message, hint=hint))
        return ScalarNode(span, self.index, None, "", ScalarStyle.PLAIN, (start,)), end_pos

    def _expanded(self, node: Node) -> int:
        """How many nodes ``node`` is once its aliases are expanded (memoised: the tree shares nodes)."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, MapNode):
            size = 1 + sum(1 + self._expanded(e.value) for e in node.entries)
        elif isinstance(node, SeqNode):
            size = 1 + sum(self._expanded(item) for item in node.items)
        else:
            size = 1
        self.sizes[id(node)] = size
        return size

    def _scalar(self, event: ev.ScalarEvent) -> tuple[ScalarNode, Pos, bool]:
        """Any scalar: anchored, tagged, escaped, folded or on several lines (the simple ones are inlined)."""
        raw = event.value
        style = _STYLES.get(event.style, ScalarStyle.PLAIN)
        start_mark, end_mark = event.start_mark, event.end_mark
        start, end = start_mark.index + self.shift, end_mark.index + self.shift
        tag = event.tag
        explicit = tag is not None and tag != "!"
        if not explicit:
            if event.implicit[0]:
                tag = self.tags.get(raw) or self._resolve_plain(raw)
            else:
                tag = self.resolve(yaml.ScalarNode, raw, event.implicit)
        begin, stop, offsets, _ = decode_scalar(self.text, start, end, style, raw)
        if self.marks_exact:
            start_pos = Pos(start_mark.line, start_mark.column) if begin == start else self.index.pos(begin)
            end_pos = Pos(end_mark.line, end_mark.column) if stop == end else self.index.pos(stop)
        else:
            start_pos, end_pos = self.index.pos(begin), self.index.pos(stop)
        span = Span(self.file, start_pos, end_pos)
        node = ScalarNode(span, self.index, raw, raw, style, offsets)
        if tag != _STR:
            node.value = self._value(tag, raw, span, start if explicit else None)
        if event.anchor is not None:
            self.anchors[event.anchor] = node
        return node, end_pos, tag == _MERGE and not explicit

    def _value(self, tag: str, raw: str, span: Span, tag_start: int | None) -> object:
        """The value SafeLoader gives a scalar resolved (or explicitly tagged) as ``tag``."""
        if tag in (_NULL, _BOOL, _INT, _FLOAT):
            try:
                return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, raw))
            except (ValueError, KeyError, OverflowError, yaml.constructor.ConstructorError):
                # e.g. `!!int abc`, or an integer of more digits than Python converts
                self.diagnostics.append(
                    (warning if tag_start is None else error)(
                        codes.UNSUPPORTED_YAML,
                        span,
                        f"'{_short(raw)}' cannot be read as {tag.removeprefix(_TAG)}; it is kept as text",
                        hint="quote it to make it a string" if tag_start is None else "remove the tag",
                    )
                )
                return raw
        if tag_start is not None and tag not in _AS_TEXT:
            self._check_tag(tag, _NO_TAGS, tag_start)
        return raw

    def _check_tag(self, tag: str | None, allowed: frozenset[str], start: int) -> None:
        if tag is None or tag == "!" or tag in allowed:
            return
        text = self.text
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        at = text.find("!", start, line_end)
        at = start if at < 0 else at
        end = at
        while end < line_end and not text[end].isspace():
            end += 1
        self.diagnostics.append(
            warning(
                codes.UNSUPPORTED_YAML,
                self._span(at, end),
                f"the YAML tag '{tag}' is not supported; the value is read without it",
                hint="remove the tag",
            )
        )


def _short(raw: str, limit: int = 40) -> str:
    return raw if len(raw) <= limit else raw[: limit - 3] + "..."
