"""Code lenses: "▶ Run plan" and "Preview plan" at the top of the file; on each stage "Run to here" and
what a run would do with the cache ("✓ 4/4 partitions cached", "will recompute: params changed"), found by the
run's own decision without running anything (``runtime/cache_state.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.document.spans import Pos, Span

if TYPE_CHECKING:
    from fasthep_flow.runtime.cache_state import StageCacheState
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

RUN_PLAN = "fasthep-flow.runPlan"
CACHE_STATE = ""
"""A lens that only informs: no command (clients show its title as plain text)."""
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
    result = doc.compiled(ctx)
    states = cache_states(doc, ctx)
    for info in result.index.stages:
        if info.id_span is not None and info.id_span.file == doc.path:
            line = info.id_span.start.line
            where = Span(doc.path, Pos(line, 0), Pos(line, 0))
            out.append(Lens(where, "▶ Run to here", RUN_PLAN, (doc.uri, info.id)))
            state = states.get(info.id)
            if state is not None:
                out.append(Lens(where, state.title, CACHE_STATE, ()))
    return out


def cache_states(doc: Document, ctx: Context) -> dict[str, StageCacheState]:
    """Per stage, what a run would reuse (empty when the workflow cannot run, or names code not loaded)."""
    result = doc.compiled(ctx)
    if result.plan is None or result.registry is None or result.untrusted_code:
        return {}
    from fasthep_flow.runtime.cache_state import stage_cache_states

    found = stage_cache_states(result.plan, result.registry)
    return found if isinstance(found, dict) else {}
