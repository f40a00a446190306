"""The CLI's view of a run: a live progress bar on a terminal, plain lines in a log, and a closing summary.

Driven only by progress events (``runtime/progress.py``) and the ``RunResult``, so it can be tested with a
string buffer and a fake clock.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from fasthep_flow.runtime.options import RunResult
from fasthep_flow.runtime.progress import (
    PartitionDone,
    PhaseStarted,
    ProgressEvent,
    RunFinished,
    RunStarted,
)

PHASES = {"outputs": "writing outputs", "record": "recording the run", "merge": "merging"}


def format_rate(events: float, seconds: float) -> str:
    if seconds <= 0:
        return "– ev/s"
    rate = events / seconds
    for factor, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= factor:
            return f"{rate / factor:.2f}{unit} ev/s"
    return f"{rate:.0f} ev/s"


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def eta(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate so far; None before the first partition and after the last."""
    if done <= 0 or done >= total:
        return None
    return elapsed / done * (total - done)


class ConsoleProgress:
    """A progress callback for ``run_plan`` writing to ``stream`` (stderr by default)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        width: int = 28,
        interval: float = 0.1,
        log_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.width = width
        self.interval = interval
        self.log_every = log_every
        self.clock = clock
        self._last_draw = -1e9
        self._last_decile = -1
        self._bar_open = False
        self._failed = 0

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, RunStarted):
            datasets = ", ".join(event.datasets) or "no datasets"
            workers = f", {event.workers} workers" if event.executor != "serial" else ""
            self._line(f"running {event.total} partitions of {datasets} ({event.executor}{workers})")
        elif isinstance(event, PartitionDone):
            self._failed += int(event.failed)
            self._partition(event)
        elif isinstance(event, PhaseStarted):
            self._line(PHASES.get(event.name, event.name) + " …")
        elif isinstance(event, RunFinished):
            status = "done" if event.ok else "FAILED"
            self._line(
                f"{status} in {format_duration(event.elapsed)}: {event.events} events "
                f"({format_rate(event.events, event.elapsed)})"
            )

    def bar(self, event: PartitionDone) -> str:
        fraction = event.done / event.total if event.total else 1.0
        filled = round(fraction * self.width)
        remaining = eta(event.done, event.total, event.elapsed)
        parts = [
            "[" + "█" * filled + "░" * (self.width - filled) + "]",
            f"{event.done}/{event.total} partitions",
            format_rate(event.events, event.elapsed),
        ]
        if remaining is not None:
            parts.append(f"ETA {format_duration(remaining)}")
        if self._failed:
            parts.append(f"{self._failed} failed")
        return "  ".join(parts)

    def _partition(self, event: PartitionDone) -> None:
        now = self.clock()
        last = event.done >= event.total
        if self.tty:
            if last or event.failed or now - self._last_draw >= self.interval:
                self.stream.write("\r" + self.bar(event) + "\x1b[K")
                self.stream.flush()
                self._bar_open = True
                self._last_draw = now
            return
        decile = int(10 * event.done / event.total) if event.total else 10
        if last or event.failed or decile > self._last_decile or now - self._last_draw >= self.log_every:
            percent = 100 * event.done / event.total if event.total else 100
            remaining = eta(event.done, event.total, event.elapsed)
            text = (
                f"[{percent:3.0f}%] {event.done}/{event.total} partitions, {event.events} events, "
                f"{format_rate(event.events, event.elapsed)}"
            )
            if remaining is not None:
                text += f", ETA {format_duration(remaining)}"
            if event.failed:
                text += f" — failed: {event.partition}"
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_decile = decile
            self._last_draw = now

    def _line(self, text: str) -> None:
        if self._bar_open:
            self.stream.write("\n")
            self._bar_open = False
        self.stream.write(text + "\n")
        self.stream.flush()


def format_summary(result: RunResult, max_outputs: int = 20) -> str:
    """The closing table: per stage events in/out and time, then totals and where the outputs are."""
    rows: dict[str, list[float]] = {}
    labels: dict[str, str] = {}
    for s in result.summary.stages:
        row = rows.setdefault(s.node, [0, 0, 0.0])
        row[0] += s.events_in
        row[1] += s.events_out
        row[2] += s.seconds
        labels[s.node] = s.stage if s.node == f"stage.{s.stage}" else s.node
    header = ("stage", "events in", "events out", "time")
    table = [header] + [
        (labels[node], f"{int(r[0]):,}", f"{int(r[1]):,}", f"{r[2]:.2f} s") for node, r in rows.items()
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = []
    for i, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    summary = result.summary
    lines.append("")
    rate = format_rate(summary.events, summary.elapsed)
    lines.append(
        f"{summary.partitions_done}/{summary.partitions} partitions, {summary.events:,} events in "
        f"{format_duration(summary.elapsed)} ({rate}, {summary.executor})"
    )
    lines.append(f"outputs in {result.outdir}:")
    shown = sorted(result.outputs)[:max_outputs]
    for path in shown:
        lines.append(f"  {_relative(path, result.outdir)}")
    if len(result.outputs) > len(shown):
        lines.append(f"  … and {len(result.outputs) - len(shown)} more (see run.json)")
    status = (
        "ok" if result.ok else f"FAILED ({len(result.errors)} error{'s' if len(result.errors) != 1 else ''})"
    )
    lines.append(f"status: {status}")
    return "\n".join(lines) + "\n"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
