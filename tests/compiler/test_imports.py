"""What `fasthep-flow check` imports: no heavy array/plotting stack, and no workspace code unless trusted.

Each check runs in a fresh interpreter (``python -c``), because the test process itself has imported
everything already. The child runs ``main(['check', ...])`` and then prints ``sys.modules`` after a sentinel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "toy_zmumu.flow.yaml"
SENTINEL = "@@MODULES@@"
HEAVY = ("dask", "distributed", "awkward", "matplotlib", "mplhep", "uproot", "hist", "pyarrow", "rich")


def child_code(argv: list[str]) -> str:
    return (
        "import json, sys\n"
        "from fasthep_flow.cli.main import main\n"
        f"rc = main({argv!r})\n"
        "sys.stdout.flush()\n"
        f"print({SENTINEL!r} + json.dumps({{'rc': rc, 'modules': sorted(sys.modules)}}))\n"
    )


def run_check(argv: list[str], cwd: Path) -> tuple[int, str, list[str]]:
    """(exit status, what `check` printed, module names loaded) from a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", child_code(["check", *argv])],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out, _, tail = proc.stdout.rpartition(SENTINEL)
    data = json.loads(tail)
    return data["rc"], out, data["modules"]


def _top_level(modules: list[str]) -> set[str]:
    return {m.split(".", 1)[0] for m in modules}


def test_check_of_the_toy_example_imports_nothing_heavy(tmp_path: Path) -> None:
    rc, out, modules = run_check([str(EXAMPLE)], cwd=tmp_path)
    assert rc == 0, out
    assert "All checks passed" in out
    loaded = _top_level(modules)
    assert "fasthep_flow" in loaded  # the probe works: it does see what was imported
    assert sorted(loaded & set(HEAVY)) == []


def test_check_with_json_output_imports_nothing_heavy(tmp_path: Path) -> None:
    rc, out, modules = run_check(["--format", "json", str(EXAMPLE)], cwd=tmp_path)
    assert rc == 0
    assert json.loads(out) == []
    assert sorted(_top_level(modules) & set(HEAVY)) == []


# --- workspace code named by `registry:` ------------------------------------------------------------------

MODULE = '''\
"""Workspace code: importing it leaves a marker file, so a test can tell whether it was imported."""
from pathlib import Path

from fasthep_flow.registry.specs import Number, OpKind, OpSpec, Param, Port

Path(__file__).with_name("IMPORTED").write_text("imported", encoding="utf-8")

SPEC = OpSpec(
    "my_scale",
    OpKind.TRANSFORM,
    doc="A user's own op.",
    params=(Param("factor", Number, default=1.0, doc="A factor."),),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
)
'''

WORKFLOW = """\
version: 1.0
registry:
  - {spec: "my_workspace_ops:SPEC", name: my_scale}
sources:
  events: {kind: toy, nevents: 10}
analysis:
  stages:
    - id: Scaled
      op: my_scale
      params: {factor: 2}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "analysis"
    folder.mkdir()
    (folder / "my_workspace_ops.py").write_text(MODULE, encoding="utf-8")
    (folder / "wf.flow.yaml").write_text(WORKFLOW, encoding="utf-8")
    return folder


# Running from inside the workflow's folder is the dangerous case: `python -c` puts the cwd on sys.path.
@pytest.mark.parametrize("where", ["inside", "outside"])
def test_registry_code_is_not_imported_without_trust(workspace: Path, where: str) -> None:
    cwd = workspace if where == "inside" else workspace.parent
    rc, out, modules = run_check(["--format", "json", str(workspace / "wf.flow.yaml")], cwd=cwd)
    assert not (workspace / "IMPORTED").exists()
    assert "my_workspace_ops" not in modules
    found = json.loads(out)
    assert {d["code"] for d in found} == {"FF112"}
    assert {d["severity"] for d in found} == {"warning"}
    assert sorted((d["location"]["row"], d["location"]["column"]) for d in found) == [(3, 12), (9, 11)]
    assert rc == 0  # untrusted code is a warning: the rest of the workflow is still checked


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_registry_code_is_imported_with_trust(workspace: Path, where: str) -> None:
    cwd = workspace if where == "inside" else workspace.parent
    rc, out, modules = run_check(["--trust", "--format", "json", str(workspace / "wf.flow.yaml")], cwd=cwd)
    assert (workspace / "IMPORTED").exists()
    assert "my_workspace_ops" in modules
    assert json.loads(out) == []
    assert rc == 0
