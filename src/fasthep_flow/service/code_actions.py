"""Code actions: the quick fixes the diagnostics carry.

Every fix is made by the check that reports the problem and travels on the diagnostic (``Diagnostic.fix``), so
the editor offers exactly the edits ``fasthep-flow check --fix`` applies — "did you mean" replacements and
"add missing required params" alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.document.diagnostics import Diagnostic, Edit
from fasthep_flow.document.spans import Span
from fasthep_flow.service.diagnose import diagnose

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


@dataclass(frozen=True)
class Action:
    title: str
    kind: str
    """``quickfix`` (LSP CodeActionKind)."""
    edits: tuple[Edit, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    preferred: bool = False


def _overlaps(a: Span, b: Span) -> bool:
    return a.start <= b.end and b.start <= a.end


def code_actions(doc: Document, span: Span, ctx: Context) -> list[Action]:
    """One action per distinct fix of the diagnostics at ``span``; a fix two diagnostics share (two missing
    params of one stage) is offered once, naming both."""
    by_fix: dict[tuple[str, tuple[Edit, ...]], list[Diagnostic]] = {}
    safe: dict[tuple[str, tuple[Edit, ...]], bool] = {}
    for d in diagnose(doc, ctx):
        if d.fix is not None and d.span.file == doc.path and _overlaps(d.span, span):
            key = (d.fix.title, d.fix.edits)
            by_fix.setdefault(key, []).append(d)
            safe[key] = d.fix.safe
    return [
        Action(title, "quickfix", edits, tuple(found), preferred=safe[(title, edits)])
        for (title, edits), found in by_fix.items()
    ]
