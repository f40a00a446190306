"""The "add missing required params" fix, made where FF105/FF110 are reported so that it travels on the
diagnostic: the editor's quick fix and ``check --fix`` then apply the same edit.

The edit inserts every required param the stage's op lacks, each with a placeholder of its type (the first
allowed value, ``[]``, ``{}`` or ``""``) for the author to fill in, in the style the stage is written in: inside
a flow mapping ``params: {a: 1}``, as block lines under ``params:``, or as a new ``params:`` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fasthep_flow.document.diagnostics import Edit, Fix
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, node_at
from fasthep_flow.document.spans import LineIndex, Pos, Span
from fasthep_flow.registry.specs import ListOf, MapOf, OneOf, Param, ParamType, Struct

if TYPE_CHECKING:
    from fasthep_flow.registry import Registry


def missing_params_fix(
    root: MapNode, stage_path: tuple[Any, ...], registry: Registry, lines: LineIndex | None
) -> Fix | None:
    """The fix for the stage at ``stage_path`` (``("analysis", "stages", i)``), or None when nothing is missing
    or the stage has a shape the edit would not fit (the structure check reports that)."""
    stage = node_at(root, stage_path)
    if not isinstance(stage, MapNode) or lines is None:
        return None
    op = stage.get("op")
    spec = registry.stage_op(op.text) if isinstance(op, ScalarNode) and op.is_string else None
    if spec is None:
        return None
    params = stage.get("params")
    present = set(params.keys()) if isinstance(params, MapNode) else set()
    missing = [p for p in spec.required_params if p.name not in present]
    if not missing:
        return None
    edit = _insertion(lines, stage, params, missing)
    if edit is None:
        return None
    names = ", ".join(p.name for p in missing)
    return Fix(f"Add missing required params of {spec.name}: {names}", (edit,))


def _options(t: ParamType) -> Iterator[ParamType]:
    if isinstance(t, OneOf):
        for o in t.options:
            yield from _options(o)
    else:
        yield t


def placeholder(p: Param) -> str:
    """A value of the param's type for the author to replace: the first allowed value, or an empty one."""
    if p.allowed:
        v = p.allowed[0]
        return "true" if v is True else "false" if v is False else str(v)
    options = list(_options(p.type))
    # A list is preferred when the type allows one (`list[expr] or expr`): an empty list is a valid start,
    # an empty expression is not.
    if any(isinstance(o, ListOf) for o in options):
        return "[]"
    if options and all(isinstance(o, Struct | MapOf) for o in options):
        return "{}"
    return '""'


def _end_of(lines: LineIndex, node: Node) -> Pos:
    """The end of a node's last line of text (block values end at column 0 of the next line)."""
    end = node.span.end
    if end.col == 0 and end.line > node.span.start.line:
        line = end.line - 1
        while line > node.span.start.line and not lines.line_text(line).strip():
            line -= 1
        return Pos(line, len(lines.line_text(line)))
    return end


def _insertion(lines: LineIndex, stage: MapNode, params: Node | None, missing: list[Param]) -> Edit | None:
    file = stage.span.file
    if isinstance(params, MapNode):
        start = lines.offset(params.span.start)
        if lines.text[start : start + 1] == "{":
            close = Pos(params.span.end.line, params.span.end.col - 1)
            sep = ", " if params.entries else ""
            text = sep + ", ".join(f"{p.name}: {placeholder(p)}" for p in missing)
            return Edit(Span(file, close, close), text)
        if not params.entries:
            return None
        col = params.entries[0].key.span.start.col
        at = _end_of(lines, params.entries[-1].value)
        text = "".join(f"\n{' ' * col}{p.name}: {placeholder(p)}" for p in missing)
        return Edit(Span(file, at, at), text)
    if not stage.entries:
        return None
    col = stage.entries[0].key.span.start.col
    body = "".join(f"\n{' ' * (col + 2)}{p.name}: {placeholder(p)}" for p in missing)
    entry = stage.entry("params")
    if entry is not None:
        if not (isinstance(params, ScalarNode) and params.value is None):
            return None  # params is some other shape: the structure check reports that
        line = entry.key.span.start.line
        at = Pos(line, len(lines.line_text(line)))
        return Edit(Span(file, at, at), body)
    at = _end_of(lines, stage.entries[-1].value)
    return Edit(Span(file, at, at), f"\n{' ' * col}params:{body}")
