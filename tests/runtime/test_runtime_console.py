"""The CLI's progress display and closing summary, driven by events and a fake clock."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import error
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.runtime import (
    PartitionDone,
    PhaseStarted,
    RunFinished,
    RunResult,
    RunStarted,
    RunSummary,
    StageStats,
)
from fasthep_flow.runtime.console import ConsoleProgress, format_duration, format_rate, format_summary


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rates_and_durations_read_naturally() -> None:
    assert format_rate(2_500_000, 2.0) == "1.25M ev/s"
    assert format_rate(1500, 1.0) == "1.50k ev/s"
    assert format_rate(12, 1.0) == "12 ev/s"
    assert format_rate(10, 0.0) == "– ev/s"
    assert format_duration(59.6) == "1:00"
    assert format_duration(3725) == "1:02:05"


def test_plain_lines_at_each_tenth_and_on_failures_when_not_a_terminal() -> None:
    buf = io.StringIO()
    clock = Clock()
    show = ConsoleProgress(buf, tty=False, clock=clock)
    show(RunStarted(20, ("dy", "data"), "processes", 2))
    for done in range(1, 21):
        clock.now = done * 0.01
        show(PartitionDone(done, 20, done * 1000, done * 0.5, f"dy:f.root[{done}]", failed=done == 5))
    show(PhaseStarted("outputs", 10.1))
    show(RunFinished(False, 10.5, 20000, Path("out")))
    lines = buf.getvalue().splitlines()
    assert lines[0] == "running 20 partitions of dy, data (processes, 2 workers)"
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 12  # the first, each tenth (10 %, 20 %, ..., 100 %) and the failed partition
    assert progress[0] == "[  5%] 1/20 partitions, 1000 events, 2.00k ev/s, ETA 0:10"
    assert progress[1] == "[ 10%] 2/20 partitions, 2000 events, 2.00k ev/s, ETA 0:09"
    assert progress[3].endswith("— failed: dy:f.root[5]")
    assert progress[-1] == "[100%] 20/20 partitions, 20000 events, 2.00k ev/s"
    assert lines[-2:] == ["writing outputs …", "FAILED in 0:10: 20000 events (1.90k ev/s)"]


def test_a_log_gets_no_terminal_codes() -> None:
    """In CI (stderr not a terminal) every line is written once: no carriage returns, no escape codes."""
    buf = io.StringIO()
    show = ConsoleProgress(buf, tty=False, clock=Clock())
    show(RunStarted(300, ("dy",), "serial", 1))
    for done in range(1, 301):
        show(PartitionDone(done, 300, done * 10, done * 0.1))
    show(RunFinished(True, 30.0, 3000, Path("out")))
    text = buf.getvalue()
    assert "\r" not in text and "\x1b" not in text
    assert len(text.splitlines()) == 2 + 11  # start, end, and the first partition plus each tenth


def test_a_terminal_gets_a_rich_bar_redrawn_at_most_every_interval() -> None:
    buf = io.StringIO()
    clock = Clock()
    show = ConsoleProgress(buf, tty=True, width=100, interval=1.0, clock=clock)
    show(RunStarted(4, ("dy",), "serial", 1))
    for done in range(1, 5):
        # The clock does not move: only the first partition, the failed one and the last are drawn.
        show(PartitionDone(done, 4, done * 10, float(done), f"dy:f.root[{done}]", failed=done == 3))
    show(RunFinished(False, 4.0, 40, Path("out")))
    text = buf.getvalue()
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    frames = [f for f in re.split(r"\r|\n", plain) if "partitions" in f and "/4" in f]
    drawn = [re.search(r"(\d)/4 partitions", f).group(1) for f in frames]  # type: ignore[union-attr]
    assert drawn[0] == "0" and "2" not in drawn and {"1", "3", "4"} <= set(drawn)
    assert "1/4 partitions  10 ev/s  ETA 0:03" in plain
    assert "failed: dy:f.root[3]\n" in plain
    assert re.search(r"4/4 partitions  10 ev/s\s+1 failed", plain)
    assert plain.endswith("FAILED in 0:04: 40 events (10 ev/s)\n")
    assert "\x1b[" in text  # drawn for a terminal


def test_summary_table_totals_stages_and_lists_outputs(tmp_path: Path) -> None:
    stages = (
        StageStats("read.events", None, "dy", 0, 1000, 0.5, 2),
        StageStats("stage.Sel", "Sel", "dy", 1000, 400, 0.25, 2),
        StageStats("stage.Sel", "Sel", "data", 2000, 900, 0.5, 2),
    )
    summary = RunSummary("serial", 1, 4, 4, 3000, 2.0, ("dy", "data"), stages)
    diag = error(codes.STAGE_FAILED, Span.point("wf.yaml", Pos(0, 0)), "x")
    result = RunResult(False, tmp_path, [tmp_path / "run.json", tmp_path / "hists/Sel.json"], [diag], summary)
    text = format_summary(result)
    lines = text.splitlines()
    assert lines[0].split() == ["stage", "events", "in", "events", "out", "time"]
    assert set(lines[1]) == {"─"}
    assert lines[2].split() == ["read.events", "0", "1,000", "0.50", "s"]
    assert lines[3].split() == ["Sel", "3,000", "1,300", "0.75", "s"]
    assert "\x1b" not in text
    assert "4/4 partitions, 3,000 events in 0:02 (1.50k ev/s, serial)" in text
    assert f"outputs in {tmp_path}:\n  hists/Sel.json\n  run.json\n" in text
    assert lines[-1] == "status: FAILED (1 error)"
