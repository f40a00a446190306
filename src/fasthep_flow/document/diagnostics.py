"""One diagnostic model for every layer; the CLI and the LSP only render it.

Shaped like ruff's JSON output: a stable code, a message naming the thing, an exact span, an optional hint,
related locations, and machine-applicable fix edits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import IntEnum

from fasthep_flow.document.codes import Code
from fasthep_flow.document.spans import LineIndex, Span


class Severity(IntEnum):
    """Ordered so that ``max()`` gives the worst; values match LSP's DiagnosticSeverity reversed."""

    HINT = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text of ``span`` with ``new_text`` (an insertion has an empty span)."""

    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: Code
    severity: Severity
    span: Span
    message: str
    hint: str | None = None
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    data: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def moved(self, span: Span) -> Diagnostic:
        return replace(self, span=span)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.start.line, self.span.start.col, self.code.id)


def error(code: Code, span: Span, message: str, **kw: object) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, span, message, **kw)  # type: ignore[arg-type]


def warning(code: Code, span: Span, message: str, **kw: object) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, span, message, **kw)  # type: ignore[arg-type]


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits to ``text`` (all spans refer to this text); later edits first.

    An edit given twice (one fix carried by two diagnostics, e.g. two missing params of one stage) is applied
    once."""
    index = LineIndex(text)
    ordered = sorted(set(edits), key=lambda e: (e.span.start, e.span.end, e.new_text), reverse=True)
    last_start: int | None = None
    for edit in ordered:
        start, end = index.offset(edit.span.start), index.offset(edit.span.end)
        if last_start is not None and end > last_start:
            continue  # overlapping edit: the one further down wins, as editors do
        text = text[:start] + edit.new_text + text[end:]
        last_start = start
    return text


class InternalError(RuntimeError):
    """A broken invariant inside fasthep-flow: a bug to report, never a user's mistake."""

    def __init__(self, message: str) -> None:
        super().__init__(message if message.startswith("bug:") else f"bug: {message}")
