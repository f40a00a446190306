"""The VS Code extension: its manifest agrees with the Python project, and (slow) the whole build script runs
from `npm ci` to a checked `.vsix`. VS Code itself cannot run here, so the extension's logic is unit-tested with
`node --test` inside the build (vscode-extension/test/)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
import zipfile

import pytest

import background
from background import background_step

from .locations import REPO, require_executable

EXTENSION = REPO / "vscode-extension"


def manifest() -> dict:
    return json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))


def version_tuple(spec: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", spec)
    assert match, spec
    return tuple(int(g) for g in match.groups())


def test_extension_version_follows_the_project() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert manifest()["version"] == project["version"]


def test_vscode_api_types_are_not_newer_than_the_engine() -> None:
    """vsce refuses to package when @types/vscode is newer than engines.vscode."""
    data = manifest()
    assert version_tuple(data["devDependencies"]["@types/vscode"]) <= version_tuple(data["engines"]["vscode"])


def test_lockfile_matches_the_manifest() -> None:
    """`npm ci` needs package-lock.json to list exactly the manifest's dependencies."""
    data = manifest()
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    root = lock["packages"][""]
    assert root["dependencies"] == data["dependencies"]
    assert root["devDependencies"] == data["devDependencies"]
    for name in (*data["dependencies"], *data["devDependencies"]):
        assert f"node_modules/{name}" in lock["packages"], name


def test_server_command_and_settings_match_the_cli() -> None:
    """The client starts `python -m fasthep_flow lsp`; that module and subcommand must exist."""
    source = (EXTENSION / "src" / "serverCommand.ts").read_text(encoding="utf-8")
    assert 'args: ["-m", "fasthep_flow", "lsp"]' in source
    assert 'args: ["-c", "import fasthep_flow"]' in source
    assert (REPO / "src" / "fasthep_flow" / "__main__.py").is_file()
    from fasthep_flow.cli.main import build_parser

    assert build_parser().parse_args(["lsp"]).command == "lsp"


@background_step("vsix")
def build_vsix() -> subprocess.CompletedProcess[str]:
    """The whole build script, from `npm ci` to the checked package (started at collection, see tests/background.py)."""
    require_executable("npm")
    require_executable("node")
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "build-vscode-extension.sh")],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.background("vsix")
def test_build_script_produces_a_checked_vsix() -> None:
    vsix = EXTENSION / "fasthep-flow.vsix"
    result = background.result("vsix")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "contents OK" in result.stdout
    assert re.search(r"# pass \d+\n# fail 0", result.stdout), "node --test did not report its results"
    with zipfile.ZipFile(vsix) as package:
        names = set(package.namelist())
        shipped_schema = json.loads(package.read("extension/schemas/workflow.schema.json"))
    assert {"extension/dist/extension.js", "extension/dist/mermaid.min.js"} <= names
    assert not any("node_modules/" in n for n in names)
    committed = json.loads((REPO / "schemas" / "workflow.schema.json").read_text(encoding="utf-8"))
    assert shipped_schema == committed
