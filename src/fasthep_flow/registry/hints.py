"""Param specs from Python type hints: what ``@fasthep_flow.op`` reads off a function or a dataclass.

A custom op written in Python says what it accepts the way Python code already does — annotations and defaults —
and becomes the same data as a built-in op's spec (``Param`` values), so its JSON Schema, completion, hover and
"wrong type" diagnostics come for free:

=====================================  ==============================================
hint                                   param type (JSON Schema)
=====================================  ==============================================
``int`` / ``float`` / ``str`` / ``bool``  ``integer`` / ``number`` / ``string`` / ``boolean``
``list[X]`` (``tuple[X, ...]``)        an array of X
``dict[str, X]``                       an object whose values are X
``Literal["a", "b"]``                  one of the values (an enum)
``X | None`` / ``Optional[X]``         X or ``null``
``Annotated[X, "doc"]``                X, with the string as the param's documentation
=====================================  ==============================================

A parameter without a default is required; one with a default is optional and shows its default. A hint this
table does not cover is a ``TypeError`` when the module is imported (reported on the workflow's ``registry:``
entry as FF113), never a silently unchecked param. Nothing here imports the user's module: it is given the
function or class already imported (through the trust gate, ``registry/trust.py``).
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fasthep_flow.registry.specs import (
    NO_DEFAULT,
    AnyType,
    Bool,
    Float,
    Int,
    ListOf,
    MapOf,
    OneOf,
    Param,
    ParamType,
    Str,
)


@dataclasses.dataclass(frozen=True)
class Nullable(ParamType):
    """``X | None``: X or ``null``, as one JSON Schema ``type`` list where X has one (so a wrong value is told
    "must be an integer or null", not matched against a lone ``null`` branch)."""

    inner: ParamType

    @property
    def display(self) -> str:
        return f"{self.inner.display} | null"

    def json_schema(self) -> dict[str, Any]:
        schema = self.inner.json_schema()
        kind = schema.get("type")
        if isinstance(kind, str) and set(schema) == {"type"}:
            return {"type": [kind, "null"]}
        return {"anyOf": [schema, {"type": "null"}]}


_SCALARS: dict[Any, ParamType] = {int: Int, float: Float, str: Str, bool: Bool, Any: AnyType}


def param_type(hint: Any, where: str) -> tuple[ParamType, tuple[object, ...], str]:
    """(type, allowed values, doc) for one annotation; ``where`` names it in the error for an unknown hint."""
    doc = ""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        hint, *extra = typing.get_args(hint)
        doc = next((e for e in extra if isinstance(e, str)), "")
        origin = typing.get_origin(hint)
    if hint in _SCALARS:
        return _SCALARS[hint], (), doc
    if origin is typing.Literal:
        values = typing.get_args(hint)
        kinds = {type(v) for v in values}
        if len(kinds) != 1 or next(iter(kinds)) not in (str, int, float, bool):
            raise TypeError(f"{where}: Literal values must all be str, or all int/float/bool")
        return _SCALARS[next(iter(kinds))], tuple(values), doc
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(options) < len(typing.get_args(hint))
        inner = [param_type(a, where) for a in options]
        if any(allowed for _, allowed, _ in inner):
            if len(inner) != 1:
                raise TypeError(f"{where}: a Literal may be Optional, not in a union with other types")
            shape, allowed, _ = inner[0]  # Optional[Literal["a", "b"]]: one of the values, or null
            return (Nullable(shape), (*allowed, None), doc) if nullable else (shape, allowed, doc)
        shapes = [t for t, _, _ in inner]
        shape = shapes[0] if len(shapes) == 1 else OneOf(*shapes)
        return (Nullable(shape) if nullable else shape), (), doc
    if origin in (list, Sequence, tuple) or hint in (list, tuple):
        args = typing.get_args(hint)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            raise TypeError(f"{where}: use tuple[X, ...] (or list[X]); fixed-length tuples are not supported")
        item = param_type(args[0], where)[0] if args else AnyType
        return ListOf(item), (), doc
    if origin in (dict, Mapping) or hint is dict:
        args = typing.get_args(hint)
        if args and args[0] is not str:
            raise TypeError(f"{where}: mapping keys must be str (YAML keys)")
        value = param_type(args[1], where)[0] if len(args) == 2 else AnyType
        return MapOf(value), (), doc
    raise TypeError(
        f"{where}: type hint {hint!r} is not supported; use int, float, str, bool, list[...], dict[str, ...], "
        "Literal[...], Optional[...] or Annotated[..., 'doc']"
    )


def _param(name: str, hint: Any, default: object, where: str) -> Param:
    ptype, allowed, doc = param_type(hint, where)
    if default is NO_DEFAULT:
        return Param(name, ptype, required=True, allowed=allowed, doc=doc)
    if isinstance(default, tuple):
        default = list(default)
    return Param(name, ptype, default=default, allowed=allowed, doc=doc)


def hints_of(func: Callable[..., Any], names: Sequence[str]) -> dict[str, Any]:
    """The resolved type hints of some of ``func``'s parameters.

    Only those: the stream's and the context's annotations are never needed, so a name used there and imported
    only inside a function (under ``from __future__ import annotations``) does not stop the op."""
    raw = inspect.get_annotations(func)
    subset = {n: raw[n] for n in names if n in raw}
    shim = types.SimpleNamespace(__annotations__=subset, __globals__=getattr(func, "__globals__", {}))
    return typing.get_type_hints(shim, include_extras=True)


def params_from_function(func: Callable[..., Any], skip: Sequence[str]) -> tuple[Param, ...]:
    """One param per parameter of ``func`` not named in ``skip`` (the stream, the run context)."""
    hints = hints_of(func, [n for n in inspect.signature(func).parameters if n not in skip])
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.name in skip:
            continue
        where = f"{func.__qualname__}({p.name})"
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(
                f"{where}: op params are passed by name; *args, **kwargs and positional-only don't fit"
            )
        if p.name not in hints:
            raise TypeError(f"{where}: give the parameter a type hint (it becomes the param's schema)")
        default = NO_DEFAULT if p.default is p.empty else p.default
        out.append(_param(p.name, hints[p.name], default, where))
    return tuple(out)


def params_from_dataclass(cls: type) -> tuple[Param, ...]:
    """One param per field; a field with a default (or default factory) is optional."""
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default: object = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = NO_DEFAULT
        out.append(_param(f.name, hints[f.name], default, f"{cls.__qualname__}.{f.name}"))
    return tuple(out)
