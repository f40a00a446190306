"""Builds the AST (``tree.py``) straight from the LALR parser's reductions.

Passed to Lark as its ``transformer``, so no intermediate parse tree is made: each grammar rule or alias left in
``grammar/expression.lark`` has one method here, which receives the already-built children and the named
tokens (with their offsets). Nothing here may raise for any input that the grammar accepts.
"""

from __future__ import annotations

from lark import Token, Transformer, Tree

from fasthep_flow.document import InternalError
from fasthep_flow.expressions.tree import (
    Binary,
    BoolOp,
    Call,
    Compare,
    Conditional,
    Const,
    Field,
    Group,
    IndexTuple,
    Keyword,
    Name,
    NamePart,
    Node,
    Slice,
    Subscript,
    Unary,
)

CONSTANTS: dict[str, object] = {"True": True, "False": False, "None": None, "true": True, "false": False}
"""Names that are literals. ``true``/``false`` are accepted because YAML authors write them."""

_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _part(tok: Token) -> NamePart:
    return NamePart(str(tok), tok.start_pos, tok.end_pos)


def _decode_string(raw: str) -> tuple[str, str]:
    """(prefix letters in lower case, decoded value) of a STRING token; escapes decoded by hand, not by eval."""
    quote = raw.find(raw[-1])
    prefix, body = raw[:quote].lower(), raw[quote + 1 : -1]
    if "r" in prefix or "\\" not in body:
        return prefix, body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt in _HEX_ESCAPES and _is_hex(digits := body[i + 2 : i + 2 + _HEX_ESCAPES[nxt]], nxt):
            out.append(chr(int(digits, 16)))
            i += 2 + len(digits)
        else:  # not an escape we know: keep it as written, like Python does
            out.append(body[i : i + 2])
            i += 2
    return prefix, "".join(out)


def _is_hex(digits: str, kind: str) -> bool:
    return (
        len(digits) == _HEX_ESCAPES[kind]
        and all(ch in "0123456789abcdefABCDEF" for ch in digits)
        and int(digits, 16) <= 0x10FFFF
    )


def _number(text: str) -> int | float:
    if text.isdigit():
        try:
            return int(text)
        except ValueError:  # more digits than int() converts: a float is as good as it gets
            return float(text)
    return float(text)


class AstBuilder(Transformer):
    """One method per rule / alias of the grammar; children are AST nodes, named tokens, or None."""

    # ------------------------------------------------------------------ atoms

    def name(self, c: list) -> Node:
        tok: Token = c[0]
        text = str(tok)
        if text in CONSTANTS:
            return Const(tok.start_pos, tok.end_pos, CONSTANTS[text], "keyword")
        return Name(tok.start_pos, tok.end_pos, text, (_part(tok),))

    def number(self, c: list) -> Node:
        tok: Token = c[0]
        return Const(tok.start_pos, tok.end_pos, _number(str(tok)), "number")

    def string(self, c: list) -> Node:
        tok: Token = c[0]
        prefix, value = _decode_string(str(tok))
        return Const(tok.start_pos, tok.end_pos, value, "fstring" if "f" in prefix else "string")

    def group(self, c: list) -> Node:
        lpar, inner, rpar = c
        return Group(lpar.start_pos, rpar.end_pos, inner)

    def ellipsis(self, c: list) -> Node:
        tok: Token = c[0]
        return Const(tok.start_pos, tok.end_pos, ..., "ellipsis")

    # ------------------------------------------------------------------ primaries

    def field(self, c: list) -> Node:
        value, _dot, tok = c
        if isinstance(value, Name):
            parts = (*value.parts, _part(tok))
            return Name(value.start, tok.end_pos, ".".join(p.text for p in parts), parts)
        return Field(value.start, tok.end_pos, value, _part(tok))

    def call(self, c: list) -> Node:
        func, _lpar, args, rpar = c
        if isinstance(func, Name) and len(func.parts) > 1:
            # `x.sum()`: the last part is a method of `x`, not a piece of a dotted field name
            head = func.parts[:-1]
            receiver = Name(func.start, head[-1].end, ".".join(p.text for p in head), head)
            func = Field(func.start, func.end, receiver, func.parts[-1])
        return Call(func.start, rpar.end_pos, func, tuple(args or ()))

    def arguments(self, c: list) -> list[Node]:
        return [x for x in c if isinstance(x, Node)]

    def keyword(self, c: list) -> Node:
        tok, _eq, value = c
        return Keyword(tok.start_pos, value.end, _part(tok), value)

    def subscript(self, c: list) -> Node:
        value, _lsqb, index, rsqb = c
        return Subscript(value.start, rsqb.end_pos, value, index)

    def subscripts(self, c: list) -> Node:
        items = [x for x in c if isinstance(x, Node)]
        trailing = c[-1] if isinstance(c[-1], Token) else None
        if len(items) == 1 and trailing is None:
            return items[0]
        return IndexTuple(items[0].start, trailing.end_pos if trailing else items[-1].end, tuple(items))

    def slice(self, c: list) -> Node:
        lower, colon, upper, step_part = c
        start = lower.start if lower is not None else colon.start_pos
        step: Node | None = None
        end = colon.end_pos if upper is None else upper.end
        if step_part is not None:
            step_colon, step = step_part
            end = step.end if step is not None else step_colon.end_pos
        return Slice(start, end, lower, upper, step)

    def slice_step(self, c: list) -> tuple[Token, Node | None]:
        colon, step = c
        return colon, step

    # ------------------------------------------------------------------ operators

    def unary(self, c: list) -> Node:
        op, operand = c
        return Unary(op.start_pos, operand.end, str(op), operand, op.end_pos)

    def _binary(self, c: list) -> Node:
        node: Node = c[0]
        for i in range(1, len(c), 2):
            op, right = c[i], c[i + 1]
            node = Binary(node.start, right.end, str(op), node, right, op.start_pos)
        return node

    power = term = arith = bit_and = bit_xor = bit_or = _binary

    def comparison(self, c: list) -> Node:
        return Compare(c[0].start, c[-1].end, c[0], tuple(str(t) for t in c[1::2]), tuple(c[2::2]))

    def _boolean(self, op: str, c: list) -> Node:
        values = tuple(c[0::2])
        return BoolOp(values[0].start, values[-1].end, op, values)

    def or_test(self, c: list) -> Node:
        return self._boolean("or", c)

    def and_test(self, c: list) -> Node:
        return self._boolean("and", c)

    def conditional(self, c: list) -> Node:
        body, _if, test, _else, orelse = c
        return Conditional(body.start, orelse.end, body, test, orelse)

    def __default__(self, data: str, children: list, meta: object) -> Tree:
        # Lark's helper rules (`__arith_star_0`, `_or_op`) must stay trees: the parser splices them into their
        # parent's children. Any other rule without a method is a grammar change this builder has missed.
        if not data.startswith("_"):
            raise InternalError(f"bug: grammar rule {data!r} has no AST builder method")
        return Tree(data, children)
