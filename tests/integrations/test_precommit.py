"""The pre-commit hook, run for real: `pre-commit try-repo <copy of this repo> fasthep-flow-check
--all-files` in a scratch git repository. With `language: python`, pre-commit pip-installs this repository
into an environment of its own (dependencies from PyPI, with the `hep` extra the hook asks for), exactly as a
user's `pre-commit install` would; the environment is built once per test run, in the background from
collection time (tests/background.py; PRE_COMMIT_HOME is a temporary folder), and reused by every test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import background
from background import background_step

from .locations import REPO, require_executable

# What `pip install .` of the hook repository needs: pyproject's sources and its force-included folders.
HOOK_REPO_PARTS = (
    "pyproject.toml",
    "README.md",
    ".pre-commit-hooks.yaml",
    "src",
    "grammar",
    "schemas",
    "examples",
)
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".pytest_cache", "*.egg-info")

GOOD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100, seed: 1}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
"""
# The same workflow with a misspelt op: FF101 at line 7, column 11 (1-based), where `hep.defnie` starts.
BAD = GOOD.replace("op: hep.define", "op: hep.defnie")
BAD_AT = "bad.flow.yaml:7:11"

# A workflow on a real ROOT file (scikit-hep's uproot-HZZ.root, tree `events`, which has `Muon_Iso`) that uses
# a branch the file does not have. Only a hook environment with uproot can tell: without it the branch list is
# unknown and the typo passes with a FF306 warning.
ROOT_WORKFLOW = """\
version: 1.0
data:
  datasets:
    - {name: hzz, eventtype: mc, files: [data/uproot-HZZ.root]}
sources:
  events: {kind: root_tree, tree: events}
analysis:
  stages:
    - id: IsoMuons
      op: hep.define
      params:
        variables:
          - {name: NIsoMuon, reduce: {op: count_nonzero, over: "Muon_Isolation < 0.1"}}
"""
ROOT_TYPO_AT = "hzz.flow.yaml:13:65"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "fasthep-flow tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "fasthep-flow tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


@dataclass(frozen=True)
class HookSetup:
    repo: Path
    """A committed copy of this working tree: pre-commit clones the repository, so the hook file and the sources
    it installs must be committed (the real checkout may hold uncommitted work)."""
    rev: str
    """The commit of ``repo`` that projects' ``.pre-commit-config.yaml`` pins, as a user's would."""
    home: Path
    """PRE_COMMIT_HOME, holding the hook's environment once the warm-up has built it."""
    warm_up: subprocess.CompletedProcess[str]


@background_step("pre-commit-env")
def build_hook_environment() -> HookSetup:
    """Copy and commit the hook repository, then have pre-commit build the hook's environment (pip-installing
    this repository with the hep extra) into a PRE_COMMIT_HOME the tests share; started at collection so the
    install overlaps with the rest of the suite. (``pre-commit try-repo`` would rebuild it on every call: it
    uses a temporary store.)"""
    require_executable("git")
    scratch = Path(tempfile.mkdtemp(prefix="fasthep-flow-pre-commit-"))
    repo, home, project = scratch / "hook-repo", scratch / "home", scratch / "empty-project"
    for part in HOOK_REPO_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=IGNORE)
            if not any((repo / part).iterdir()):
                (repo / part / ".keep").write_text("", encoding="utf-8")  # git keeps no empty folders
        else:
            (repo / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / part)
    git(repo, "init", "-q")
    commit_all(repo, "hook repository")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    setup = HookSetup(repo, rev, home, subprocess.CompletedProcess([], 0))
    project.mkdir()
    git(project, "init", "-q")
    (project / "README").write_text("no workflow here\n", encoding="utf-8")
    commit_all(project, "nothing to check")
    return HookSetup(repo, rev, home, run_hook(setup, project, "install-hooks"))


