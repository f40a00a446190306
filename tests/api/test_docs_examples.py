"""The code blocks of docs/python.md run, in a folder holding the shipped toy example as `wf.flow.yaml`: a
documented example that stops working fails here. The shell blocks of docs/overrides.md run through the real CLI."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
EXAMPLE = REPO / "examples" / "toy_zmumu.flow.yaml"


def blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def small_example(folder: Path) -> Path:
    """The toy example with fewer events, so that each documented run takes a fraction of a second."""
    text = EXAMPLE.read_text(encoding="utf-8")
    smaller = re.sub(r"nevents: \d+", "nevents: 20000", text)
    assert smaller != text, "the example's event count moved: update this helper"
    target = folder / "wf.flow.yaml"
    target.write_text(smaller, encoding="utf-8")
    return target


PYTHON_BLOCKS = blocks("python.md", "python")


def test_python_page_has_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 3


@pytest.mark.parametrize("n", range(len(PYTHON_BLOCKS)))
def test_python_page_example_runs(n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    exec(compile(PYTHON_BLOCKS[n], f"docs/python.md block {n + 1}", "exec"), {})  # the docs' own code
    assert not any(p.name.startswith("fasthep-output") for p in tmp_path.iterdir()), (
        "a run without outdir wrote"
    )


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fasthep_flow", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


SHELL = [shlex.split(line) for block in blocks("overrides.md", "bash") for line in block.splitlines() if line]


@pytest.mark.parametrize("argv", SHELL, ids=[" ".join(a[1:3]) for a in SHELL])
def test_overrides_page_commands_run(argv: list[str], tmp_path: Path) -> None:
    small_example(tmp_path)
    assert argv[0] == "fasthep-flow"
    args = [*argv[1:], "--outdir", str(tmp_path / "out")] if argv[1] in ("run", "compile") else argv[1:]
    if argv[1] == "compile":
        args[-2] = "-o"
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_overrides_page_shows_the_real_error_text(tmp_path: Path) -> None:
    small_example(tmp_path)
    [shown] = blocks("overrides.md", "text")
    done = cli(
        "check", "wf.flow.yaml", "analysis.stages[Dimuon].params.weight_expr=EventWeight >= = 2", cwd=tmp_path
    )
    assert done.returncode == 1
    assert shown.strip() in done.stdout, done.stdout


def test_example_helper_keeps_the_workflow_valid(tmp_path: Path) -> None:
    done = cli("check", str(small_example(tmp_path)), cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    shutil.rmtree(tmp_path / "fasthep-output", ignore_errors=True)
