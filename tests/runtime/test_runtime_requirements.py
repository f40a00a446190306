"""A run that needs an optional package which is not installed is refused up front, naming the extra."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fasthep_flow.compiler import compile_text
from fasthep_flow.document import codes
from fasthep_flow.install import install_command
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.runtime.requirements import install_hint, needed_packages

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100}
analysis:
  stages:
    - id: H
      op: hep.hist
      params: {axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]}
      render: {style: s, out: h.png}
styles:
  s: {op: hep.render.hist1d}
"""


def _plan():  # type: ignore[no-untyped-def]
    result = compile_text(WORKFLOW, "/tmp/req/wf.flow.yaml")
    assert result.plan is not None
    return result.plan


def test_needed_packages_follow_the_plan() -> None:
    plan = _plan()
    assert needed_packages(plan, "serial") == ["numpy", "awkward", "hist", "matplotlib", "mplhep"]
    assert needed_packages(plan, "dask")[-2:] == ["dask", "distributed"]
    hint = install_hint(["hist", "mplhep"])
    assert hint.startswith("install fasthep-flow with the extras hep, render: ")
    assert hint.endswith(install_command(["hep", "render"]))


def test_missing_package_refuses_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mplhep" else real(name, *a)
    )
    result = run_plan(_plan(), RunOptions(outdir=tmp_path / "out"))
    assert not result.ok
    [error] = result.errors
    assert error.code is codes.MISSING_PACKAGE
    assert error.code.follows_template(error.message)
    assert "mplhep" in error.message
    assert error.hint == f"install fasthep-flow with the extra render: {install_command(['render'])}"
    assert not (tmp_path / "out" / "run.json").exists()  # nothing ran, nothing was written
