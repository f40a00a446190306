"""The data-flow contract: which expressions and fields an op's params read, and which fields they define.

The compiler walks the stages in order and asks ``flow_of`` for each; it parses every ``ExprUse`` with the
expression grammar, resolves its symbols against the fields defined so far, and records every ``FieldDef``.
Steps run in order inside one stage, so ``hep.define`` can use a variable defined two lines above.

Most ops describe their flow with param paths on the spec (``reads``/``writes``); an op whose names are
computed (``<collection>_Px``, ``<StageId>.<group>``) supplies a ``dataflow`` function built from the helpers
here. Such computed names still point at a real node: the scalar they are derived from (``implicit=True``),
or, when the param is absent and a default applies, the ``anchor`` the compiler passes (the stage's ``op``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, TypeVar

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, ScalarStyle, SeqNode
from fasthep_flow.document.spans import LineIndex, Pos, Span
from fasthep_flow.registry.specs import ListOf, MapOf, OneOf, OpSpec, ParamType, ScalarType, Struct

UseKind = Literal["expr", "field"]

_UNLOCATED_FILE = ""
_EMPTY_INDEX = LineIndex("")


@dataclass(frozen=True)
class ExprUse:
    """An expression (``kind="expr"``) or a bare field name (``kind="field"``) that the op reads."""

    node: ScalarNode
    kind: UseKind
    prefix: str = ""
    """Names inside are relative to a collection: ``pt`` means ``<prefix>pt`` (``hep.select_objects``)."""
    local_names: frozenset[str] = frozenset()
    """Names the op itself provides to this use (``derived`` fields of ``hep.select_objects``): not fields."""
    implicit: bool = False
    """The node does not spell the name: ``Muon_Px`` synthesised from ``collection: Muon``."""
    local_only: bool = False
    """The op evaluates it over its own columns (a pair's `lepton_1_pt`, a candidate's `mass`): besides
    ``local_names`` (and ``<prefix><name>`` fields when a ``prefix`` is given) only globals, constants and
    context symbols are visible, not the stream's fields (``hep.build_pairs`` cuts)."""
    relative_only: bool = False
    """With a ``prefix``: the name is always relative (``keep: [pt]`` of ``hep.pick`` reads ``<prefix>pt`` and
    nothing else), so an event-level field of that name does not satisfy it."""

    @property
    def text(self) -> str:
        return self.node.text


@dataclass(frozen=True)
class FieldDef:
    name: str
    node: ScalarNode
    """The scalar naming the field (its text equals ``name`` unless ``implicit``)."""
    expr: ScalarNode | None = None
    doc: str = ""
    implicit: bool = False
    """The name is computed (``nSelMuon``, ``<StageId>.<group>``, a default): rename must not edit it."""


_Item = TypeVar("_Item", ExprUse, FieldDef)


@dataclass(frozen=True)
class FlowStep:
    """Uses see the fields defined by earlier steps (and earlier stages), not the defines of this step."""

    uses: tuple[ExprUse, ...] = ()
    defines: tuple[FieldDef, ...] = ()


def flow_of(
    spec: OpSpec, params: MapNode | None, stage_id: str, anchor: Node | None = None
) -> list[FlowStep]:
    """The ordered data-flow steps of one stage (or source) with these params.

    ``anchor`` (e.g. the stage's ``op`` scalar) locates names that come from defaults, when no param node
    spells them; without it they sit on ``params``. Malformed params yield fewer steps, never an exception:
    the structure checks report them.
    """
    steps = spec.dataflow(params, stage_id) if spec.dataflow is not None else _flow_from_paths(spec, params)
    near = anchor if anchor is not None else params
    if near is None:
        return steps
    return [
        FlowStep(
            uses=tuple(_relocated(u, near) for u in step.uses),
            defines=tuple(_relocated(d, near) for d in step.defines),
        )
        for step in steps
    ]


def _relocated(item: _Item, near: Node) -> _Item:
    if item.node.span.file != _UNLOCATED_FILE:
        return item
    return replace(item, node=implicit_scalar(item.node.text, near))


def _flow_from_paths(spec: OpSpec, params: MapNode | None) -> list[FlowStep]:
    if params is None:
        return []
    uses = tuple(
        ExprUse(node, use_kind(path_type(spec, path)))
        for path in spec.reads
        for node in scalars_at(params, path)
    )
    defines = tuple(
        FieldDef(node.text, node, doc=f"written by `{spec.name}`")
        for path in spec.writes
        for node in scalars_at(params, path)
        if node.is_string and node.text
    )
    return [FlowStep(uses, defines)] if uses or defines else []


