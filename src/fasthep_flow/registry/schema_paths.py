"""What the workflow JSON Schema (``schema.py``) says about one place of a document: the keys a mapping may
have, the values a key may take, and their documentation.

The editor's completion and hover ask this module instead of carrying a schema interpreter of their own: the
schema is written in one place (``schema.py``) and read in one place (here). A place is a path of keys and
item indices from the document root plus the document's own values along it (``values_at(depth)`` gives the
node at ``path[:depth]`` as plain data), so an ``if``/``then`` branch — one per op for a stage's params, one
per kind for a source — is chosen by evaluating its ``if`` with jsonschema against the real value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fasthep_flow.registry.registry import Registry

PathPart = str | int
Schema = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One key a mapping may have: its (resolved) schema, and whether it is required."""

    name: str
    schema: Schema
    required: bool

    @property
    def doc(self) -> str:
        return str(self.schema.get("markdownDescription") or self.schema.get("description") or "")


@lru_cache(maxsize=8)
def schema_of(registry: Registry) -> Schema:
    """The workflow schema for ``registry`` (a registry is immutable; the cache holds it, so it is never
    confused with a later one)."""
    from fasthep_flow.registry.schema import workflow_schema

    return workflow_schema(registry)


def resolve(schema: Schema, root: Schema) -> Schema:
    """``schema`` with its local ``$ref`` chain merged in."""
    ref = schema.get("$ref")
    seen = 0
    while isinstance(ref, str) and ref.startswith("#/") and seen < 20:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        ref = target.get("$ref") if isinstance(target, Mapping) else None
        seen += 1
    return schema


class _Value:
    """The document's value at one depth of the path, turned into plain data only if an ``if`` asks."""

    def __init__(self, values_at: Callable[[int], Any], depth: int) -> None:
        self._values_at, self._depth = values_at, depth
        self._done = False
        self._value: Any = None

    def get(self) -> Any:
        if not self._done:
            self._value, self._done = self._values_at(self._depth), True
        return self._value


def _branches(schema: Schema, root: Schema, value: _Value) -> Iterator[Schema]:
    """The schema and every sub-schema that applies to the same value (combinators, a matching ``if``)."""
    schema = resolve(schema, root)
    yield schema
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()) or ():
            yield from _branches(sub, root, value)
    cond = schema.get("if")
    if isinstance(cond, Mapping):
        matched = _holds(cond, root, value.get())
        for key in ("then", "else") if matched is None else ("then",) if matched else ("else",):
            branch = schema.get(key)
            if isinstance(branch, Mapping):
                yield from _branches(branch, root, value)


def _holds(cond: Schema, root: Schema, value: Any) -> bool | None:
    """Whether ``value`` satisfies ``cond`` (None when there is no mapping yet: both branches apply)."""
    if not isinstance(value, Mapping):
        return None
    import jsonschema

    cls = jsonschema.validators.validator_for(root)
    return bool(cls({**cond, "$defs": root.get("$defs", {})}).is_valid(dict(value)))


def schemas_at(
    registry: Registry | None, path: Sequence[PathPart], values_at: Callable[[int], Any]
) -> tuple[Schema, ...]:
    """Every schema describing the node at ``path``: a mapping (for its keys) or a value (for its values)."""
    if registry is None:
        return ()
    root = schema_of(registry)
    current: list[Schema] = [root]
    for depth, part in enumerate(path):
        value = _Value(values_at, depth)
        nxt: list[Schema] = []
        for schema in current:
            for branch in _branches(schema, root, value):
                if isinstance(part, int):
                    items = branch.get("items")
                    if isinstance(items, Mapping):
                        nxt.append(items)
                    continue
                props = branch.get("properties") or {}
                if part in props:
                    nxt.append(props[part])
                elif isinstance(branch.get("additionalProperties"), Mapping):
                    nxt.append(branch["additionalProperties"])
                for pattern, sub in (branch.get("patternProperties") or {}).items():
                    if re.search(pattern, part):
                        nxt.append(sub)
        current = nxt
    value = _Value(values_at, len(path))
    return tuple(b for schema in current for b in _branches(schema, root, value))


def keys_of(registry: Registry | None, schemas: Sequence[Schema]) -> dict[str, KeyInfo]:
    """The keys the mapping described by ``schemas`` may have, first description wins."""
    if registry is None:
        return {}
    root = schema_of(registry)
    out: dict[str, KeyInfo] = {}
    for schema in schemas:
        required = set(schema.get("required") or ())
        for name, sub in (schema.get("properties") or {}).items():
            if name not in out and isinstance(sub, Mapping):
                out[name] = KeyInfo(name, resolve(sub, root), name in required)
    return out


def values_of(schemas: Sequence[Schema]) -> list[tuple[object, str]]:
    """The values a scalar described by ``schemas`` may take (enums, consts, booleans), with their docs."""
    values: list[tuple[object, str]] = []
    for schema in schemas:
        enum = schema.get("enum")
        if isinstance(enum, list):
            docs = schema.get("enumDescriptions") or [""] * len(enum)
            values.extend(zip(enum, docs, strict=False))
        if "const" in schema:
            values.append(
                (schema["const"], str(schema.get("markdownDescription") or schema.get("description") or ""))
            )
        t = schema.get("type")
        if t == "boolean" or (isinstance(t, list) and "boolean" in t):
            values.extend([(True, ""), (False, "")])
    return values
