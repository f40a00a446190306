"""The expression AST: small frozen nodes that remember their place in the expression text.

Every node has ``start``/``end`` character offsets into the expression string (half-open, code points), so a
diagnostic, a hover or a rename can point at the exact characters; ``ScalarNode.span_of`` turns them into a
document span. The evaluator walks these nodes directly — there is no Python code object anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    start: int
    end: int

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A literal. ``kind`` is ``number``, ``string``, ``keyword`` (True/False/None), ``fstring`` or ``ellipsis``."""

    value: object
    kind: str


@dataclass(frozen=True, slots=True)
class NamePart:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A symbol read from the data, the globals or the context: ``Muon_Pt``, or the dotted ``Dimuon.dimuon``.

    Dotted names are one symbol because fields such as the cutflow flag ``<StageId>.<group>`` contain a dot.
    """

    id: str
    parts: tuple[NamePart, ...]


@dataclass(frozen=True, slots=True)
class Field(Node):
    """``value.attr`` where ``value`` is not a plain name: a record field (``x[0].pt``), or a method callee."""

    value: Node
    attr: NamePart

    def children(self) -> tuple[Node, ...]:
        return (self.value,)


@dataclass(frozen=True, slots=True)
class Keyword(Node):
    """A keyword argument ``name=value`` of a call."""

    name: NamePart
    value: Node

    def children(self) -> tuple[Node, ...]:
        return (self.value,)


@dataclass(frozen=True, slots=True)
class Call(Node):
    func: Node
    args: tuple[Node, ...]
    """Positional arguments and ``Keyword`` nodes, in the order written."""

    def children(self) -> tuple[Node, ...]:
        return (self.func, *self.args)

    @property
    def positional(self) -> tuple[Node, ...]:
        return tuple(a for a in self.args if not isinstance(a, Keyword))

    @property
    def keywords(self) -> tuple[Keyword, ...]:
        return tuple(a for a in self.args if isinstance(a, Keyword))


@dataclass(frozen=True, slots=True)
class Slice(Node):
    lower: Node | None
    upper: Node | None
    step: Node | None

    def children(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.lower, self.upper, self.step) if n is not None)


@dataclass(frozen=True, slots=True)
class IndexTuple(Node):
    """The index of ``x[:, 0]``: several subscripts separated by commas."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class Subscript(Node):
    value: Node
    index: Node

    def children(self) -> tuple[Node, ...]:
        return (self.value, self.index)


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``-x``, ``+x``, ``~x`` or ``not x``; ``op_end`` ends the operator token."""

    op: str
    operand: Node
    op_end: int

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """An arithmetic or bitwise operator; ``op_start`` is where the operator token starts."""

    op: str
    left: Node
    right: Node
    op_start: int

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    """``a and b and c`` (or ``&&``) / ``a or b`` (or ``||``): ``op`` is normalised to ``and`` / ``or``."""

    op: str
    values: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.values


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """A comparison chain: ``0 < x <= 5`` has ``ops == ("<", "<=")`` and two comparators."""

    left: Node
    ops: tuple[str, ...]
    comparators: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return (self.left, *self.comparators)


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    """``body if test else orelse``."""

    body: Node
    test: Node
    orelse: Node

    def children(self) -> tuple[Node, ...]:
        return (self.body, self.test, self.orelse)


@dataclass(frozen=True, slots=True)
class Group(Node):
    """A parenthesised expression; kept so that spans include the parentheses and names keep their own."""

    inner: Node

    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


def is_dunder(name: str) -> bool:
    """``__class__``-style names reach Python internals; expressions may not use them (FF202)."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def walk(node: Node) -> Iterator[Node]:
    """Every node below ``node`` (included), parents before children, left to right.

    Iterative, so that a long chain such as ``a + a + ... + a`` cannot exhaust Python's recursion limit.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def depth(node: Node) -> int:
    """Height of the tree (1 for a leaf); the evaluator recurses this deep, so parse() bounds it."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in current.children())
    return best


def unwrap(node: Node) -> Node:
    """The node inside any number of parentheses."""
    while isinstance(node, Group):
        node = node.inner
    return node
