"""Install hints name this repository (a clone's path or a git URL), never the package index's unrelated
`fasthep-flow`; and no document, README or extension text tells anyone to `pip install fasthep-flow`."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from fasthep_flow import install

REPO = Path(__file__).resolve().parents[1]

# `pip install fasthep-flow`, `pip install "fasthep-flow[hep]"`, `pipx install fasthep-flow`, `python -m pip
# install -U fasthep-flow` ...: the bare name (extras allowed) not followed by ` @ <url>`.
BARE_INSTALL = re.compile(
    r"""pipx?\s+install\s+(?:-{1,2}[\w-]+\s+)*["']?fasthep-flow(?:\[[^\]]*\])?["']?(?![\w./\[-])(?!\s*@)"""
)
TEXT_FILES = (
    "README.md",
    "docs/**/*.md",
    "vscode-extension/README.md",
    "vscode-extension/src/*.ts",
    "src/fasthep_flow/**/*.py",
    ".pre-commit-hooks.yaml",
    "examples/*.yaml",
    "benchmarks/*.py",
)


def test_the_pattern_finds_bare_installs_and_spares_repository_installs() -> None:
    for bad in (
        "pip install fasthep-flow",
        'pip install "fasthep-flow[hep]"',
        "pipx install fasthep-flow",
        "python -m pip install -U fasthep-flow`",
        "`pip install 'fasthep-flow[hep,render]'`",
    ):
        assert BARE_INSTALL.search(bad), bad
    for good in (
        'pip install "fasthep-flow[hep] @ git+https://github.com/<org>/fasthep-flow"',
        "pipx install 'fasthep-flow @ git+https://github.com/<org>/fasthep-flow'",
        "pip install '/path/to/fasthep-flow[hep]'",
        "pip install ./fasthep-flow",
        "pip install fasthep-flow-extras",
    ):
        assert not BARE_INSTALL.search(good), good


def test_no_text_says_pip_install_fasthep_flow_from_the_index() -> None:
    files = sorted({p for pattern in TEXT_FILES for p in REPO.glob(pattern) if p.is_file()})
    assert len(files) > 20
    found = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE_INSTALL.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        ({"url": "file:///home/me/fasthep-flow", "dir_info": {}}, "/home/me/fasthep-flow[hep]"),
        (
            {"url": "file:///home/me/my%20clone", "dir_info": {"editable": True}},
            "/home/me/my clone[hep]",
        ),
        (
            {
                "url": "https://github.com/someone/fasthep-flow",
                "vcs_info": {"vcs": "git", "commit_id": "abc"},
            },
            "fasthep-flow[hep] @ git+https://github.com/someone/fasthep-flow",
        ),
        (
            {
                "url": "https://github.com/someone/fasthep-flow",
                "vcs_info": {"vcs": "git", "requested_revision": "v0.1.0", "commit_id": "abc"},
            },
            "fasthep-flow[hep] @ git+https://github.com/someone/fasthep-flow@v0.1.0",
        ),
        ({}, "fasthep-flow[hep] @ git+https://github.com/<org>/fasthep-flow"),
    ],
)
def test_the_requirement_follows_where_this_copy_was_installed_from(
    direct_url: dict[str, object], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(install, "_direct_url", lambda: direct_url)
    assert install.requirement(["hep"]) == expected
    command = shlex.split(install.install_command(["hep"]))
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-1] == expected
    assert ("-e" in command) == bool(direct_url.get("dir_info", {}).get("editable"))  # type: ignore[union-attr]


def test_the_running_copy_gets_a_command_naming_its_own_source() -> None:
    """Whatever this test environment is (an editable checkout on a developer's machine, a wheel from a git
    URL), the hint is never the bare name from the index."""
    requirement = install.requirement(["hep"])
    assert not BARE_INSTALL.search(f"pip install '{requirement}'")
    if not requirement.startswith("fasthep-flow"):
        assert (Path(requirement.removesuffix("[hep]")) / "pyproject.toml").is_file()
