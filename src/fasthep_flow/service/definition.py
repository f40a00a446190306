"""Go to definition: from a reference (needs/from, a field in an expression, a style or output name) to the
place it is defined, and from an include or profile path to that file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import locate as loc
from fasthep_flow.service.references import symbol_at

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

_FILE_START = Pos(0, 0)


def definition(doc: Document, pos: Pos, ctx: Context) -> list[Span]:
    sym = symbol_at(doc, pos, ctx)
    if sym is not None:
        if sym.definition is not None and not sym.is_definition:
            return [sym.definition.span]
        if sym.is_definition:
            return [sym.span]
        return []
    w = loc.where(doc, pos, ctx)
    found = loc.classify(w, ctx)
    if isinstance(found, loc.IncludePath) or (
        isinstance(found, loc.NameRef) and found.kind.value == "profile"
    ):
        target = linked_file(doc, w.place.scalar_text or w.place.word)
        if target is not None:
            return [Span(str(target), _FILE_START, _FILE_START)]
    return []


def linked_file(doc: Document, written: str) -> Path | None:
    """The file a path written in the workflow names (relative to the workflow's folder), if it exists."""
    written = written.strip().strip("'\"")
    if (
        not written
        or doc.directory is None
        or written.startswith(("pkg:",))
        or ("/" not in written and not written.endswith((".yaml", ".yml")))
    ):
        return None
    path = Path(written)
    target = path if path.is_absolute() else doc.directory / path
    return target.resolve() if target.is_file() else None
