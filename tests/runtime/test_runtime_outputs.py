"""The output folder: path checks, staging and promotion, histogram and cutflow files."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from fasthep_flow.document import codes
from fasthep_flow.ops.failures import OpError
from fasthep_flow.runtime.output_folder import OutputDir
from fasthep_flow.runtime.outputs import STAGING_PREFIX, safe_relative, with_tag


@pytest.mark.parametrize(
    "bad",
    [
        "/etc/passwd",
        "../up.root",
        "a/../../b.root",
        "a/../b.root",
        "C:\\x.root",
        "",
        "  ",
        "run.json",
        "plan.json",
        f"{STAGING_PREFIX}1/x",
        "~/x/..",
        "./",
    ],
)
def test_paths_leaving_or_claiming_the_output_folder_are_refused(bad: str) -> None:
    with pytest.raises(OpError) as info:
        safe_relative(bad)
    assert info.value.code is codes.OUTPUT_PATH


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("a/b.root", "a/b.root"),
        ("./x.csv", "x.csv"),
        ("plots//h.png", "plots/h.png"),
        ("sub\\f.json", "sub/f.json"),
    ],
)
def test_relative_paths_are_normalised(given: str, clean: str) -> None:
    assert safe_relative(given).as_posix() == clean


def test_with_tag_goes_before_the_suffix() -> None:
    assert with_tag(PurePosixPath("skims/sel.root"), 3).as_posix() == "skims/sel.3.root"
    assert with_tag(PurePosixPath("noext"), "dy").as_posix() == "noext.dy"


def test_promote_replaces_files_and_removes_only_the_previous_runs_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "stale.json").write_text("old")
    (tmp_path / "keep.json").write_text("old")
    (tmp_path / "notes.txt").write_text("mine")  # not listed by the previous run: never touched
    out = OutputDir(tmp_path)
    out.write_text("keep.json", "new")
    out.write_text("new/fresh.json", "new")
    files = out.promote(["old/stale.json", "keep.json", "../outside.txt"])
    out.cleanup()
    assert [f.as_posix() for f in files] == ["keep.json", "new/fresh.json"]
    assert (tmp_path / "keep.json").read_text() == "new"
    assert (tmp_path / "new" / "fresh.json").read_text() == "new"
    assert not (tmp_path / "old").exists()  # emptied folder pruned
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not list(tmp_path.glob(f"{STAGING_PREFIX}*"))
    assert not list(tmp_path.parent.glob(f"{STAGING_PREFIX}*"))


def test_the_swap_without_renameat2_falls_back_to_renames_and_a_broken_one_is_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    from fasthep_flow.runtime import output_folder

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid whose run is over
    a, b = tmp_path / f"{STAGING_PREFIX}out.{dead.pid}.0123abcd", tmp_path / "out"
    a.mkdir()
    b.mkdir()
    (a / "new.txt").write_text("new")
    (b / "old.txt").write_text("old")
    monkeypatch.setattr(output_folder, "_libc", lambda: None)
    output_folder.exchange(a, b)
    assert [p.name for p in b.iterdir()] == ["new.txt"]
    assert [p.name for p in a.iterdir()] == ["old.txt"]
    # a run killed between the fallback's renames leaves no `out` and the folder at `<staging>.old`
    b.rename(a.with_name(a.name + ".old"))
    output_folder._restore_interrupted_swap(b)
    assert (b / "new.txt").read_text() == "new"


def test_half_written_temporaries_are_not_promoted_and_the_lock_goes_with_the_run(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out")
    out.write_text("a.json", "{}")
    out.staged("plots/.h.png.tmp").write_bytes(b"half")  # a render that died mid-write
    assert (tmp_path / "out" / ".fasthep-lock").read_text().strip() == str(os.getpid())
    assert [f.as_posix() for f in out.promote([])] == ["a.json"]
    out.cleanup()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["out", "out/a.json"]
