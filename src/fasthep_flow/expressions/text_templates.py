"""Report templates: the part of the Jinja template syntax that upstream's report templates use, parsed by Lark
(``grammar/template.lark``) and rendered here — never compiled to Python, never ``eval``/``exec``.

Upstream (``hep.report.template``) renders its report context through a Jinja template; a workflow can point a
report at its own template file. This module reads such a file into a small tree and renders the tree with a
context of plain data (mappings, lists, strings, numbers), so a template can only *show* data:

* ``{{ expr }}`` (output), ``{% for a[, b] in expr %}…{% else %}…{% endfor %}``, ``{% if %}…{% elif %}…{% else
  %}…{% endif %}``, ``{# comment #}``; a ``-`` inside a delimiter (``{%-``, ``-%}``) strips the whitespace on
  that side, as Jinja does; one trailing newline of the template is dropped (Jinja's default).
* Expressions: names, ``a.b`` and ``a["b"]``/``a[0]``, string/number/boolean/none literals, ``and``/``or``/``not``,
  comparisons (``== != < <= > >= in``, ``not in``), ``is [not] defined|none``, ``~`` (concatenation),
  parentheses, the mapping methods ``items()``/``keys()``/``values()``, ``loop.index``/``first``/``last``/…, and
  the filters of ``FILTERS``.

Rendering is total: a missing key renders as an empty string and iterates as nothing (so a run never fails on
data), while ``check_names`` finds, before any run, the names and attributes that cannot exist for a context of a
known ``Shape`` — the mistakes upstream reports only when it renders (Jinja's ``StrictUndefined``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_OUTPUT = 16 * 1024 * 1024
"""A report larger than this stops growing (a loop over a huge list would otherwise fill the disk)."""
MAX_STEPS = 5_000_000
"""Nodes rendered before a report stops growing (nested loops over long lists that print nothing)."""


class TemplateError(Exception):
    """A template that does not parse, or names what its context cannot hold; 1-based line and column."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"line {line}, column {col}: {message}")
        self.message, self.line, self.col = message, line, col


# ---------------------------------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Where:
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Const:
    value: Any


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    at: Where


@dataclass(frozen=True, slots=True)
class Attr:
    obj: Any
    name: str
    at: Where


@dataclass(frozen=True, slots=True)
class Item:
    obj: Any
    key: Any
    at: Where


@dataclass(frozen=True, slots=True)
class Method:
    obj: Any
    name: str
    at: Where


@dataclass(frozen=True, slots=True)
class Filter:
    value: Any
    name: str
    args: tuple[Any, ...]
    at: Where


@dataclass(frozen=True, slots=True)
class Test:
    value: Any
    name: str
    negated: bool


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Output:
    expr: Any


@dataclass(frozen=True, slots=True)
class For:
    targets: tuple[str, ...]
    iterable: Any
    body: tuple[Any, ...]
    empty: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class If:
    branches: tuple[tuple[Any, tuple[Any, ...]], ...]
    otherwise: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Template:
    body: tuple[Any, ...]

    def render(self, context: Mapping[str, Any]) -> str:
        out = _Out()
        _render_body(self.body, dict(context), out)
        return "".join(out.parts)


# ----------------------------------------------------------------------------------------------- the parser


def parse_template(source: str) -> Template:
    """The tree of ``source``; a ``TemplateError`` (with its line and column) when it does not parse.

    The grammar is ``grammar/template.lark``, parsed by Lark (``template_grammar``), imported here on first use
    so that importing this module (the compiler does) builds no parser."""
    from fasthep_flow.expressions.template_grammar import parse

    return parse(source[:-1] if source.endswith("\n") else source)  # Jinja drops one trailing newline


# -------------------------------------------------------------------------------------------- the renderer


