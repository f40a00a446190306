"""The real server over stdio, driven by pytest-lsp, once per client profile."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_session import PROFILES, SERVER, Session, start
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest_lsp.fixture(params=PROFILES, config=ClientServerConfig(server_command=SERVER))
async def any_client(request: pytest.FixtureRequest, lsp_client: LanguageClient):
    await start(lsp_client, request.param)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def vscode_client(lsp_client: LanguageClient):
    await start(lsp_client, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def session(any_client: LanguageClient) -> Session:
    """One session per client profile (VS Code, Neovim 0.7 push, Neovim 0.11 pull)."""
    return any_client.fasthep_session  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def vscode(vscode_client: LanguageClient) -> Session:
    """A VS Code session, for features whose protocol does not depend on the client profile."""
    return vscode_client.fasthep_session  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def root_file(tmp_path: Path) -> Path:
    """A small ROOT file with a jagged muon collection, written here so the test runs anywhere."""
    import awkward as ak
    import numpy as np
    import uproot

    path = tmp_path / "muons.root"
    counts = np.array([2, 0, 3, 1])
    px = ak.unflatten(np.arange(6, dtype=np.float32), counts)
    with uproot.recreate(path) as f:
        f.mktree("events", {"NMuon": "int32", "Muon_Px": "var * float32", "Muon_Py": "var * float32"})
        f["events"].extend({"NMuon": counts.astype(np.int32), "Muon_Px": px, "Muon_Py": px * 2})
    return path
