"""Find references and rename, for stage ids, fields and styles (and datasets, outputs, sources).

Occurrences come from the compiler's symbol index: every definition and every reference with its exact span
(inside an expression string, just the name's characters). Renaming refuses, with a reason, what the workflow
does not own (branches of the input file, functions, context symbols) and names it does not spell out
(``Dimuon.dimuon`` is computed from the stage id and the group).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasthep_flow.compiler.symbols import Definition, FieldOrigin, SymbolIndex, SymbolKind
from fasthep_flow.document.diagnostics import Edit
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import fields as fieldinfo

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

_RENAMEABLE = (
    SymbolKind.STAGE,
    SymbolKind.FIELD,
    SymbolKind.STYLE,
    SymbolKind.DATASET,
    SymbolKind.OUTPUT,
    SymbolKind.SOURCE,
    SymbolKind.GLOBAL,
    SymbolKind.WORKFLOW,
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NAME = re.compile(r"[^\s:#,\[\]{}'\"]+$")


@dataclass(frozen=True)
class Symbol:
    """The symbol under the cursor: its name and kind, the occurrence's span, and whether it is the definition."""

    name: str
    kind: SymbolKind
    span: Span
    stage: str | None
    definition: Definition | None
    is_definition: bool


@dataclass(frozen=True)
class Refusal:
    reason: str


@dataclass(frozen=True)
class RenameTarget:
    span: Span
    placeholder: str


def _index(doc: Document, ctx: Context, includer: Document | None) -> SymbolIndex:
    """The symbol index that knows this file's names in context: an included file (styles.yaml) is compiled
    as part of the workflow that includes it, so its definitions meet their uses there."""
    return (includer if includer is not None else doc).compiled(ctx).index


def _in_file(span: Span, doc: Document) -> bool:
    if span.file == doc.path:
        return True
    from fasthep_flow.service.diagnose import same_file

    return same_file(span.file) == same_file(doc.path)


def symbol_at(doc: Document, pos: Pos, ctx: Context, includer: Document | None = None) -> Symbol | None:
    index = _index(doc, ctx, includer)
    best: Symbol | None = None
    for r in index.references:
        if (
            _in_file(r.span, doc)
            and r.span.contains(pos)
            and (best is None or r.span.start >= best.span.start)
        ):
            best = Symbol(r.name, r.kind, r.span, r.stage, resolve(index, r.name, r.kind, r.stage), False)
    if best is not None:
        return best
    for d in index.definitions:
        if (
            _in_file(d.span, doc)
            and d.span.contains(pos)
            and (best is None or d.span.start >= best.span.start)
        ):
            best = Symbol(d.name, d.kind, d.span, d.stage, d, True)
    return best


def resolve(index: SymbolIndex, name: str, kind: SymbolKind, stage: str | None) -> Definition | None:
    if kind in (SymbolKind.FIELD, SymbolKind.GLOBAL, SymbolKind.CONTEXT):
        return fieldinfo.field_definition(index, name, stage)
    if kind is SymbolKind.STAGE:
        found = index.definitions_of(name, SymbolKind.STAGE) or index.definitions_of(name, SymbolKind.SOURCE)
    else:
        found = index.definitions_of(name, kind)
    return found[0] if found else None


def _same_symbol(index: SymbolIndex, sym: Symbol) -> tuple[list[Definition], list[Span]]:
    """Definitions and reference spans of the symbol (a field: the same name resolving to the same place)."""
    kinds = {sym.kind}
    if sym.kind in (SymbolKind.STAGE, SymbolKind.SOURCE):
        kinds = {SymbolKind.STAGE, SymbolKind.SOURCE}
    defs = [d for d in index.definitions if d.name == sym.name and d.kind in kinds]
    if (
        sym.kind is SymbolKind.FIELD
        and sym.definition is not None
        and sym.definition.origin is FieldOrigin.DEFINE
    ):
        target = sym.definition
        defs = [target]
        refs = [
            r.span
            for r in index.references
            if r.name == sym.name
            and r.kind is SymbolKind.FIELD
            and fieldinfo.field_definition(index, r.name, r.stage) == target
        ]
        return defs, refs
    refs = [r.span for r in index.references if r.name == sym.name and r.kind in kinds]
    return defs, refs


def references(
    doc: Document,
    pos: Pos,
    ctx: Context,
    include_declaration: bool = True,
    includer: Document | None = None,
) -> list[Span]:
    """Every occurrence of the symbol at ``pos``; ``includer`` is the workflow including ``doc``, if any."""
    sym = symbol_at(doc, pos, ctx, includer)
    if sym is None:
        return []
    index = _index(doc, ctx, includer)
    defs, refs = _same_symbol(index, sym)
    spans = ([d.span for d in defs] if include_declaration else []) + refs
    return _unique(spans)


def _unique(spans: list[Span]) -> list[Span]:
    seen: set[tuple[str, Pos, Pos]] = set()
    out = []
    for s in sorted(spans, key=lambda s: (s.file, s.start, s.end)):
        key = (s.file, s.start, s.end)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _why_not(sym: Symbol) -> str | None:
    if sym.kind is SymbolKind.CONTEXT:
        return f"'{sym.name}' is a context symbol provided by fasthep-flow; it cannot be renamed"
    if sym.kind not in _RENAMEABLE:
        return f"a {sym.kind.value} cannot be renamed"
    d = sym.definition
    if d is None:
        return f"'{sym.name}' is not defined in this workflow, so there is nothing to rename"
    if d.origin is FieldOrigin.BRANCH:
        return f"'{sym.name}' is a branch of the input file; rename it in the file, or add an alias under `fields:`"
    return None