class _Undefined:
    """A missing key: renders as nothing, is false, iterates as nothing, has only missing attributes."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


UNDEFINED = _Undefined()


@dataclass
class _Out:
    parts: list[str] = field(default_factory=list)
    size: int = 0
    steps: int = 0

    @property
    def full(self) -> bool:
        return self.size >= MAX_OUTPUT or self.steps >= MAX_STEPS

    def write(self, text: str) -> None:
        if self.size < MAX_OUTPUT:
            text = text[: MAX_OUTPUT - self.size]
            self.parts.append(text)
            self.size += len(text)


def _text(value: Any) -> str:
    return "" if value is UNDEFINED else str(value)


def _iterable(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value)
    if isinstance(value, str) or not isinstance(value, Iterable):
        return []
    return list(value)


def _length(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 0


def _join(value: Any, sep: Any = "") -> str:
    return _text(sep).join(_text(v) for v in _iterable(value))


def _default(value: Any, fallback: Any = "", boolean: Any = False) -> Any:
    return fallback if value is UNDEFINED or (boolean and not value) else value


def _sort(value: Any, reverse: Any = False) -> list[Any]:
    items = _iterable(value)
    try:
        return sorted(items, reverse=bool(reverse))
    except TypeError:
        return sorted(items, key=_text, reverse=bool(reverse))


def _number(value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        return kind(0)


def _round(value: Any, precision: Any = 0) -> Any:
    try:
        return round(float(value), int(precision))
    except (TypeError, ValueError):
        return value


FILTERS: dict[str, Callable[..., Any]] = {
    "join": _join,
    "length": _length,
    "count": _length,
    "default": _default,
    "d": _default,
    "upper": lambda v: _text(v).upper(),
    "lower": lambda v: _text(v).lower(),
    "title": lambda v: _text(v).title(),
    "capitalize": lambda v: _text(v).capitalize(),
    "trim": lambda v: _text(v).strip(),
    "string": _text,
    "replace": lambda v, old="", new="": _text(v).replace(_text(old), _text(new)),
    "first": lambda v: next(iter(_iterable(v)), UNDEFINED),
    "last": lambda v: (_iterable(v) or [UNDEFINED])[-1],
    "sort": _sort,
    "list": _iterable,
    "dictsort": lambda v: sorted(v.items(), key=lambda kv: _text(kv[0])) if isinstance(v, Mapping) else [],
    "round": _round,
    "int": lambda v: _number(v, int),
    "float": lambda v: _number(v, float),
    "escape": lambda v: html.escape(_text(v)),
    "e": lambda v: html.escape(_text(v)),
}
"""Filter name → function of the value and the filter's arguments; each returns something for any value."""

TESTS = ("defined", "undefined", "none")
METHODS = ("items", "keys", "values")


def _get(obj: Any, key: Any) -> Any:
    if isinstance(obj, Mapping):
        try:
            return obj.get(key, UNDEFINED)
        except TypeError:  # an unhashable key (a list used as a key)
            return UNDEFINED
    if isinstance(obj, Sequence) and not isinstance(obj, str) and isinstance(key, int):
        return obj[key] if -len(obj) <= key < len(obj) else UNDEFINED
    return UNDEFINED


def _compare(op: str, left: Any, right: Any) -> bool:
    try:
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == "in":
            return left in right if not isinstance(right, _Undefined) else False
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


def _value(node: Any, scope: Mapping[str, Any]) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Name):
        return scope.get(node.name, UNDEFINED)
    if isinstance(node, Attr):
        return _get(_value(node.obj, scope), node.name)
    if isinstance(node, Item):
        return _get(_value(node.obj, scope), _value(node.key, scope))
    if isinstance(node, Method):
        obj = _value(node.obj, scope)
        if not isinstance(obj, Mapping):
            return []
        return list(getattr(obj, node.name)())
    if isinstance(node, Filter):
        args = [_value(a, scope) for a in node.args]
        try:
            return FILTERS[node.name](_value(node.value, scope), *args)
        except TypeError:  # too many arguments: the filter leaves the value as it is
            return _value(node.value, scope)
    if isinstance(node, Test):
        value = _value(node.value, scope)
        result = {"defined": value is not UNDEFINED, "undefined": value is UNDEFINED, "none": value is None}
        return result[node.name] != node.negated
    if isinstance(node, Unary):
        return not _value(node.value, scope)
    assert isinstance(node, Binary)
    left = _value(node.left, scope)
    if node.op == "or":
        return left if left else _value(node.right, scope)
    if node.op == "and":
        return _value(node.right, scope) if left else left
    right = _value(node.right, scope)
    if node.op == "~":
        return _text(left) + _text(right)
    return _compare(node.op, left, right)


def _loop(index: int, length: int) -> dict[str, Any]:
    return {
        "index": index + 1,
        "index0": index,
        "revindex": length - index,
        "revindex0": length - index - 1,
        "first": index == 0,
        "last": index == length - 1,
        "length": length,
    }


def _render_body(body: Sequence[Any], scope: dict[str, Any], out: _Out) -> None:
    for node in body:
        out.steps += 1
        if out.full:
            return
        if isinstance(node, str):
            out.write(node)
        elif isinstance(node, Output):
            out.write(_text(_value(node.expr, scope)))
        elif isinstance(node, If):
            for test, branch in node.branches:
                if _value(test, scope):
                    _render_body(branch, scope, out)
                    break
            else:
                _render_body(node.otherwise, scope, out)
        else:
            items = _iterable(_value(node.iterable, scope))
            if not items:
                _render_body(node.empty, scope, out)
            for n, item in enumerate(items):
                inner = dict(scope)
                inner["loop"] = _loop(n, len(items))
                if len(node.targets) == 1:
                    inner[node.targets[0]] = item
                else:
                    parts = list(item) if isinstance(item, Sequence) and not isinstance(item, str) else []
                    for k, target in enumerate(node.targets):
                        inner[target] = parts[k] if k < len(parts) else UNDEFINED
                _render_body(node.body, inner, out)


