"""The CLI's view of a run, drawn with rich: a live progress bar on a terminal, plain lines in a log, and a
closing summary table.

Driven only by progress events (``runtime/progress.py``) and the ``RunResult``, so it can be tested with a
string buffer and a fake clock. On a terminal the bar is rich's ``Progress``, redrawn at most every
``interval`` seconds of the given clock (and on the last or a failed partition). In a log — CI, a file, a pipe —
a terminal's redraws would be carriage-return spam, so each line is written once: the start, every tenth of the
partitions (or every ``log_every`` seconds, whichever comes first), each failed partition, the phases after the
partitions, and the end. rich is imported only when something is drawn with it: ``check`` never loads it.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fasthep_flow.runtime.options import RunResult
from fasthep_flow.runtime.progress import (
    PartitionDone,
    PhaseStarted,
    ProgressEvent,
    RunFinished,
    RunStarted,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

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


def make_console(stream: TextIO, *, terminal: bool | None = None, width: int | None = None) -> Console:
    """A rich console on ``stream``; ``terminal`` forces (or forbids) terminal behaviour, as tests need."""
    from rich.console import Console

    return Console(
        file=stream,
        force_terminal=terminal,
        width=width,
        color_system="auto" if terminal is not False else None,
        highlight=False,
        soft_wrap=False,
    )


class ConsoleProgress:
    """A progress callback for ``run_plan`` writing to ``stream`` (stderr by default)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        width: int | None = None,
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
        self._failed = 0
        self._console: Console | None = None
        self._bar: Any = None
        """rich ``Progress`` while the partitions run on a terminal."""
        self._task: Any = None

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, RunStarted):
            datasets = ", ".join(event.datasets) or "no datasets"
            workers = f", {event.workers} workers" if event.executor != "serial" else ""
            noun = "partition" if event.total == 1 else "partitions"
            self._line(f"running {event.total} {noun} of {datasets} ({event.executor}{workers})")
            if self.tty and event.total:
                self._start_bar(event.total)
        elif isinstance(event, PartitionDone):
            self._failed += int(event.failed)
            if self.tty:
                self._draw(event)
            else:
                self._log(event)
        elif isinstance(event, PhaseStarted):
            self._line(PHASES.get(event.name, event.name) + " …")
        elif isinstance(event, RunFinished):
            status = "done" if event.ok else "FAILED"
            self._line(
                f"{status} in {format_duration(event.elapsed)}: {event.events} events "
                f"({format_rate(event.events, event.elapsed)})"
            )

    # -- a terminal: one bar, redrawn ----------------------------------------------------------------------
    def _start_bar(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TextColumn("partitions  {task.fields[rate]}  {task.fields[eta]}{task.fields[failed]}"),
            console=self._rich(),
            auto_refresh=False,  # redrawn by _draw, throttled by our clock, so tests see exactly what a user sees
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task("partitions", total=total, rate="", eta="", failed="")
        self._bar.start()

    def _draw(self, event: PartitionDone) -> None:
        if self._bar is None:
            self._start_bar(event.total)
        remaining = eta(event.done, event.total, event.elapsed)
        self._bar.update(
            self._task,
            completed=event.done,
            rate=format_rate(event.events, event.elapsed),
            eta=f"ETA {format_duration(remaining)}" if remaining is not None else "",
            failed=f"  [red]{self._failed} failed[/]" if self._failed else "",
        )
        if event.failed:
            self._bar.console.print(f"[red]failed:[/] {event.partition}", markup=True, highlight=False)
        now = self.clock()
        if event.done >= event.total or event.failed or now - self._last_draw >= self.interval:
            self._bar.refresh()
            self._last_draw = now

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.refresh()
            self._bar.stop()
            self._bar = None

    # -- a log: plain lines, each written once ------------------------------------------------------------------
    def _log(self, event: PartitionDone) -> None:
        now = self.clock()
        last = event.done >= event.total
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
            self._write(text)
            self._last_decile = decile
            self._last_draw = now

    def _line(self, text: str) -> None:
        self._stop_bar()
        self._write(text)

    def _write(self, text: str) -> None:
        if self.tty:
            self._rich().print(text, markup=False, highlight=False)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _rich(self) -> Console:
        if self._console is None:
            self._console = make_console(self.stream, terminal=True, width=self.width)
        return self._console


def summary_renderables(result: RunResult, max_outputs: int = 20) -> list[RenderableType]:
    """The closing summary: per stage events in/out and time, then totals, where the outputs are, the status."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows: dict[str, list[float]] = {}
    labels: dict[str, str] = {}
    for s in result.summary.stages:
        row = rows.setdefault(s.node, [0, 0, 0.0])
        row[0] += s.events_in
        row[1] += s.events_out
        row[2] += s.seconds
        own = s.node == f"stage.{s.stage}" or s.node.startswith(f"stage.{s.stage}@")  # a variation's copy
        labels[s.node] = s.node.removeprefix("stage.") if own else s.node
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("stage")
    for name in ("events in", "events out", "time"):
        table.add_column(name, justify="right")
    for node, r in rows.items():
        table.add_row(labels[node], f"{int(r[0]):,}", f"{int(r[1]):,}", f"{r[2]:.2f} s")
    summary = result.summary
    rate = format_rate(summary.events, summary.elapsed)
    lines = [
        f"{summary.partitions_done}/{summary.partitions} partitions, {summary.events:,} events in "
        f"{format_duration(summary.elapsed)} ({rate}, {summary.executor})",
        f"outputs in {result.outdir}:",
    ]
    shown = sorted(result.outputs)[:max_outputs]
    lines += [f"  {_relative(path, result.outdir)}" for path in shown]
    if len(result.outputs) > len(shown):
        lines.append(f"  … and {len(result.outputs) - len(shown)} more (see run.json)")
    errors = len(result.errors)
    status = Text("status: ")
    if result.ok:
        status.append("ok", style="green")
    else:
        status.append(f"FAILED ({errors} error{'s' if errors != 1 else ''})", style="bold red")
    return [table, Text(""), Text("\n".join(lines)), status]


def print_summary(result: RunResult, console: Console) -> None:
    for part in summary_renderables(result):
        console.print(part)


def format_summary(result: RunResult, max_outputs: int = 20) -> str:
    """The closing summary as plain text (no colour, no terminal codes), as a log receives it."""
    buffer = io.StringIO()
    console = make_console(buffer, terminal=False, width=200)
    for part in summary_renderables(result, max_outputs):
        console.print(part)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def format_explain(cache: Mapping[str, Any]) -> str:
    """``--explain``: per node and dataset, partitions reused and recomputed, and the reasons."""
    if not cache.get("enabled"):
        return "cache: off (every node ran)"
    lines = [f"cache: {cache.get('reused', 0)} reused, {cache.get('recomputed', 0)} recomputed"]
    if cache.get("note"):
        lines.append(f"  {cache['note']}")
    for row in cache.get("nodes", ()):
        total = row["reused"] + row["recomputed"]
        state = f"{row['reused']}/{total} reused"
        why = "; ".join(f"{reason} ({n})" for reason, n in row["why"].items())
        lines.append(
            f"  {row['node']} [{row['dataset']}]: {state}" + (f" - recomputed: {why}" if why else "")
        )
    return "\n".join(lines)