def _text(doc: Document, ctx: Context, span: Span) -> str | None:
    mine = _in_file(span, doc)
    text = doc.text if mine else ctx.reader.read(span.file)
    if text is None:
        return None
    from fasthep_flow.document.spans import LineIndex

    index = doc.lines if mine else LineIndex(text)
    return text[index.offset(span.start) : index.offset(span.end)]


def prepare_rename(
    doc: Document, pos: Pos, ctx: Context, includer: Document | None = None
) -> RenameTarget | Refusal | None:
    sym = symbol_at(doc, pos, ctx, includer)
    if sym is None:
        return None
    why = _why_not(sym)
    if why is not None:
        return Refusal(why)
    written = _text(doc, ctx, sym.span)
    if written != sym.name and not (written and sym.name.endswith(written)):
        return Refusal(f"'{sym.name}' is computed here, not written out; rename what it is made from")
    definition = sym.definition
    assert definition is not None
    if _text(doc, ctx, definition.span) != sym.name:
        return Refusal(
            f"'{sym.name}' is a computed name (made by stage '{definition.stage}'); it cannot be renamed"
        )
    return RenameTarget(sym.span, written or sym.name)


def rename(
    doc: Document, pos: Pos, new_name: str, ctx: Context, includer: Document | None = None
) -> dict[str, list[Edit]] | Refusal:
    """Edits per file renaming the symbol at ``pos`` everywhere it occurs (across included files)."""
    target = prepare_rename(doc, pos, ctx, includer)
    if target is None:
        return Refusal("there is no renameable symbol here")
    if isinstance(target, Refusal):
        return target
    sym = symbol_at(doc, pos, ctx, includer)
    assert sym is not None
    pattern = _IDENT if sym.kind in (SymbolKind.FIELD, SymbolKind.GLOBAL) else _NAME
    if not pattern.match(new_name):
        return Refusal(f"'{new_name}' is not a valid {sym.kind.value} name")
    index = _index(doc, ctx, includer)
    taken = _taken(index, sym, new_name)
    if taken is not None:
        return Refusal(taken)
    defs, refs = _same_symbol(index, sym)
    edits: dict[str, list[Edit]] = {}
    for span in _unique([d.span for d in defs] + refs):
        written = _text(doc, ctx, span)
        if written == sym.name:
            replacement = new_name
        elif written and sym.name.endswith(written):
            head = sym.name[
                : len(sym.name) - len(written)
            ]  # a name relative to a collection (`pt` in `Muon_`)
            if not new_name.startswith(head):
                return Refusal(
                    f"'{sym.name}' is written as '{written}' relative to '{head}'; keep that prefix"
                )
            replacement = new_name[len(head) :]
        else:
            continue
        edits.setdefault(span.file, []).append(Edit(span, replacement))
    if sym.kind is SymbolKind.STAGE:
        _rename_stage_flags(doc, ctx, index, sym.name, new_name, edits)
    return edits


_CLASHES = {
    SymbolKind.STAGE: (SymbolKind.STAGE, SymbolKind.SOURCE),
    SymbolKind.SOURCE: (SymbolKind.STAGE, SymbolKind.SOURCE),
    SymbolKind.FIELD: (SymbolKind.FIELD, SymbolKind.GLOBAL, SymbolKind.CONTEXT),
    SymbolKind.GLOBAL: (SymbolKind.FIELD, SymbolKind.GLOBAL, SymbolKind.CONTEXT),
}


def _taken(index: SymbolIndex, sym: Symbol, new_name: str) -> str | None:
    """Why ``new_name`` cannot be used: something the new name would collide with already has it.

    Stage and source ids share one namespace (``needs``/``from`` name either); fields share theirs with
    globals and context symbols (an expression could no longer tell them apart).
    """
    if new_name == sym.name:
        return None
    from fasthep_flow.compiler.dataflow import CONTEXT_SYMBOLS

    kinds = _CLASHES.get(sym.kind, (sym.kind,))
    if SymbolKind.CONTEXT in kinds and new_name in CONTEXT_SYMBOLS:
        return f"'{new_name}' is a context symbol provided by fasthep-flow; choose another name"
    for d in index.definitions:
        if d.name == new_name and d.kind in kinds:
            what = d.kind.value if d.origin is None else f"{d.origin.value} {d.kind.value}"
            where = f" (stage '{d.stage}')" if d.stage and d.kind is SymbolKind.FIELD else ""
            return f"'{new_name}' is already the name of a {what}{where}; choose a name not in use"
    return None


def _rename_stage_flags(
    doc: Document, ctx: Context, index: SymbolIndex, old: str, new: str, edits: dict[str, list[Edit]]
) -> None:
    """Fields named after a stage (a cutflow's ``Dimuon.dimuon`` flags) follow its new id where written."""
    for r in index.references:
        if (
            r.kind is SymbolKind.FIELD
            and r.name.startswith(old + ".")
            and r.span.start.line == r.span.end.line
        ):
            written = _text(doc, ctx, r.span)
            if written is not None and written.startswith(old + "."):
                head = Span(r.span.file, r.span.start, Pos(r.span.start.line, r.span.start.col + len(old)))
                edits.setdefault(r.span.file, []).append(Edit(head, new))
