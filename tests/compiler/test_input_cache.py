"""Input metadata remembered on disk by file identity: `check` of a ROOT-reading workflow needs no uproot
once a file was read, and a rewritten file (new size or mtime) is read again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fasthep_flow.compiler import inputs

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("FASTHEP_FLOW_CACHE_DIR", str(folder))
    inputs._read_tree_info.cache_clear()
    yield folder
    inputs._read_tree_info.cache_clear()


def test_metadata_is_read_once_then_from_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "hzz.root"
    shutil.copy(DATA / "uproot-HZZ.root", root)
    first = inputs.tree_info(str(root), "events")
    assert first is not None and first.error is None and first.entries == 2421 and "NMuon" in first.branches
    assert len(list((cache / "inputs").glob("*.json"))) == 1

    def no_uproot(path: str, tree: str) -> None:
        raise AssertionError("read the file although its metadata is cached")

    inputs._read_tree_info.cache_clear()
    monkeypatch.setattr(inputs, "_read_with_uproot", no_uproot)
    again = inputs.tree_info(str(root), "events")
    assert again == first
    # a wrong tree name is remembered too (the warning stays the same until the file changes)
    monkeypatch.undo()
    monkeypatch.setenv("FASTHEP_FLOW_CACHE_DIR", str(cache))
    assert "no tree 'event'" in (inputs.tree_info(str(root), "event").error or "")


def test_a_rewritten_file_is_read_again(cache: Path, tmp_path: Path) -> None:
    root = tmp_path / "data.root"
    shutil.copy(DATA / "uproot-HZZ.root", root)
    assert inputs.tree_info(str(root), "events").entries == 2421  # type: ignore[union-attr]
    shutil.copy(DATA / "uproot-Zmumu.root", root)  # same path, other content
    os.utime(root, ns=(1, 2_000_000_000_000_000_000))
    inputs._read_tree_info.cache_clear()
    info = inputs.tree_info(str(root), "events")
    assert info is not None and info.entries == 2304 and "NMuon" not in info.branches


def test_a_corrupt_entry_means_read_again(cache: Path, tmp_path: Path) -> None:
    root = tmp_path / "hzz.root"
    shutil.copy(DATA / "uproot-HZZ.root", root)
    inputs.tree_info(str(root), "events")
    [entry] = (cache / "inputs").glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    inputs._read_tree_info.cache_clear()
    assert inputs.tree_info(str(root), "events").entries == 2421  # type: ignore[union-attr]


def test_check_of_a_cached_root_workflow_imports_no_uproot_networkx_or_metadata(
    cache: Path, tmp_path: Path
) -> None:
    workflow = tmp_path / "hzz.flow.yaml"
    workflow.write_text(
        f"""\
version: 1.0
data:
  datasets:
    - {{name: hzz, files: [{DATA / "uproot-HZZ.root"}]}}
sources:
  events: {{kind: root_tree, tree: events}}
analysis:
  stages:
    - id: A
      op: hep.define
      params: {{variables: [{{name: x, expr: "NMuon * 2"}}]}}
    - id: B
      op: hep.selection.flag
      needs: [A]
      params: {{selection: ["x > 2"]}}
""",
        encoding="utf-8",
    )
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['fasthep-flow', 'check', sys.argv[1]]\n"
        "try:\n    runpy.run_module('fasthep_flow', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\n"
        "heavy = ('uproot', 'awkward', 'networkx', 'importlib.metadata')\n"
        "print('LOADED', ','.join(m for m in heavy if m in sys.modules), 'EXIT', code)\n"
    )
    env = dict(os.environ, FASTHEP_FLOW_CACHE_DIR=str(cache))
    runs = [
        subprocess.run([sys.executable, "-c", probe, str(workflow)], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    first, second = (r.stdout.strip().splitlines()[-1] for r in runs)
    assert "uproot" in first  # nothing cached yet: the file is opened
    assert second == "LOADED  EXIT 0", runs[1].stdout + runs[1].stderr


def test_an_entry_count_read_alone_is_remembered(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning a many-file dataset counts each file's entries; a second compile reads none of them again."""
    root = tmp_path / "zmumu.root"
    shutil.copy(DATA / "uproot-Zmumu.root", root)
    inputs._count_entries.cache_clear()
    assert inputs.entries_of(str(root), "events") == 2304
    assert len(list((cache / "inputs").glob("*.json"))) == 1

    def no_reading(*args: object) -> None:
        raise AssertionError("counted the entries again although the count is cached")

    monkeypatch.setattr(inputs, "_count_entries", no_reading)
    assert inputs.entries_of(str(root), "events") == 2304
    shutil.copy(DATA / "uproot-HZZ.root", root)  # rewritten: a new identity, so counted again
    os.utime(root, ns=(1, 2_000_000_000_000_000_000))
    monkeypatch.undo()
    monkeypatch.setenv("FASTHEP_FLOW_CACHE_DIR", str(cache))
    assert inputs.entries_of(str(root), "events") == 2421
