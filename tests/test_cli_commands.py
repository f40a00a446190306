"""The `fasthep-flow` command around `check`: did-you-mean for a mistyped command, `ops` as rich tables and
Markdown, and `run` in a log (CI) and with `--quiet`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fasthep_flow.cli.main import main

TINY = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 500, seed: 1}
analysis:
  stages:
    - id: NMu
      op: hep.hist
      params:
        axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 6, nbins: 6}}]
"""


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    ("word", "error"),
    [
        ("chekc", "unknown command 'chekc' (did you mean 'check'?)"),
        ("rnu", "unknown command 'rnu' (did you mean 'run'?)"),
        ("schmea", "unknown command 'schmea' (did you mean 'schema'?)"),
        ("wf.flow.yaml", "unknown command 'wf.flow.yaml' (to run a workflow: fasthep-flow run wf.flow.yaml)"),
        (
            "xyzzy",
            "unknown command 'xyzzy'; the commands are: check, compile, plan, run, run-plan, cache, runs, export, "
            "run-partition, merge-partitions, merge, ops, schema, lsp, normalise, diff, show-defaults, inspect, init",
        ),
    ],
)
def test_a_mistyped_command_gets_a_suggestion_and_exit_2(
    word: str, error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run_main(["--debug", word, "analysis.flow.yaml"], capsys)
    assert rc == 2
    assert out == ""
    assert err.startswith("usage: fasthep-flow")
    assert err.splitlines()[-1] == f"fasthep-flow: error: {error}"


def test_ops_lists_every_group_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_main(["ops"], capsys)
    assert rc == 0
    assert "\x1b" not in out  # not a terminal here: no colour codes
    lines = out.splitlines()
    for title in ("sources", "stages", "renders", "observers", "functions"):
        assert title in [line.strip() for line in lines], title
    row = next(line for line in lines if line.startswith("hep.hist "))
    assert "Fill a histogram" in row
    assert any(line.startswith("sqrt ") for line in lines)


def test_ops_name_is_markdown_in_a_pipe_and_rendered_by_rich_on_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, markdown, _ = run_main(["ops", "hep.hist"], capsys)
    assert rc == 0
    assert markdown.startswith("## `hep.hist`")
    assert "| `axes` (required) |" in markdown
    rc, rendered, _ = run_main(["ops", "hep.hist", "--render", "rich"], capsys)
    assert rc == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", rendered)
    assert "\x1b[" in rendered  # drawn for a terminal
    assert "##" not in plain and "| `axes`" not in plain  # Markdown syntax rendered, not shown
    assert re.search(r"axes\s+\(required\)", plain) or re.search(r"axes.*\n.*\(required\)", plain)


def test_run_in_a_log_writes_plain_lines_and_a_table(tmp_path: Path) -> None:
    """stderr and stdout are pipes, as in CI: one line per step, no carriage returns or escape codes."""
    wf = tmp_path / "tiny.flow.yaml"
    wf.write_text(TINY, encoding="utf-8")
    cmd = [sys.executable, "-m", "fasthep_flow", "run", str(wf), "--outdir", str(tmp_path / "out")]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    both = done.stdout + done.stderr
    assert "\r" not in both and "\x1b" not in both
    assert done.stderr.splitlines()[0] == "running 1 partition of default (serial)"
    assert re.search(r"^\[100%\] 1/1 partitions, 500 events", done.stderr, re.MULTILINE)
    header = next(line for line in done.stdout.splitlines() if line.startswith("stage"))
    assert header.split() == ["stage", "events", "in", "events", "out", "time"]
    assert done.stdout.rstrip().endswith("status: ok")


def test_run_quiet_prints_nothing_when_it_succeeds(tmp_path: Path) -> None:
    wf = tmp_path / "tiny.flow.yaml"
    wf.write_text(TINY, encoding="utf-8")
    cmd = [sys.executable, "-m", "fasthep_flow", "run", str(wf), "--quiet", "--outdir", str(tmp_path / "out")]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert (tmp_path / "out" / "run.json").is_file()


def test_run_shows_warnings_unless_quiet(tmp_path: Path) -> None:
    """A histogram of four axes cannot go into the ROOT file: the run succeeds and says so (FF405)."""
    wf = Path(__file__).parent / "fixtures" / "run" / "FF405-four-axes-not-in-root.yaml"
    base = [sys.executable, "-m", "fasthep_flow", "run", str(wf)]
    loud = subprocess.run(
        [*base, "--outdir", str(tmp_path / "a")], capture_output=True, text=True, timeout=300, check=False
    )
    assert loud.returncode == 0, loud.stderr
    assert (
        "warning[FF405]: histogram 'total_mc' of stage 'Counts' has more than 3 axes: JSON only"
        in loud.stderr
    )
    quiet = subprocess.run(
        [*base, "--quiet", "--outdir", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