@pytest.fixture(scope="module")
def hook(request: pytest.FixtureRequest) -> HookSetup:
    setup: HookSetup = background.result("pre-commit-env")
    request.addfinalizer(lambda: shutil.rmtree(setup.repo.parent, ignore_errors=True))
    output = setup.warm_up.stdout + setup.warm_up.stderr
    assert setup.warm_up.returncode == 0, f"building the hook's environment failed:\n{output[-4000:]}"
    return setup


def run_hook(setup: HookSetup, project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files`` (or ``command``) in ``project``, configured the way a user would: a
    ``.pre-commit-config.yaml`` naming the hook repository at a pinned commit."""
    config = {"repos": [{"repo": str(setup.repo), "rev": setup.rev, "hooks": [{"id": "fasthep-flow-check"}]}]}
    path = project / ".pre-commit-config.yaml"
    if not path.exists() or yaml.safe_load(path.read_text(encoding="utf-8")) != config:
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        commit_all(project, "pre-commit configuration")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(setup.home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *(command or ("run", "--all-files"))],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def test_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "fasthep-flow-check"]
    assert hook["entry"] == "fasthep-flow check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    # pre-commit runs `pip install . <additional_dependencies>` in its clone of this repository: `.[hep]` is
    # this repository with its hep extra (uproot, for branch checks).
    assert hook["additional_dependencies"] == [".[hep]"]
    files = re.compile(hook["files"])
    for name in ("a.flow.yaml", "dir/b.flow.yml"):
        assert files.search(name), name
    for name in ("a.yaml", "flow.yaml", "a.flow.yaml.bak", "a.flowyaml"):
        assert not files.search(name), name


@pytest.mark.background("pre-commit-env")
def test_hook_fails_on_a_bad_workflow_and_passes_without_it(hook: HookSetup, tmp_path: Path) -> None:
    project = tmp_path / "analysis"
    project.mkdir()
    git(project, "init", "-q")
    (project / "good.flow.yaml").write_text(GOOD, encoding="utf-8")
    (project / "bad.flow.yaml").write_text(BAD, encoding="utf-8")
    (project / "notes.yaml").write_text("not: [a, workflow\n", encoding="utf-8")  # not matched by `files`
    commit_all(project, "two workflows")

    failing = run_hook(hook, project)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "fasthep-flow check" in output and "Failed" in output, output
    assert BAD_AT in output, output
    assert "FF101" in output, output
    assert "good.flow.yaml:" not in output, output
    assert "notes.yaml" not in output, output

    git(project, "rm", "-q", "bad.flow.yaml")
    git(project, "commit", "-q", "-m", "only the good workflow")
    passing = run_hook(hook, project)
    output = passing.stdout + passing.stderr
    assert passing.returncode == 0, output
    assert re.search(r"fasthep-flow check\.+Passed", output), output


@pytest.mark.background("pre-commit-env")
def test_hook_reports_a_branch_typo_in_a_root_workflow(
    hook: HookSetup, tmp_path: Path, shared_data_dir: Path
) -> None:
    project = tmp_path / "analysis"
    (project / "data").mkdir(parents=True)
    shutil.copy2(shared_data_dir / "uproot-HZZ.root", project / "data" / "uproot-HZZ.root")
    git(project, "init", "-q")
    (project / "hzz.flow.yaml").write_text(ROOT_WORKFLOW, encoding="utf-8")
    commit_all(project, "a workflow on a ROOT file")

    failing = run_hook(hook, project)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert f"{ROOT_TYPO_AT}: error[FF303]: unknown field 'Muon_Isolation'" in output, output
    # The hook's environment reads the file: no FF306 "uproot is not installed".
    assert "FF306" not in output, output

    (project / "hzz.flow.yaml").write_text(
        ROOT_WORKFLOW.replace("Muon_Isolation", "Muon_Iso"), encoding="utf-8"
    )
    commit_all(project, "typo fixed")
    passing = run_hook(hook, project)
    output = passing.stdout + passing.stderr
    assert passing.returncode == 0, output
    assert re.search(r"fasthep-flow check\.+Passed", output), output
