"""Issue 10, hole 2: a symlink inside the output folder must not let a run write or delete outside it.

Each test plants the issue's exact inputs (``out/lnk -> /some/dir`` with ``render: {out: lnk/victim.csv}``,
``write: [{path: lnk/written.root}]``, a planted ``out/run.json`` listing ``lnk/victim.txt``, a symlinked
``out/cutflows``), runs the real compiler and runtime, and checks that the folder outside is byte-for-byte as it
was and that the refusal is a diagnostic (FF307), not a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.runtime import RunOptions, RunResult, run_plan

HEAD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 1500, seed: 3}
data:
  datasets:
    - {name: toy_dy, eventtype: mc, nevents: 1500}
analysis:
  stages:
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection:
          dimuon: ["NMuon >= 2"]
        weight_expr: EventWeight
"""
STYLES = """\
styles:
  cutflow_table: {op: hep.render.cutflow_csv}
"""
RENDER = "      render: {style: cutflow_table, when: final, out: lnk/victim.csv}\n"
WRITE = (
    "      write: [{kind: root_tree, path: lnk/written.root, keep: [NMuon], when: final, format: ttree}]\n"
)
PLAIN = "      render: {style: cutflow_table, when: final, out: table.csv}\n"


def snapshot(folder: Path) -> dict[str, str | bytes]:
    """Every entry under ``folder`` (not following links): files by content, links by target, folders."""
    out: dict[str, str | bytes] = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(base) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                out[rel] = "link -> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = path.read_bytes()
    return out


