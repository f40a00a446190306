"""Which names an expression at a given stage can use, and how to describe each one.

The compiler's symbol index records every field with its origin; what a stage *sees* follows its data
inputs (a field defined on another branch of the graph is not visible), plus sources, aliases, globals and the
context symbols. Completion lists these; hover describes one.
"""

from __future__ import annotations

from fasthep_flow.compiler.symbols import Definition, FieldOrigin, SymbolIndex, SymbolKind
from fasthep_flow.document.spans import Pos

_VALUE_KINDS = (SymbolKind.FIELD, SymbolKind.GLOBAL, SymbolKind.CONTEXT)


def ancestors(index: SymbolIndex, stage_id: str | None) -> set[str]:
    """Stage ids whose output stream reaches ``stage_id`` (its data inputs, transitively)."""
    out: set[str] = set()
    if stage_id is None:
        return out
    todo = [stage_id]
    while todo:
        info = index.stage(todo.pop())
        if info is None:
            continue
        for up in info.inputs:
            if not up.startswith("source:") and up not in out:
                out.add(up)
                todo.append(up)
    return out


def visible_fields(
    index: SymbolIndex,
    stage_id: str | None,
    file: str,
    pos: Pos | None,
    before_order: int | None = None,
) -> list[Definition]:
    """Definitions an expression in stage ``stage_id`` at ``pos`` can read (first definition of each name).

    A field the same stage defines is visible only to later steps: ``before_order`` is the flow order of the
    step being written (a variable is not offered inside its own expression, a cutflow's flags not inside its
    own selection), ``sys.maxsize`` after the stage (a writer's ``keep``). Without it, the cursor's position
    decides (definitions written above it).
    """
    ups = ancestors(index, stage_id)
    seen: dict[str, Definition] = {}
    for d in index.definitions:
        if d.kind not in _VALUE_KINDS or d.name in seen:
            continue
        if d.origin is FieldOrigin.DEFINE:
            if d.stage == stage_id:
                if before_order is not None:
                    if d.order >= before_order:
                        continue
                elif pos is None or d.span.file != file or not d.span.start < pos:
                    continue
            elif d.stage not in ups:
                continue
        seen[d.name] = d
    return list(seen.values())


def field_definition(index: SymbolIndex, name: str, stage_id: str | None) -> Definition | None:
    """The definition a use of ``name`` in ``stage_id`` resolves to (nearest upstream define wins)."""
    candidates = [d for d in index.definitions if d.name == name and d.kind in _VALUE_KINDS]
    if not candidates:
        return None
    ups = ancestors(index, stage_id)
    defines = [
        d for d in candidates if d.origin is FieldOrigin.DEFINE and (d.stage in ups or d.stage == stage_id)
    ]
    if defines:
        return max(defines, key=lambda d: d.order)
    others = [d for d in candidates if d.origin is not FieldOrigin.DEFINE]
    return others[0] if others else candidates[0]


def describe(d: Definition, index: SymbolIndex) -> str:
    """One line: where a field comes from (``branch of tree `events`, `var * float32```)."""
    if d.origin is FieldOrigin.DEFINE:
        expr = f": `{d.expr.text}`" if d.expr is not None else (f": {d.detail}" if d.detail else "")
        return f"defined in stage `{d.stage}`{expr}"
    if d.origin is FieldOrigin.BRANCH:
        typ = index.branch_types.get(d.name)
        detail = d.detail or "branch"
        if typ and typ not in detail:
            detail += f", `{typ}`"
        return detail
    if d.origin is FieldOrigin.ALIAS:
        return d.detail or "alias"
    if d.origin is FieldOrigin.GLOBAL or d.kind is SymbolKind.GLOBAL:
        return d.detail or "global"
    if d.origin is FieldOrigin.CONTEXT or d.kind is SymbolKind.CONTEXT:
        return d.detail or "context symbol"
    return d.detail
