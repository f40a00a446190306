"""Static types of an expression, from what is known of the fields it reads — found without reading data.

A field read from an input file (or the toy source) has a known *shape*, one value per event (`NMuon`) or a
list per event (`Muon_Px`), and a known *kind* (number, bool, string). That is enough to see three mistakes
before a run: comparing a number with a string, indexing a field that has one value per event (`NMuon[0]`), and
reducing one (`sum(NMuon)`, `leading(MET_pt)`). Anything whose type is not known (a define, an alias, a global)
is unknown and never reported: the checks only speak when they are sure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fasthep_flow.expressions.tree import (
    Binary,
    Call,
    Compare,
    Const,
    Group,
    Keyword,
    Name,
    Node,
    Subscript,
    Unary,
)

EVENT, LIST, CONSTANT, UNKNOWN = "event", "list", "constant", "unknown"
NUMBER, BOOL, STRING = "number", "bool", "string"

REDUCTIONS = frozenset(
    {"count_nonzero", "any", "all", "sum", "min", "max", "num", "leading", "subleading", "nth"}
)
"""Functions that reduce each event's list to one value (their first argument must be a list per event)."""


@dataclass(frozen=True)
class StaticType:
    shape: str  # EVENT, LIST, CONSTANT or UNKNOWN
    kind: str  # NUMBER, BOOL, STRING or UNKNOWN


UNKNOWN_TYPE = StaticType(UNKNOWN, UNKNOWN)


@dataclass(frozen=True)
class TypeProblem:
    start: int
    end: int
    message: str
    hint: str


def type_of_description(text: str) -> StaticType:
    """A field's type from how the compiler describes it: uproot's `int32` / `var * float32`, or the toy
    source's `(int)` / `(jagged float)`. Anything else is unknown."""
    t = text.lower()
    if "var *" in t or "jagged" in t:
        shape = LIST
    elif any(w in t for w in ("int", "float", "double", "bool", "string")):
        shape = EVENT
    else:
        return UNKNOWN_TYPE
    if "bool" in t:
        kind = BOOL
    elif "string" in t:
        kind = STRING
    elif any(w in t for w in ("int", "float", "double")):
        kind = NUMBER
    else:
        kind = UNKNOWN
    return StaticType(shape, kind)


def check_types(expr: Node, lookup: Callable[[str], StaticType | None]) -> list[TypeProblem]:
    """The type mistakes in ``expr``; ``lookup`` gives a name's type (None: unknown)."""
    problems: list[TypeProblem] = []
    _infer(expr, lookup, problems)
    return problems


def _infer(node: Node, lookup: Callable[[str], StaticType | None], out: list[TypeProblem]) -> StaticType:
    if isinstance(node, Const):
        if node.kind == "number":
            return StaticType(CONSTANT, NUMBER)
        if node.kind in ("string", "fstring"):
            return StaticType(CONSTANT, STRING)
        if node.value is True or node.value is False:
            return StaticType(CONSTANT, BOOL)
        return UNKNOWN_TYPE
    if isinstance(node, Name):
        return lookup(node.id) or UNKNOWN_TYPE
    if isinstance(node, Group):
        return _infer(node.inner, lookup, out)
    if isinstance(node, Compare):
        return _compare(node, lookup, out)
    if isinstance(node, Subscript):
        return _subscript(node, lookup, out)
    if isinstance(node, Call):
        return _call(node, lookup, out)
    children = [_infer(c, lookup, out) for c in node.children()]
    if isinstance(node, Binary | Unary):
        kinds = {c.kind for c in children}
        kind = NUMBER if kinds <= {NUMBER, BOOL} and NUMBER in kinds else UNKNOWN
        if kinds == {BOOL}:
            kind = BOOL
        return StaticType(_broadest(children), kind)
    return StaticType(_broadest(children), UNKNOWN)


def _broadest(types: list[StaticType]) -> str:
    shapes = {t.shape for t in types}
    if UNKNOWN in shapes:
        return UNKNOWN
    if LIST in shapes:
        return LIST
    if EVENT in shapes:
        return EVENT
    return CONSTANT if shapes else UNKNOWN


def _compare(node: Compare, lookup: Callable[[str], StaticType | None], out: list[TypeProblem]) -> StaticType:
    operands = [node.left, *node.comparators]
    types = [_infer(o, lookup, out) for o in operands]
    for i in range(len(operands) - 1):
        a, b, ta, tb = operands[i], operands[i + 1], types[i], types[i + 1]
        if {ta.kind, tb.kind} == {NUMBER, STRING}:
            number, text = (a, b) if ta.kind == NUMBER else (b, a)
            out.append(
                TypeProblem(
                    a.start,
                    b.end,
                    "compares a number with a string",
                    f"{_described(number)} is a number and {_described(text)} a string: they do not compare "
                    "(write the number without quotes, or compare the string with a quoted string)",
                )
            )
    return StaticType(_broadest(types), BOOL)


def _subscript(
    node: Subscript, lookup: Callable[[str], StaticType | None], out: list[TypeProblem]
) -> StaticType:
    value = _infer(node.value, lookup, out)
    _infer(node.index, lookup, out)
    if value.shape == EVENT and isinstance(node.value, Name):
        out.append(
            TypeProblem(
                node.start,
                node.end,
                f"indexes '{node.value.id}', which has one value per event, not a list",
                f"use `{node.value.id}` itself; only list fields (one entry per object) can be indexed",
            )
        )
        return UNKNOWN_TYPE
    return (
        StaticType(EVENT if value.shape == LIST else value.shape, value.kind)
        if value.shape != UNKNOWN
        else value
    )


def _call(node: Call, lookup: Callable[[str], StaticType | None], out: list[TypeProblem]) -> StaticType:
    args = [_infer(a.value if isinstance(a, Keyword) else a, lookup, out) for a in node.args]
    name = node.func.id if isinstance(node.func, Name) else None
    if name in REDUCTIONS and node.args and not isinstance(node.args[0], Keyword):
        has_axis = any(isinstance(a, Keyword) and a.name.text == "axis" for a in node.args)
        if name in ("count_nonzero", "any", "all", "sum", "min", "max", "num") and len(node.args) > 1:
            has_axis = True  # the second positional argument is the axis
        first = node.args[0]
        if not has_axis and args[0].shape == EVENT and isinstance(first, Name):
            out.append(
                TypeProblem(
                    first.start,
                    first.end,
                    f"{name}() reduces '{first.id}', which has one value per event, not a list",
                    f"`{first.id}` is already one value per event: use it without `{name}()`",
                )
            )
            return UNKNOWN_TYPE
        if name in ("count_nonzero", "sum", "num"):
            return StaticType(EVENT if args[0].shape == LIST else UNKNOWN, NUMBER)
        if name in ("any", "all"):
            return StaticType(EVENT if args[0].shape == LIST else UNKNOWN, BOOL)
        return StaticType(EVENT if args[0].shape == LIST else UNKNOWN, args[0].kind)
    return StaticType(_broadest(args) if args else UNKNOWN, UNKNOWN)


def _described(node: Node) -> str:
    if isinstance(node, Name):
        return f"`{node.id}`"
    if isinstance(node, Const):
        return f"`{node.value!r}`" if node.kind == "string" else f"`{node.value}`"
    return "one side"
