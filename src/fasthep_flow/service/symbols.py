"""Document symbols: the outline of a workflow — datasets, sources, stages (with their op and the fields
they define), globals, styles and outputs — read from this file's tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler.symbols import FieldOrigin
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import Span

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


class OutlineKind(StrEnum):
    SECTION = "section"
    DATASET = "dataset"
    SOURCE = "source"
    STAGE = "stage"
    FIELD = "field"
    GLOBAL = "global"
    STYLE = "style"
    OUTPUT = "output"
    WORKFLOW = "workflow"


@dataclass(frozen=True)
class OutlineSymbol:
    name: str
    kind: OutlineKind
    span: Span
    """The whole entry."""
    selection: Span
    """The name (a key, or the stage's id value); inside ``span``."""
    detail: str = ""
    children: tuple[OutlineSymbol, ...] = field(default=())


def _entry_span(entry: Entry) -> Span:
    return Span(entry.key.span.file, entry.key.span.start, max(entry.key.span.end, entry.value.span.end))


def _scalar_text(node: Node | None) -> str:
    return node.text if isinstance(node, ScalarNode) and node.value is not None else ""


def document_symbols(doc: Document, ctx: Context) -> list[OutlineSymbol]:
    root = doc.parsed.root
    if not isinstance(root, MapNode):
        return []
    index = doc.compiled(ctx).index
    out = []
    for entry in root.entries:
        children: list[OutlineSymbol] = []
        value = entry.value
        name = entry.key.text
        if name == "data" and isinstance(value, MapNode):
            children = _datasets(value.get("datasets"))
        elif name in ("datasets", "sources", "styles", "outputs") and isinstance(value, MapNode):
            kind = {
                "datasets": OutlineKind.DATASET,
                "sources": OutlineKind.SOURCE,
                "styles": OutlineKind.STYLE,
                "outputs": OutlineKind.OUTPUT,
            }[name]
            for e in value.entries:
                detail = ""
                if isinstance(e.value, MapNode):
                    detail = _scalar_text(e.value.get("kind")) or _scalar_text(e.value.get("op"))
                children.append(OutlineSymbol(e.key.text, kind, _entry_span(e), e.key.span, detail))
        elif name == "workflows" and isinstance(value, MapNode):
            children = [
                OutlineSymbol(
                    e.key.text,
                    OutlineKind.WORKFLOW,
                    _entry_span(e),
                    e.key.span,
                    _scalar_text(e.value.get("doc")) if isinstance(e.value, MapNode) else "",
                )
                for e in value.entries
            ]
        elif name == "analysis" and isinstance(value, MapNode):
            for e in value.entries:
                if e.key.text == "stages" and isinstance(e.value, SeqNode):
                    by_stage = _defined_by_stage(index)
                    stages = [_stage(s, by_stage) for s in e.value.items if isinstance(s, MapNode)]
                    children.append(
                        OutlineSymbol(
                            "stages",
                            OutlineKind.SECTION,
                            _entry_span(e),
                            e.key.span,
                            f"{len(stages)} stages",
                            tuple(s for s in stages if s),
                        )
                    )
                elif e.key.text == "globals" and isinstance(e.value, MapNode):
                    globs = tuple(
                        OutlineSymbol(
                            g.key.text, OutlineKind.GLOBAL, _entry_span(g), g.key.span, _scalar_text(g.value)
                        )
                        for g in e.value.entries
                    )
                    children.append(
                        OutlineSymbol(
                            "globals", OutlineKind.SECTION, _entry_span(e), e.key.span, children=globs
                        )
                    )
        out.append(
            OutlineSymbol(
                name, OutlineKind.SECTION, _entry_span(entry), entry.key.span, children=tuple(children)
            )
        )
    return out


def _datasets(node: Node | None) -> list[OutlineSymbol]:
    out = []
    if isinstance(node, SeqNode):
        for item in node.items:
            if isinstance(item, MapNode):
                name = item.get("name")
                if isinstance(name, ScalarNode) and name.value is not None:
                    out.append(
                        OutlineSymbol(
                            name.text,
                            OutlineKind.DATASET,
                            item.span,
                            name.span,
                            _scalar_text(item.get("eventtype")),
                        )
                    )
    return out


def _defined_by_stage(index: object) -> dict[str, list[Any]]:
    """Fields defined by each stage, grouped once (not one scan of every definition per stage)."""
    out: dict[str, list[Any]] = {}
    for d in getattr(index, "definitions", ()):
        if d.origin is FieldOrigin.DEFINE and d.stage is not None:
            out.setdefault(d.stage, []).append(d)
    return out


def _stage(stage: MapNode, by_stage: dict[str, list[Any]]) -> OutlineSymbol | None:
    ident = stage.get("id")
    if not isinstance(ident, ScalarNode) or ident.value is None:
        return None
    op = _scalar_text(stage.get("op"))
    fields = tuple(
        OutlineSymbol(d.name, OutlineKind.FIELD, d.span, d.span, d.detail)
        for d in by_stage.get(ident.text, ())
        if d.span.file == ident.span.file and stage.span.start <= d.span.start <= stage.span.end
    )
    return OutlineSymbol(ident.text, OutlineKind.STAGE, stage.span, ident.span, op, fields)
