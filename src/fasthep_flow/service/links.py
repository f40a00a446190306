"""Document links: include paths, profile files and dataset input files become clickable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import Span

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


@dataclass(frozen=True, slots=True)
class Link:
    span: Span
    target: str
    """An absolute path."""
    tooltip: str = ""


def document_links(doc: Document, ctx: Context) -> list[Link]:
    root = doc.parsed.root
    if not isinstance(root, MapNode) or doc.directory is None:
        return []
    out: list[Link] = []
    for node in _strings(root.get("include")):
        out.extend(_link(doc, node, "included file"))
    use = root.get("use")
    if isinstance(use, MapNode):
        for node in _strings(use.get("profiles")):
            if node.text.endswith((".yaml", ".yml")) and not node.text.startswith("pkg:"):
                out.extend(_link(doc, node, "profile"))
    data = root.get("data")
    datasets = data.get("datasets") if isinstance(data, MapNode) else None
    if isinstance(datasets, SeqNode):
        for ds in datasets.items:
            if isinstance(ds, MapNode):
                for node in _strings(ds.get("files")):
                    out.extend(_link(doc, node, "input file"))
    return out


def _strings(node: Node | None) -> list[ScalarNode]:
    if isinstance(node, ScalarNode) and node.is_string:
        return [node]
    if isinstance(node, SeqNode):
        return [n for n in node.items if isinstance(n, ScalarNode) and n.is_string]
    return []


def _link(doc: Document, node: ScalarNode, what: str) -> list[Link]:
    assert doc.directory is not None
    path = Path(node.text)
    target = path if path.is_absolute() else doc.directory / path
    if not target.exists():
        return []
    span = node.span_of(0, len(node.text)) if node.offsets else node.span
    return [Link(span, str(target.resolve()), f"open {what}")]
