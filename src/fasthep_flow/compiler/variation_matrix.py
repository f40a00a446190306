"""`matrix:` on a systematic variation: one variation per combination of values, `{axis}` templates filled.

Works on the document tree, so each expanded variation is checked like a written one and a mistake in it is
reported at the template's place.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.document import codes
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode

_TEMPLATED = frozenset(
    {
        *("name", "group", "direction", "metadata", "requires", "weight", "replace", "datasets"),
        *("anchor", "stage", "patch", "params", "stop_before", "export"),
    }
)
"""The keys of a variation whose strings may hold `{axis}` templates of its `matrix` (upstream's list)."""


def expand_matrix(ctx: Context, item: MapNode) -> list[MapNode]:
    """`matrix: {axis: [values]}`: one variation per combination of values (the first axis varies slowest),
    `{axis}` in the templated keys replaced by the value (a string that is only `{axis}` takes the value as
    it is). Without a matrix, the variation itself."""
    entry = item.entry("matrix")
    if entry is None:
        return [item]
    axes: list[tuple[str, list[ScalarNode]]] = []
    if isinstance(entry.value, MapNode):
        for axis in entry.value.entries:
            values = axis.value.items if isinstance(axis.value, SeqNode) else []
            scalars = [v for v in values if isinstance(v, ScalarNode)]
            if not scalars:
                ctx.report(
                    codes.PARAM_VALUE,
                    axis.key,
                    f"matrix axis '{axis.key.text}' has no values",
                    hint="list the values: `axis: [up, down]`",
                )
                return []
            axes.append((axis.key.text, scalars))
    if not axes:
        ctx.report(codes.PARAM_VALUE, entry.key, "`matrix` has no axes", hint="give `axis: [values]`")
        return []
    body = [e for e in item.entries if e.key.text != "matrix"]
    names = [a for a, _ in axes]
    if not _templates_known(ctx, body, names):
        return []
    out = []
    for combo in itertools.product(*(values for _, values in axes)):
        values = {a: v.value for a, v in zip(names, combo, strict=True)}
        entries = [
            Entry(e.key, _substituted(e.value, values)) if e.key.text in _TEMPLATED else e for e in body
        ]
        out.append(MapNode(item.span, item.index, entries))
    return out


def _fields(text: str) -> list[str] | None:
    """The `{name}` template fields of ``text``; None when it is not a valid template."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return None


def _templates_known(ctx: Context, entries: list[Entry], axes: list[str]) -> bool:
    ok = True
    todo: list[Node] = [e.value for e in entries if e.key.text in _TEMPLATED]
    todo += [e.key for e in entries if e.key.text in _TEMPLATED]
    while todo:
        node = todo.pop()
        if isinstance(node, MapNode):
            todo += [e.key for e in node.entries] + [e.value for e in node.entries]
        elif isinstance(node, SeqNode):
            todo += node.items
        elif isinstance(node, ScalarNode) and node.is_string and "{" in node.text:
            for name in _fields(node.text) or []:
                if name not in axes:
                    ok = False
                    ctx.unknown_name(
                        codes.UNKNOWN_SYMBOL, node, "matrix axis", axes, name=name,
                        extra_hint="`{axis}` in a variation names an axis of its `matrix`",
                    )  # fmt: skip
    return ok


def _substituted(node: Node, values: Mapping[str, Any]) -> Node:
    """A copy of ``node`` with `{axis}` replaced in every string, keys included (at the template's place)."""
    if isinstance(node, MapNode):
        entries = [Entry(_substituted(e.key, values), _substituted(e.value, values)) for e in node.entries]  # type: ignore[arg-type]
        return MapNode(node.span, node.index, entries)
    if isinstance(node, SeqNode):
        return SeqNode(node.span, node.index, [_substituted(i, values) for i in node.items])
    if (
        isinstance(node, ScalarNode)
        and node.is_string
        and "{" in node.text
        and _fields(node.text) is not None
    ):
        whole = node.text.strip()
        for axis, value in values.items():
            if whole == "{" + axis + "}":
                return replace(node, value=value, text=str(value), offsets=())
        text = node.text.format(**values)
        return replace(node, value=text, text=text, offsets=())
    return node