# --- param paths --------------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\]|\{\})*)$")


@lru_cache(maxsize=512)
def _parsed_path(path: str) -> tuple[str, ...]:
    return tuple(_parse_path(path))


def parse_path(path: str) -> list[str]:
    """``"axes[].source"`` → ``["axes", "[]", "source"]`` (parsed once per path: specs are constant)."""
    return list(_parsed_path(path))


def _parse_path(path: str) -> list[str]:
    """``"axes[].source"`` → ``["axes", "[]", "source"]``; ``[]``: each list item, ``{}``: each value."""
    parts: list[str] = []
    for segment in path.split("."):
        m = _SEGMENT.match(segment)
        if not m:
            raise InternalError(f"bug: malformed param path {path!r}")
        parts.append(m.group(1))
        parts.extend(m.group(2)[i : i + 2] for i in range(0, len(m.group(2)), 2))
    return parts


def scalars_at(params: Node | None, path: str) -> list[ScalarNode]:
    """Every non-null scalar the path reaches in the param tree (missing or misshapen parts reach nothing)."""
    nodes: list[Node] = [params] if params is not None else []
    for part in parse_path(path):
        nxt: list[Node] = []
        for node in nodes:
            if part == "[]":
                if isinstance(node, SeqNode):
                    nxt.extend(node.items)
            elif part == "{}":
                if isinstance(node, MapNode):
                    nxt.extend(e.value for e in node.entries)
            elif isinstance(node, MapNode) and (child := node.get(part)) is not None:
                nxt.append(child)
        nodes = nxt
    return [n for n in nodes if isinstance(n, ScalarNode) and n.value is not None]


def path_type(spec: OpSpec, path: str) -> ParamType:
    """The declared type at a param path; a path the params cannot hold is a bug in the spec."""
    current: ParamType = spec.params_struct
    for part in parse_path(path):
        found = _step_type(current, part)
        if found is None:
            raise InternalError(f"bug: op {spec.name!r}: path {path!r} does not match its params")
        current = found
    return current


def _step_type(t: ParamType, part: str) -> ParamType | None:
    if isinstance(t, OneOf):
        for option in t.options:
            found = _step_type(option, part)
            if found is not None:
                return found
        return None
    if part == "[]":
        return t.item if isinstance(t, ListOf) else None
    if part == "{}":
        return t.value if isinstance(t, MapOf) else None
    if isinstance(t, Struct):
        p = t.param(part)
        return p.type if p else None
    return None


def use_kind(t: ParamType) -> UseKind:
    """A param typed ``expr`` (or that may hold one) is parsed; ``field``/``str`` params name one field."""
    leaves = t.options if isinstance(t, OneOf) else (t,)
    if any(isinstance(leaf, ScalarType) and leaf.name in ("expr", "any") for leaf in leaves):
        return "expr"
    return "field"


# --- building blocks for custom data-flow functions ---------------------------------------------------------


def scalar(node: Node | None) -> ScalarNode | None:
    """``node`` if it is a non-null scalar (a string, or a number/bool written where an expression goes)."""
    return node if isinstance(node, ScalarNode) and node.value is not None else None


def name_scalar(node: Node | None) -> ScalarNode | None:
    """``node`` if it is a non-empty string scalar: something that can name a field."""
    return node if isinstance(node, ScalarNode) and node.is_string and node.text else None


def items(node: Node | None) -> Iterator[Node]:
    if isinstance(node, SeqNode):
        yield from node.items


def entries(node: Node | None) -> Iterator[tuple[ScalarNode, Node]]:
    if isinstance(node, MapNode):
        for e in node.entries:
            yield e.key, e.value


def get(node: Node | None, key: str) -> Node | None:
    return node.get(key) if isinstance(node, MapNode) else None


def is_false(node: Node | None) -> bool:
    return isinstance(node, ScalarNode) and node.value is False


def implicit_scalar(text: str, near: Node | None) -> ScalarNode:
    """A scalar holding a computed name, at ``near`` (unlocated when None: ``flow_of`` relocates it)."""
    if near is None:
        span, index = Span(_UNLOCATED_FILE, Pos(0, 0), Pos(0, 0)), _EMPTY_INDEX
    else:
        span, index = near.span, near.index
    return ScalarNode(span=span, index=index, value=text, text=text, style=ScalarStyle.PLAIN, offsets=())
