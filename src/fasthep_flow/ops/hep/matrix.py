"""Upstream's `matrix:` on a `hep.define` variable: one variable per combination of the axes' values.

```yaml
- {name: "Muon{i}_Px", expr: "nth(Muon_Px, {i}, -999.0)", matrix: {i: [0, 1]}}
- {name: "Jet{j}_Px", expr: "nth(Jet_Px, {j})", matrix: {j: {range: {start: 0, stop: 2}}}}
```

`{axis}` is replaced in every string of the entry; a string that is exactly `{axis}` takes the value itself
(LANGUAGE.md §9.1). Expanded once for the plan (plain data) and once over the node tree for `check`, where
each substituted character keeps the position of its placeholder, so an error in an expanded expression is
still reported inside the original string.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from fasthep_flow.document.nodes import MapNode, Node, ScalarNode

PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_COMBINATIONS = 10_000
"""A matrix expanding into more variables than this is not expanded (it is a mistake, not an analysis)."""


def axis_values(spec: Any) -> list[Any] | None:
    """`[v, ...]` or `{range: {start, stop, step?}}`; None for any other shape (the schema reports it)."""
    if isinstance(spec, list):
        return spec
    if isinstance(spec, Mapping) and isinstance(spec.get("range"), Mapping):
        r = spec["range"]
        start, stop, step = r.get("start", 0), r.get("stop"), r.get("step", 1)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop, step)) and step != 0:
            return list(range(start, stop, step))
    return None


def combinations(matrix: Any) -> Iterator[dict[str, Any]]:
    """Every combination of the axes' values, in the order written (the last axis varies fastest)."""
    if not isinstance(matrix, Mapping) or not matrix:
        return
    names = [str(k) for k in matrix]
    values = [axis_values(matrix[k]) for k in matrix]
    if any(v is None for v in values):
        return
    total = 1
    for v in values:
        total *= len(v)  # type: ignore[arg-type]
    if total > MAX_COMBINATIONS:
        return
    for combo in itertools.product(*values):  # type: ignore[arg-type]
        yield dict(zip(names, combo, strict=True))


def substitute(value: Any, combo: Mapping[str, Any]) -> Any:
    """`{axis}` replaced in every string; a string that is exactly one placeholder becomes the value."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in combo:
            return combo[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(combo[m.group(1)]) if m.group(1) in combo else m.group(0), value)
    if isinstance(value, Mapping):
        return {k: substitute(v, combo) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, combo) for v in value]
    return value


def expand_variables(params: dict[str, Any]) -> dict[str, Any]:
    """The params with every `matrix` variable replaced by its expansion (plain data, for the plan)."""
    variables = params.get("variables")
    if not isinstance(variables, list) or not any(
        isinstance(v, Mapping) and "matrix" in v for v in variables
    ):
        return params
    out: list[Any] = []
    for v in variables:
        if isinstance(v, Mapping) and "matrix" in v:
            body = {k: x for k, x in v.items() if k != "matrix"}
            out.extend(substitute(body, combo) for combo in combinations(v["matrix"]))
        else:
            out.append(v)
    return {**params, "variables": out}


def substituted_node(node: Node | None, combo: Mapping[str, Any]) -> Node | None:
    """A scalar with its placeholders replaced; each new character keeps its placeholder's position."""
    if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
        return node
    text = node.text
    chars: list[str] = []
    offsets: list[int] = []
    i = 0
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) not in combo:
            continue
        for k in range(i, m.start()):
            chars.append(text[k])
            offsets.append(node.offset_of(k))
        replacement = str(combo[m.group(1)])
        chars.extend(replacement)
        offsets.extend([node.offset_of(m.start())] * len(replacement))
        i = m.end()
    for k in range(i, len(text)):
        chars.append(text[k])
        offsets.append(node.offset_of(k))
    offsets.append(node.offset_of(len(text)))
    new = "".join(chars)
    return ScalarNode(node.span, node.index, value=new, text=new, style=node.style, offsets=tuple(offsets))


def matrix_of(item: Node | None) -> Any:
    """The plain `matrix` of a variable node (None when absent)."""
    if not isinstance(item, MapNode):
        return None
    from fasthep_flow.document.nodes import to_python

    node = item.get("matrix")
    return to_python(node) if node is not None else None
