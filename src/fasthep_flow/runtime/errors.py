"""Run-time failures as data: which stage failed, on which dataset, file and entry range, and why.

A failing op must not take the run down with a traceback: the runtime catches what it raises and records a
``StageError``. It travels back from worker processes (so it pickles by value) and becomes a ``Diagnostic``
placed on the stage's line in the workflow, like every other problem the tool reports.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.codes import Code
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.plan import Origin


@dataclass(eq=False)
class StageError(Exception):
    """One failure of one plan node on one piece of data (a partition, a dataset, or the final merge)."""

    node: str
    """The plan node id (``stage.Dimuon``, ``write.Dimuon.0``, ``read.events``...)."""
    stage: str | None
    message: str
    """The original exception's message (or the op's own words for an ``OpError``)."""
    dataset: str | None = None
    file: str | None = None
    start: int | None = None
    stop: int | None = None
    origin: Origin | None = None
    code: Code = codes.STAGE_FAILED
    exc_type: str = ""
    hint: str | None = None
    traceback: str | None = None
    """Kept only with ``debug``: the full Python traceback of the original exception."""
    workflow_file: str | None = None
    attempts: int = 1

    def __post_init__(self) -> None:
        super().__init__(self.summary)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle their ``args``; a dataclass exception must say how to rebuild itself instead.
        return (_rebuild, (type(self), {f.name: getattr(self, f.name) for f in fields(self)}))

    def __str__(self) -> str:
        return self.summary

    @property
    def where(self) -> str:
        """Where in the data: ``dataset 'dy', file dy.root, entries [0, 1000)``."""
        parts = []
        if self.dataset is not None:
            parts.append(f"dataset '{self.dataset}'")
        if self.file:
            parts.append(f"file {self.file}")
        if self.start is not None:
            stop = "end" if self.stop is None else str(self.stop)
            parts.append(f"entries [{self.start}, {stop})")
        return ", ".join(parts)

    @property
    def summary(self) -> str:
        what = f"stage '{self.stage}'" if self.stage else f"node '{self.node}'"
        if self.origin is not None:
            what += f" ({Path(self.origin.file).name}:{self.origin.line})"
        verb = "timed out" if self.code is codes.STAGE_TIMEOUT else "failed"
        where = f" on {self.where}" if self.where else ""
        reason = f"{self.exc_type}: {self.message}" if self.exc_type else self.message
        return f"{what} {verb}{where}: {reason}"

    @property
    def diagnostic(self) -> Diagnostic:
        hint = self.hint
        if hint is None and self.traceback is None and self.exc_type:
            hint = "run with --debug to keep the traceback"
        data: dict[str, object] = {
            "node": self.node,
            "stage": self.stage,
            "dataset": self.dataset,
            "file": self.file,
            "start": self.start,
            "stop": self.stop,
            "exception": self.exc_type or None,
            "attempts": self.attempts,
        }
        if self.traceback is not None:
            data["traceback"] = self.traceback
        return Diagnostic(self.code, Severity.ERROR, self.span, self.summary, hint=hint, data=data)

    @property
    def span(self) -> Span:
        if self.origin is not None:
            return line_span(self.origin.file, self.origin.line - 1)
        return Span.point(self.workflow_file or "<plan>", Pos(0, 0))


def _rebuild(cls: type[StageError], state: dict[str, Any]) -> StageError:
    return cls(**state)


@functools.lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...] | None:
    try:
        return tuple(Path(file).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return None


def line_span(file: str, line: int) -> Span:
    """The non-blank part of one 0-based line (zero-width at its start when the file cannot be read)."""
    lines = _lines(file)
    if lines is None or not 0 <= line < len(lines):
        return Span.point(file, Pos(max(line, 0), 0))
    text = lines[line]
    start = len(text) - len(text.lstrip())
    return Span(file, Pos(line, start), Pos(line, len(text.rstrip())))


@dataclass(frozen=True)
class RunProblem:
    """A problem of the run as a whole (unknown dataset, unreadable input) that belongs to no stage."""

    code: Code
    message: str
    file: str | None = None
    hint: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def diagnostic(self) -> Diagnostic:
        span = Span.point(self.file or "<plan>", Pos(0, 0))
        return Diagnostic(
            self.code, Severity.ERROR, span, self.message, hint=self.hint, data=dict(self.extra)
        )
