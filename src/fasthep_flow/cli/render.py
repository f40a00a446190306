"""Diagnostics rendered for people and tools: ``text``, ``json``, ``github`` and ``sarif``.

Every format is a small function over the same ``Diagnostic`` objects; positions become 1-based only here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fasthep_flow.document.codes import ALL_CODES
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.document.spans import LineIndex

LineSource = Callable[[str], LineIndex | None]


def display_path(file: str, cwd: Path | None = None) -> str:
    """A path as a user would type it: relative to the current folder when inside it."""
    path = Path(file)
    try:
        return str(path.resolve().relative_to((cwd or Path.cwd()).resolve()))
    except (ValueError, OSError):
        return file


def _color(enabled: bool) -> Callable[[str, str], str]:
    codes = {"red": "31", "yellow": "33", "blue": "34", "cyan": "36", "bold": "1", "dim": "2"}

    def paint(text: str, what: str) -> str:
        return f"\x1b[{codes[what]}m{text}\x1b[0m" if enabled else text

    return paint


_SEVERITY_COLOR = {
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "blue",
    Severity.HINT: "cyan",
}


def render_text(diagnostics: Sequence[Diagnostic], lines: LineSource, color: bool = False) -> str:
    """Like a compiler: ``path:line:col: error[FF101]: message``, the source line, a caret, the hint."""
    paint = _color(color)
    out: list[str] = []
    for d in diagnostics:
        where = f"{display_path(d.span.file)}:{d.span.start}"
        sev = paint(d.severity.label, _SEVERITY_COLOR[d.severity])
        out.append(f"{paint(where, 'bold')}: {sev}[{d.code.id}]: {d.message}")
        index = lines(d.span.file)
        if index is not None:
            src = index.line_text(d.span.start.line)
            if src.strip():
                width = (
                    d.span.end.col - d.span.start.col
                    if d.span.end.line == d.span.start.line
                    else len(src) - d.span.start.col
                )
                gutter = f"{d.span.start.line + 1:>5} | "
                out.append(paint(gutter, "dim") + src)
                caret = " " * d.span.start.col + "^" * max(1, width)
                out.append(
                    paint(" " * (len(gutter) - 2) + "| ", "dim") + paint(caret, _SEVERITY_COLOR[d.severity])
                )
        if d.hint:
            out.append(f"      = {paint('hint', 'cyan')}: {d.hint}")
        for rel in d.related:
            out.append(f"      = note: {display_path(rel.span.file)}:{rel.span.start}: {rel.message}")
    return "\n".join(out) + ("\n" if out else "")


def summary_line(diagnostics: Sequence[Diagnostic], nfiles: int) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    files = f"{nfiles} file{'s' if nfiles != 1 else ''}"
    if not errors and not warnings:
        return f"All checks passed ({files})."
    return f"Found {errors} error{'s' if errors != 1 else ''} and {warnings} warning{'s' if warnings != 1 else ''} in {files}."


def diagnostic_dict(d: Diagnostic) -> dict[str, object]:
    """The JSON shape (ruff-like); 1-based rows and columns as editors and people count."""

    def loc(span_pos: object) -> dict[str, int]:
        return {"row": span_pos.line + 1, "column": span_pos.col + 1}  # type: ignore[attr-defined]

    return {
        "code": d.code.id,
        "name": d.code.name,
        "severity": d.severity.label,
        "message": d.message,
        "hint": d.hint,
        "filename": d.span.file,
        "location": loc(d.span.start),
        "end_location": loc(d.span.end),
        "url": d.code.url,
        "related": [
            {"filename": r.span.file, "location": loc(r.span.start), "message": r.message} for r in d.related
        ],
        "fix": None
        if d.fix is None
        else {
            "message": d.fix.title,
            "applicability": "safe" if d.fix.safe else "unsafe",
            "edits": [
                {"content": e.new_text, "location": loc(e.span.start), "end_location": loc(e.span.end)}
                for e in d.fix.edits
            ],
        },
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([diagnostic_dict(d) for d in diagnostics], indent=2) + "\n"


_GITHUB_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.HINT: "notice",
}


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands, so errors annotate the pull request's diff."""
    out = []
    for d in diagnostics:
        s, e = d.span.start, d.span.end
        msg = d.message + (f" (hint: {d.hint})" if d.hint else "")
        out.append(
            f"::{_GITHUB_LEVEL[d.severity]} title={d.code.id} {d.code.name},file={display_path(d.span.file)},"
            f"line={s.line + 1},col={s.col + 1},endLine={e.line + 1},endColumn={e.col + 1}::{_gh_escape(msg)}"
        )
    return "\n".join(out) + ("\n" if out else "")


_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.HINT: "note",
}


def render_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    def region(span: object) -> Mapping[str, int]:
        return {
            "startLine": span.start.line + 1,  # type: ignore[attr-defined]
            "startColumn": span.start.col + 1,  # type: ignore[attr-defined]
            "endLine": span.end.line + 1,  # type: ignore[attr-defined]
            "endColumn": span.end.col + 1,  # type: ignore[attr-defined]
        }

    results = []
    for d in diagnostics:
        results.append(
            {
                "ruleId": d.code.id,
                "level": _SARIF_LEVEL[d.severity],
                "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": display_path(d.span.file)},
                            "region": region(d.span),
                        }
                    }
                ],
                "relatedLocations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": display_path(r.span.file)},
                            "region": region(r.span),
                        },
                        "message": {"text": r.message},
                    }
                    for r in d.related
                ],
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fasthep-flow",
                        "version": _version(),
                        "rules": [
                            {
                                "id": c.id,
                                "name": c.name,
                                "shortDescription": {"text": c.summary},
                                "helpUri": c.url,
                            }
                            for c in ALL_CODES
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def _version() -> str:
    from fasthep_flow._version import __version__

    return __version__
