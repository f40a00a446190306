"""Command-line overrides (`analysis.globals.iso_cut=0.2`) applied to the workflow tree before it is compiled.

An override is one string `KEY=VALUE` with OmegaConf dotlist semantics: the key is a dotted path of mapping keys,
list items are addressed by position (`stages[0]`) or — beyond OmegaConf — by the `id` or `name` of the item
(`analysis.stages[Dimuon].params.weight_expr`, `data.datasets[dy].eventtype`); the value is read the way
OmegaConf reads a dotlist value (numbers, booleans, `null`, `[a, b]`, `{k: v}`, anything else a string).

The override's value becomes an ordinary node of the tree whose span lies in a pseudo-file named
`<override N>`, so the compiler checks it like any other value and a mistake in it is reported at its column on
the command line (`<override 2>:1:24: error[FF201] ...`). Missing mapping keys are created, as OmegaConf does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, ScalarStyle, SeqNode
from fasthep_flow.document.spans import LineIndex, Span

_KEY = re.compile(r"[^.\[\]=]+")
_INDEX = re.compile(r"\[([^\[\]]*)\]")
ITEM_NAMES = ("id", "name")
"""The keys by which a list item can be addressed in brackets: stages have an `id`, datasets a `name`."""


def override_file(n: int) -> str:
    """The pseudo-file name of the ``n``-th override (1-based), as diagnostics show it."""
    return f"<override {n}>"


@dataclass(frozen=True)
class _Step:
    key: str | int
    by_name: bool
    start: int
    end: int


def apply_overrides(
    root: MapNode | None, overrides: Sequence[str], first: int = 1
) -> tuple[MapNode | None, list[Diagnostic]]:
    """The tree with every override applied in order (a later override wins), and one diagnostic per override
    that cannot be applied. The input tree is not changed: nodes along each path are copied."""
    diagnostics: list[Diagnostic] = []
    for n, text in enumerate(overrides, start=first):
        file = override_file(n)
        index = LineIndex(text)
        parsed = _parse(text, file, index)
        if isinstance(parsed, Diagnostic):
            diagnostics.append(parsed)
            continue
        steps, value = parsed
        if root is None:
            root = MapNode(Span(file, index.pos(0), index.pos(0)), index)
        updated = _set(root, steps, value, file, index)
        if isinstance(updated, Diagnostic):
            diagnostics.append(updated)
        else:
            root = updated
    return root, diagnostics


def _error(file: str, index: LineIndex, start: int, end: int, message: str, hint: str) -> Diagnostic:
    return Diagnostic(codes.BAD_OVERRIDE, Severity.ERROR, index.span(file, start, end), message, hint=hint)


def _parse(text: str, file: str, index: LineIndex) -> tuple[list[_Step], Node] | Diagnostic:
    eq = text.find("=")
    if eq <= 0:
        return _error(
            file,
            index,
            0,
            len(text),
            f"an override must be KEY=VALUE, not {text!r}",
            "for example analysis.globals.iso_cut=0.2",
        )
    steps: list[_Step] = []
    i = 0
    while i < eq:
        if text[i] == "." and steps:
            i += 1
        if (m := _INDEX.match(text, i)) is not None and steps:
            inner = m.group(1).strip()
            if not inner:
                return _error(file, index, m.start(), m.end(), "empty [] in an override key", _KEY_HINT)
            steps.append(
                _Step(
                    int(inner) if inner.lstrip("-").isdigit() else inner,
                    not inner.lstrip("-").isdigit(),
                    m.start(1),
                    m.end(1),
                )
            )
            i = m.end()
            continue
        m = _KEY.match(text, i)
        if m is None or m.end() > eq:
            return _error(file, index, i, eq, f"cannot read the override key {text[:eq]!r}", _KEY_HINT)
        steps.append(_Step(m.group(0), False, m.start(), m.end()))
        i = m.end()
    return steps, _value_node(text[eq + 1 :], eq + 1, file, index)


_KEY_HINT = "keys are separated by '.', list items addressed as [0] or by their id/name as [Dimuon]"


def _value_node(raw: str, start: int, file: str, index: LineIndex) -> Node:
    from omegaconf import OmegaConf  # only a run with overrides pays for it

    try:
        value = OmegaConf.to_container(OmegaConf.from_dotlist([f"v={raw}"]), resolve=False)["v"]  # type: ignore[index]
    except Exception:
        value = raw
    return _Builder(raw, start, file, index).node(value, whole=True)


@dataclass
class _Builder:
    """Turns a parsed override value into nodes; each string is placed where it is written in the override (found
    left to right), so that an error inside an expression in a list or mapping gets its exact column too."""

    raw: str
    start: int
    file: str
    index: LineIndex
    cursor: int = 0

    def node(self, value: object, whole: bool = False) -> Node:
        span = self.index.span(self.file, self.start, self.start + len(self.raw))
        if isinstance(value, dict):
            entries = [Entry(self._scalar(str(k), str(k), span), self.node(v)) for k, v in value.items()]
            return MapNode(span, self.index, entries)
        if isinstance(value, list):
            return SeqNode(span, self.index, [self.node(v) for v in value])
        if whole:
            text = value if isinstance(value, str) else self.raw
            return self._scalar(value, text, span, exact=isinstance(value, str) and value == self.raw)
        return self._scalar(value, value if isinstance(value, str) else str(value), span)

    def _scalar(self, value: object, text: str, span: Span, exact: bool = False) -> ScalarNode:
        at = 0 if exact else self.raw.find(text, self.cursor) if text else -1
        if at < 0:
            return ScalarNode(span, self.index, value, text, ScalarStyle.PLAIN)
        self.cursor = at + len(text)
        first = self.start + at
        where = self.index.span(self.file, first, first + len(text))
        return ScalarNode(
            where, self.index, value, text, ScalarStyle.PLAIN, range(first, first + len(text) + 1)
        )


def _set(node: Node, steps: list[_Step], value: Node, file: str, index: LineIndex) -> Node | Diagnostic:
    """A copy of ``node`` with ``value`` at ``steps`` (copying only the nodes on the path)."""
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(node, MapNode) and isinstance(step.key, str) and not step.by_name:
        entries = list(node.entries)
        for i, entry in enumerate(entries):
            if entry.key.text == step.key:
                child = _set(entry.value, rest, value, file, index)
                if isinstance(child, Diagnostic):
                    return child
                entries[i] = Entry(entry.key, child)
                return MapNode(node.span, node.index, entries)
        key_span = index.span(file, step.start, step.end)
        key = ScalarNode(
            key_span, index, step.key, step.key, ScalarStyle.PLAIN, range(step.start, step.end + 1)
        )
        empty = MapNode(key_span, index)
        child = _set(empty, rest, value, file, index) if rest else value
        if isinstance(child, Diagnostic):
            return child
        return MapNode(node.span, node.index, [*entries, Entry(key, child)])
    if isinstance(node, SeqNode) and not (isinstance(step.key, str) and not step.by_name):
        position = _find_item(node, step)
        if position is None:
            names = [n for item in node.items if (n := _item_name(item)) is not None]
            what = f"no item {step.key!r}" if step.by_name else f"no item at position {step.key}"
            return _error(
                file,
                index,
                step.start,
                step.end,
                f"{what} in this list ({len(node.items)} items)",
                f"items here: {', '.join(names)}" if names else "the list has no named items",
            )
        child = _set(node.items[position], rest, value, file, index)
        if isinstance(child, Diagnostic):
            return child
        items = list(node.items)
        items[position] = child
        return SeqNode(node.span, node.index, items)
    kind = "a list" if isinstance(node, SeqNode) else "a mapping" if isinstance(node, MapNode) else "a value"
    return _error(
        file,
        index,
        step.start,
        step.end,
        f"cannot address {step.key!r} here: the workflow has {kind} at this point",
        _KEY_HINT,
    )


def _find_item(node: SeqNode, step: _Step) -> int | None:
    if not step.by_name and isinstance(step.key, int):
        position = step.key if step.key >= 0 else len(node.items) + step.key
        return position if 0 <= position < len(node.items) else None
    for i, item in enumerate(node.items):
        if _item_name(item) == step.key:
            return i
    return None


def _item_name(item: Node) -> str | None:
    if isinstance(item, MapNode):
        for key in ITEM_NAMES:
            found = item.get(key)
            if isinstance(found, ScalarNode) and isinstance(found.value, str):
                return found.value
    return None
