"""Code actions: the quick fixes diagnostics carry ("did you mean"), and "add missing required params"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Edit
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.registry.specs import ListOf, MapOf, Param, Struct
from fasthep_flow.service import locate as loc
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
    found = diagnose(doc, ctx)
    out: list[Action] = []
    for d in found:
        if d.fix is not None and d.span.file == doc.path and _overlaps(d.span, span):
            out.append(Action(d.fix.title, "quickfix", d.fix.edits, (d,), preferred=d.fix.safe))
    missing = add_missing_params(doc, span.start, ctx)
    if missing is not None:
        related = tuple(d for d in found if d.code is codes.MISSING_PARAM and _overlaps(d.span, span))
        out.append(Action(missing.title, "quickfix", missing.edits, related, preferred=bool(related)))
    return out


def add_missing_params(doc: Document, pos: Pos, ctx: Context) -> Action | None:
    """Insert every required param the op of the stage at ``pos`` lacks, with a placeholder value."""
    root = doc.parsed.root
    stages = loc.get_path(root, "analysis", "stages")
    if not isinstance(stages, SeqNode):
        return None
    stage = next((s for s in stages.items if isinstance(s, MapNode) and s.span.contains(pos)), None)
    if stage is None:
        return None
    op = stage.get("op")
    reg = loc.registry_for(doc, ctx)
    spec = reg.stage_op(op.text) if reg is not None and isinstance(op, ScalarNode) and op.is_string else None
    if spec is None:
        return None
    params = stage.get("params")
    present = set(params.keys()) if isinstance(params, MapNode) else set()
    missing = [p for p in spec.required_params if p.name not in present]
    if not missing:
        return None
    edit = _insertion(doc, stage, params, missing)
    if edit is None:
        return None
    names = ", ".join(p.name for p in missing)
    return Action(f"Add missing required params of {spec.name}: {names}", "quickfix", (edit,))


def placeholder(p: Param) -> str:
    if p.allowed:
        v = p.allowed[0]
        return "true" if v is True else "false" if v is False else str(v)
    options = loc.types_at(p.type, ())
    if options and all(isinstance(o, ListOf) for o in options):
        return "[]"
    if options and all(isinstance(o, Struct | MapOf) for o in options):
        return "{}"
    return '""'


def _end_of(doc: Document, node: Node) -> Pos:
    """The end of a node's last line of text (block values end at column 0 of the next line)."""
    end = node.span.end
    if end.col == 0 and end.line > node.span.start.line:
        line = end.line - 1
        while line > node.span.start.line and not doc.lines.line_text(line).strip():
            line -= 1
        return Pos(line, len(doc.lines.line_text(line)))
    return end


def _insertion(doc: Document, stage: MapNode, params: Node | None, missing: list[Param]) -> Edit | None:
    file = doc.path
    if isinstance(params, MapNode):
        start_text = doc.text[doc.offset(params.span.start) : doc.offset(params.span.start) + 1]
        if start_text == "{":
            close = Pos(params.span.end.line, params.span.end.col - 1)
            sep = ", " if params.entries else ""
            text = sep + ", ".join(f"{p.name}: {placeholder(p)}" for p in missing)
            return Edit(Span(file, close, close), text)
        if not params.entries:
            return None
        col = params.entries[0].key.span.start.col
        at = _end_of(doc, params.entries[-1].value)
        text = "".join(f"\n{' ' * col}{p.name}: {placeholder(p)}" for p in missing)
        return Edit(Span(file, at, at), text)
    if not stage.entries:
        return None
    col = stage.entries[0].key.span.start.col
    body = "".join(f"\n{' ' * (col + 2)}{p.name}: {placeholder(p)}" for p in missing)
    entry = stage.entry("params")
    if entry is not None:
        if not (isinstance(params, ScalarNode) and params.value is None):
            return None  # params is some other shape: the structure check reports that
        line = entry.key.span.start.line
        at = Pos(line, len(doc.lines.line_text(line)))
        return Edit(Span(file, at, at), body)
    at = _end_of(doc, stage.entries[-1].value)
    return Edit(Span(file, at, at), f"\n{' ' * col}params:{body}")
