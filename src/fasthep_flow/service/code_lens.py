"""Code lenses: "▶ Run plan" and "Preview plan" at the top of the file, "Run to here" on each stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.document.spans import Pos, Span

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

RUN_PLAN = "fasthep-flow.runPlan"
PREVIEW_PLAN = "fasthep-flow.previewPlan"


@dataclass(frozen=True)
class Lens:
    span: Span
    title: str
    command: str
    arguments: tuple[object, ...]


def code_lenses(doc: Document, ctx: Context) -> list[Lens]:
    top = Span(doc.path, Pos(0, 0), Pos(0, 0))
    out = [
        Lens(top, "▶ Run plan", RUN_PLAN, (doc.uri,)),
        Lens(top, "Preview plan", PREVIEW_PLAN, (doc.uri,)),
    ]
    index = doc.compiled(ctx).index
    for info in index.stages:
        if info.id_span is not None and info.id_span.file == doc.path:
            line = info.id_span.start.line
            out.append(
                Lens(
                    Span(doc.path, Pos(line, 0), Pos(line, 0)), "▶ Run to here", RUN_PLAN, (doc.uri, info.id)
                )
            )
    return out
