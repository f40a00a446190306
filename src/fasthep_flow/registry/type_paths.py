"""What the language allows at one place of a document, found by walking its types: the keys a mapping may
have, the values a scalar may take, and their documentation.

The document's types (``workflow_types.py``) and an op's params (its spec's ``Struct``) are the one description
of the language; the JSON Schema is rendered from them and the editor walks them here, so the two cannot
drift. A place is a path of keys and item indices plus the document's own values along it
(``values_at(depth)`` gives the node at ``path[:depth]`` as plain data): a ``Selected`` mapping (a stage by
its ``op``, a source by its ``kind``) takes the branch its key names in the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fasthep_flow.registry.specs import (
    Choice,
    Const,
    Def,
    Extra,
    IfList,
    ListOf,
    MapOf,
    OneOf,
    Param,
    ParamType,
    ScalarType,
    Selected,
    Struct,
)

if TYPE_CHECKING:
    from fasthep_flow.registry.registry import Registry

PathPart = str | int
ValuesAt = Callable[[int], Any]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One key a mapping may have: the param describing it, and whether it is required there."""

    name: str
    param: Param
    required: bool

    @property
    def doc(self) -> str:
        return self.param.doc or doc_of(self.param.type)


@dataclass(frozen=True)
class Slot:
    """What the language allows at a path: the shapes the node there may have, and the params naming it
    (when the last step was a key)."""

    types: tuple[ParamType, ...] = ()
    params: tuple[Param, ...] = ()


@lru_cache(maxsize=8)
def document_type(registry: Registry) -> Struct:
    """The root of the workflow document for ``registry`` (immutable; the cache holds it, so a later registry
    is never confused with it)."""
    from fasthep_flow.registry.workflow_types import workflow_types

    return workflow_types(registry).root


def doc_of(t: ParamType) -> str:
    """The documentation a type carries itself (a named shape's, not a param's)."""
    while isinstance(t, Def | Extra):
        if isinstance(t, Extra) and t.doc:
            return t.doc
        t = t.type
    return ""


def options(t: ParamType) -> Iterator[ParamType]:
    """The shapes ``t`` stands for, with names and annotations looked through and alternatives side by side."""
    if isinstance(t, Def | Extra):
        yield from options(t.type)
    elif isinstance(t, OneOf):
        for o in t.options:
            yield from options(o)
    elif isinstance(t, IfList):
        yield ListOf(t.items)
        yield from options(t.otherwise)
    else:
        yield t


_UNKNOWN: Any = object()


def params_of(t: ParamType, value: Any = _UNKNOWN) -> Iterator[tuple[Param, bool]]:
    """The keys of mapping type ``t`` with whether each is required; a ``Selected`` mapping by the value of
    its key in ``value`` (every branch while that is not a mapping yet, none for an unknown name)."""
    if isinstance(t, Struct):
        for p in t.params:
            yield p, p.required
        return
    if not isinstance(t, Selected):
        return
    for p in t.common.params:
        yield p, p.required
    if not isinstance(value, Mapping):
        branches = [b for _, b in t.branches] + ([t.fallback] if t.fallback is not None else [])
    elif t.key in value:
        chosen = t.branch(str(value[t.key])) if isinstance(value[t.key], str) else None
        branches = [chosen] if chosen is not None else []
    else:
        branches = [t.fallback] if t.fallback is not None else []
    for b in branches:
        required = set(b.required_names()) if not b.stand_ins else set()
        for p in b.params:
            yield p, p.name in required


def slot_at(root: ParamType, path: Sequence[PathPart], values_at: ValuesAt | None = None) -> Slot:
    """The types (and the params naming them) the language allows at ``path`` under ``root``."""
    current = list(options(root))
    params: list[Param] = []
    for depth, part in enumerate(path):
        value = _value(values_at, depth, current)
        nxt: list[ParamType] = []
        params = []
        for t in current:
            if isinstance(part, int):
                if isinstance(t, ListOf):
                    nxt.extend(options(t.item))
            elif isinstance(t, MapOf):
                nxt.extend(options(t.value))
            else:
                for p, _ in params_of(t, value):
                    if p.name == part:
                        params.append(p)
                        nxt.extend(options(p.type))
        current = nxt
    return Slot(tuple(current), tuple(params))


def types_at(root: ParamType, path: Sequence[PathPart], values_at: ValuesAt | None = None) -> list[ParamType]:
    """Every shape the node at ``path`` may have (alternatives followed side by side)."""
    return list(slot_at(root, path, values_at).types)


def keys_at(
    root: ParamType, path: Sequence[PathPart], values_at: ValuesAt | None = None
) -> dict[str, KeyInfo]:
    """The keys the mapping at ``path`` may have; the first description of a key wins."""
    types = slot_at(root, path, values_at).types
    value = _value(values_at, len(path), types)
    out: dict[str, KeyInfo] = {}
    for t in types:
        for p, required in params_of(t, value):
            if p.name not in out:
                out[p.name] = KeyInfo(p.name, p, required)
    return out


def values_at(
    root: ParamType, path: Sequence[PathPart], values: ValuesAt | None = None
) -> list[tuple[object, str]]:
    """The values the scalar at ``path`` may take (a param's allowed values, choices, constants, booleans),
    each with its documentation."""
    slot = slot_at(root, path, values)
    out: list[tuple[object, str]] = []
    for p in slot.params:
        if p.allowed:
            out.extend(zip(p.allowed, p.allowed_docs or ("",) * len(p.allowed), strict=True))
    for t in slot.types:
        if isinstance(t, Choice):
            out.extend(zip(t.values, t.docs or ("",) * len(t.values), strict=True))
        elif isinstance(t, Const):
            out.append((t.value, ""))
        elif isinstance(t, ScalarType) and t.name in ("bool", "bool|str"):
            out.extend([(True, ""), (False, "")])
    return out


def _value(values_at: ValuesAt | None, depth: int, types: Sequence[ParamType]) -> Any:
    """The document's value at ``depth``, read only when a ``Selected`` mapping needs it."""
    if values_at is None or not any(isinstance(t, Selected) for t in types):
        return _UNKNOWN
    return values_at(depth)
