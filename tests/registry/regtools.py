"""Small helpers shared by the registry tests: YAML text to our nodes, and locating text in it."""

from __future__ import annotations

from fasthep_flow.document.loader import parse_yaml
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode


def parse(text: str, file: str = "wf.yaml") -> MapNode:
    loaded = parse_yaml(text, file)
    assert not loaded.diagnostics, loaded.diagnostics
    assert isinstance(loaded.root, MapNode)
    return loaded.root


def params(text: str) -> MapNode:
    """The ``params:`` mapping of a snippet ``params: {...}``."""
    node = parse(text).get("params")
    assert isinstance(node, MapNode)
    return node


def texts(nodes: list[ScalarNode] | tuple[ScalarNode, ...]) -> list[str]:
    return [n.text for n in nodes]


def at(node: Node) -> tuple[int, int]:
    """1-based line and column of a node, as an editor shows it."""
    return node.span.start.line + 1, node.span.start.col + 1