@pytest.fixture(params=["swap", "in-place"])
def promotion(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a run promotes: the folder swap, and file by file (an output folder that is a mount point)."""
    from fasthep_flow.runtime import output_folder

    if request.param == "in-place":
        monkeypatch.setattr(output_folder, "_can_swap", lambda root: False)
    return str(request.param)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """``/some/dir``: a folder outside the output folder, with a folder and a file the attacks aim at."""
    some = tmp_path / "some" / "dir"
    (some / "victim.csv").mkdir(parents=True)
    (some / "victim.csv" / "precious.txt").write_text("keep me\n")
    (some / "victim.txt").write_text("keep me too\n")
    return some


def compile_(tmp_path: Path, body: str) -> object:
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(HEAD + body + STYLES)
    result = compile_file(wf)
    assert result.ok, [d.message for d in result.diagnostics]
    return result


def run(compiled: object, outdir: Path) -> RunResult:
    return run_plan(compiled.plan, RunOptions(outdir=outdir), registry=compiled.registry)  # type: ignore[attr-defined]


def codes_of(result: RunResult) -> list[str]:
    return [d.code.id for d in result.errors]


@pytest.mark.parametrize("body", [RENDER, WRITE], ids=["render-out", "write-path"])
def test_an_output_through_a_symlink_is_refused_and_nothing_outside_changes(
    tmp_path: Path, promotion: str, victim: Path, body: str
) -> None:
    compiled = compile_(tmp_path, body)
    out = tmp_path / "out"
    out.mkdir()
    (out / "lnk").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    result = run(compiled, out)
    assert not result.ok
    assert codes_of(result) == ["FF307"]
    assert "symbolic link 'lnk'" in result.errors[0].message
    assert snapshot(victim) == before
    assert (out / "lnk").is_symlink()  # the user's link is reported, not removed


def test_a_planted_run_json_cannot_make_the_next_run_delete_through_a_link(
    tmp_path: Path, promotion: str, victim: Path
) -> None:
    compiled = compile_(tmp_path, PLAIN)
    out = tmp_path / "out"
    out.mkdir()
    (out / "lnk").symlink_to(victim, target_is_directory=True)
    planted = {"format": 1, "outputs": [{"path": "lnk/victim.txt"}, {"path": "lnk/victim.csv/precious.txt"}]}
    (out / "run.json").write_text(json.dumps(planted))
    before = snapshot(victim)
    result = run(compiled, out)
    assert result.ok, [d.message for d in result.errors]
    assert snapshot(victim) == before
    assert (out / "lnk").is_symlink() and os.readlink(out / "lnk") == str(victim)
    assert (out / "table.csv").is_file()
    listed = {o["path"] for o in json.loads((out / "run.json").read_text())["outputs"]}
    assert "lnk/victim.txt" not in listed


def test_a_symlinked_cutflows_folder_is_refused(tmp_path: Path, promotion: str, victim: Path) -> None:
    compiled = compile_(tmp_path, PLAIN)
    out = tmp_path / "out"
    out.mkdir()
    (out / "cutflows").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    result = run(compiled, out)
    assert codes_of(result) == ["FF307"]
    assert "'cutflows'" in result.errors[0].message
    assert snapshot(victim) == before


def test_a_symlinked_output_folder_is_refused(tmp_path: Path, victim: Path) -> None:
    compiled = compile_(tmp_path, PLAIN)
    (tmp_path / "out").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    result = run(compiled, tmp_path / "out")
    assert codes_of(result) == ["FF307"]
    assert "is a symbolic link" in result.errors[0].message
    assert snapshot(victim) == before


def test_a_folder_the_run_did_not_create_is_never_deleted_to_make_room(
    tmp_path: Path, promotion: str
) -> None:
    compiled = compile_(tmp_path, PLAIN)
    out = tmp_path / "out"
    (out / "table.csv").mkdir(parents=True)
    (out / "table.csv" / "mine.txt").write_text("mine\n")
    result = run(compiled, out)
    assert codes_of(result) == ["FF307"]
    assert (out / "table.csv" / "mine.txt").read_text() == "mine\n"
    assert not (out / "run.json").exists()  # refused before the swap: nothing of the run appears


def test_links_and_files_of_yours_in_the_folder_survive_a_run(
    tmp_path: Path, promotion: str, victim: Path
) -> None:
    compiled = compile_(tmp_path, PLAIN)
    out = tmp_path / "out"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "todo.txt").write_text("mine\n")
    (out / "data").symlink_to(victim, target_is_directory=True)  # not on any output path: left alone
    before = snapshot(victim)
    first = run(compiled, out)
    second = run(compiled, out)
    assert first.ok and second.ok
    assert (out / "notes" / "todo.txt").read_text() == "mine\n"
    assert os.readlink(out / "data") == str(victim)
    assert snapshot(victim) == before
    assert not list(tmp_path.glob(".fasthep-staging-*")) and not list(out.glob(".fasthep-*"))


def test_the_cli_reports_the_symlink_as_a_diagnostic_not_a_traceback(tmp_path: Path, victim: Path) -> None:
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(HEAD + RENDER + STYLES)
    out = tmp_path / "out"
    out.mkdir()
    (out / "lnk").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "fasthep_flow", "run", str(wf), "--outdir", str(out), "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "FF307" in proc.stderr and "lnk" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert snapshot(victim) == before


def test_planted_lock_and_staging_links_are_never_followed(
    tmp_path: Path, promotion: str, victim: Path
) -> None:
    compiled = compile_(tmp_path, PLAIN)
    out = tmp_path / "out"
    out.mkdir()
    # names the run cleans up or opens itself, planted as links to the victim folder
    (tmp_path / ".fasthep-staging-out.1.deadbeef").symlink_to(victim, target_is_directory=True)
    (out / ".fasthep-staging-1-cafe").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    result = run(compiled, out)
    assert result.ok, [d.message for d in result.errors]
    assert snapshot(victim) == before
    (out / ".fasthep-lock").symlink_to(victim / "victim.txt")
    refused = run(compiled, out)
    assert codes_of(refused) == ["FF307"]
    assert ".fasthep-lock" in refused.errors[0].message
    assert snapshot(victim) == before


def test_an_output_folder_holding_the_current_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = compile_(tmp_path, PLAIN)
    out = tmp_path / "out"
    (out / "work").mkdir(parents=True)
    (out / "work" / "mine.txt").write_text("mine\n")
    monkeypatch.chdir(out / "work")
    result = run(compiled, out)
    assert codes_of(result) == ["FF307"]
    assert "contains the current directory" in result.errors[0].message
    assert sorted(p.name for p in out.rglob("*")) == ["mine.txt", "work"]


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "fasthep_flow", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_a_shipped_link_on_the_way_to_the_default_output_folders_is_refused(
    tmp_path: Path, victim: Path
) -> None:
    """A cloned repository ships `fasthep-output -> /some/dir` (and `wf.compiled -> /some/dir`)."""
    (tmp_path / "wf.flow.yaml").write_text(HEAD + PLAIN + STYLES)
    (tmp_path / "fasthep-output").symlink_to(victim, target_is_directory=True)
    (tmp_path / "wf.compiled").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    ran = cli(tmp_path, "run", "wf.flow.yaml", "--quiet")
    assert ran.returncode == 1, ran.stderr
    assert "FF307" in ran.stderr and "fasthep-output" in ran.stderr and "Traceback" not in ran.stderr
    compiled = cli(tmp_path, "compile", "wf.flow.yaml")
    assert compiled.returncode == 1 and "symbolic link" in compiled.stderr
    assert snapshot(victim) == before
    # the user's own choice is theirs: an explicit --outdir through a link they made is used
    explicit = cli(tmp_path, "run", "wf.flow.yaml", "--quiet", "--outdir", "fasthep-output/mine")
    assert explicit.returncode == 0, explicit.stderr
    assert (victim / "mine" / "table.csv").is_file()
