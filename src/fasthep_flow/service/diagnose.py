"""Diagnostics: exactly what ``fasthep-flow check`` reports for the current text, for this file.

An included file opened in the editor is diagnosed *as part of* the workflow that includes it (its problems
in context: a dataset file alone has no stages, and that is not an error). Problems inside included files are
shown in those files; the including file carries one ``FF005`` on its ``include:`` item that points at them
(an error for their errors, a warning for their warnings: the editor shows only the open file).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fasthep_flow.document.diagnostics import Diagnostic

if TYPE_CHECKING:
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


def diagnose(doc: Document, ctx: Context, includer: Document | None = None) -> list[Diagnostic]:
    if includer is not None:
        result = includer.compiled(ctx)
        mine = same_file(doc.path)
        return sorted(
            (d for d in result.diagnostics if same_file(d.span.file) == mine), key=Diagnostic.sort_key
        )
    result = doc.compiled(ctx)
    mine = [d for d in result.diagnostics if d.span.file == doc.path]
    if result.loaded.includes:
        from fasthep_flow.document.includes import include_warnings

        mine.extend(d for d in include_warnings(result.loaded, result.diagnostics) if d.span.file == doc.path)
    return sorted(mine, key=Diagnostic.sort_key)


def files_read(doc: Document, ctx: Context) -> list[str]:
    """Every file the compile of ``doc`` read (itself first, then its includes), as resolved paths."""
    return [same_file(f) for f in doc.compiled(ctx).loaded.files]


def same_file(path: str) -> str:
    """A path as the compile names the files it read (resolved), so two spellings of one file compare equal."""
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def diagnostics_elsewhere(doc: Document, ctx: Context) -> dict[str, list[Diagnostic]]:
    """What `check` of ``doc`` reports in *other* files (its includes), by file: shown where the problem is."""
    out: dict[str, list[Diagnostic]] = {}
    for f in files_read(doc, ctx):
        if f != same_file(doc.path):
            out[f] = []
    for d in doc.compiled(ctx).diagnostics:
        if d.span.file != doc.path:
            out.setdefault(same_file(d.span.file), []).append(d)
    return {f: sorted(ds, key=Diagnostic.sort_key) for f, ds in out.items()}