# ------------------------------------------------------------------------------------ checking against a shape


@dataclass(frozen=True, slots=True)
class Shape:
    """What a context value can be: a mapping with known ``keys`` (each a shape), a list of ``item``, a scalar,
    or anything (``ANY``: a mapping whose keys vary, such as the software versions)."""

    kind: str  # "map", "list", "scalar", "any"
    keys: tuple[tuple[str, Shape], ...] = ()
    item: Shape | None = None

    def key(self, name: str) -> Shape | None:
        return dict(self.keys).get(name)


ANY = Shape("any")
SCALAR = Shape("scalar")


def mapping(**keys: Shape) -> Shape:
    return Shape("map", tuple(keys.items()))


def list_of(item: Shape) -> Shape:
    return Shape("list", item=item)


_LOOP = mapping(**{k: SCALAR for k in _loop(0, 1)})
_PAIR = list_of(ANY)


def check_names(template: Template, context: Shape) -> list[TemplateError]:
    """Names and attributes of ``template`` that a context of shape ``context`` cannot hold."""
    problems: list[TemplateError] = []
    _check_body(template.body, dict(context.keys), problems)
    return problems


def _check_body(body: Sequence[Any], scope: dict[str, Shape], problems: list[TemplateError]) -> None:
    for node in body:
        if isinstance(node, Output):
            _shape(node.expr, scope, problems)
        elif isinstance(node, If):
            for test, branch in node.branches:
                _shape(test, scope, problems, tested=True)
                _check_body(branch, scope, problems)
            _check_body(node.otherwise, scope, problems)
        elif isinstance(node, For):
            items = _shape(node.iterable, scope, problems)
            item = items.item if items.kind == "list" and items.item is not None else ANY
            inner = {**scope, "loop": _LOOP}
            for target in node.targets:
                inner[target] = item if len(node.targets) == 1 else ANY
            _check_body(node.body, inner, problems)
            _check_body(node.empty, scope, problems)


def _known(shape: Shape) -> str:
    return ", ".join(k for k, _ in shape.keys) or "nothing"


def _shape(
    node: Any, scope: Mapping[str, Shape], problems: list[TemplateError], tested: bool = False
) -> Shape:
    if isinstance(node, Const):
        return SCALAR
    if isinstance(node, Name):
        if node.name in scope:
            return scope[node.name]
        if not tested:
            problems.append(
                TemplateError(
                    f"unknown name '{node.name}' (the report's context has: {', '.join(sorted(scope))})",
                    node.at.line,
                    node.at.col,
                )
            )
        return ANY
    if isinstance(node, Attr | Item):
        obj = _shape(node.obj, scope, problems, tested)
        if isinstance(node, Item):
            _shape(node.key, scope, problems)
            key = node.key.value if isinstance(node.key, Const) and isinstance(node.key.value, str) else None
            if obj.kind == "list":
                return obj.item or ANY
        else:
            key = node.name
        if obj.kind == "map" and key is not None:
            found = obj.key(key)
            if found is None and not tested:
                problems.append(
                    TemplateError(
                        f"no attribute '{key}' here (it has: {_known(obj)})", node.at.line, node.at.col
                    )
                )
            return found or ANY
        if obj.kind in ("scalar", "list") and key is not None and not tested:
            problems.append(
                TemplateError(
                    f"'{key}' of a {'list' if obj.kind == 'list' else 'single value'}",
                    node.at.line,
                    node.at.col,
                )
            )
        return ANY
    if isinstance(node, Method):
        obj = _shape(node.obj, scope, problems, tested)
        if obj.kind in ("scalar", "list"):
            problems.append(
                TemplateError(f"'{node.name}()' of a value that is not a mapping", node.at.line, node.at.col)
            )
        if node.name == "keys":
            return list_of(SCALAR)
        if node.name == "values":
            return list_of(ANY)
        return list_of(_PAIR)
    if isinstance(node, Filter):
        value = _shape(node.value, scope, problems, tested or node.name in ("default", "d"))
        for arg in node.args:
            _shape(arg, scope, problems)
        if node.name in ("first", "last"):
            return value.item if value.kind == "list" and value.item is not None else ANY
        if node.name in ("sort", "list"):
            return value if value.kind == "list" else list_of(ANY)
        if node.name == "dictsort":
            return list_of(_PAIR)
        if node.name in ("default", "d"):
            return value
        return SCALAR
    if isinstance(node, Test):
        _shape(node.value, scope, problems, tested=True)
        return SCALAR
    if isinstance(node, Unary):
        _shape(node.value, scope, problems, tested)
        return SCALAR
    assert isinstance(node, Binary)
    left = _shape(node.left, scope, problems, tested)
    right = _shape(node.right, scope, problems, tested)
    if node.op in ("or", "and"):
        return left if left.kind == right.kind else ANY
    return SCALAR
