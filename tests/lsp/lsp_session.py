"""The server under test and a client session that records what it receives (shared by the LSP tests)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "fasthep_flow", "lsp"]
PULL_WITH_REFRESH = "pull-with-refresh"
"""Neovim 0.11's capabilities plus ``workspace/diagnostic/refresh``: the only kind of client offered pull."""
PUSH_PROFILES = ("visual-studio-code", "neovim@v0.7.0", "neovim@v0.11.0")
PULL_PROFILES = (PULL_WITH_REFRESH,)
PROFILES = PUSH_PROFILES + PULL_PROFILES


def capabilities_of(profile: str) -> types.ClientCapabilities:
    if profile != PULL_WITH_REFRESH:
        return client_capabilities(profile)
    caps = client_capabilities("neovim@v0.11.0")
    assert caps.workspace is not None
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 200}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: Baseline
      op: hep.selection.cutflow
      params:
        selection: {dimuon: ["NMuon >= 2"]}
    - id: MuonPt
      op: hep.hist
      needs: [Baseline]
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]
"""


class Session:
    """One client and what it has seen: every publishDiagnostics (with its version), registrations."""

    def __init__(self, client: LanguageClient, profile: str, result: types.InitializeResult) -> None:
        self.client = client
        self.profile = profile
        self.result = result
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.refreshes = 0
        """How many ``workspace/diagnostic/refresh`` requests the server sent."""

    @property
    def pull(self) -> bool:
        return self.profile in PULL_PROFILES

    @property
    def encoding(self) -> str:
        return str(self.result.capabilities.position_encoding or "utf-16")

    def open(self, path: Path, text: str, version: int = 1) -> str:
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="yaml", version=version, text=text)
            )
        )
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def diagnostics(self, uri: str, version: int, timeout: float = 20.0) -> list[types.Diagnostic]:
        """The diagnostics of ``version``: pulled from a pull client, waited for on a push client."""
        if self.pull:
            report = await self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri))
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            return list(report.items)
        async with asyncio.timeout(timeout):
            while True:
                for p in reversed(self.published):
                    if p.uri == uri and p.version == version:
                        return list(p.diagnostics)
                await asyncio.sleep(0.01)


def _record(session: Session) -> None:
    fm = session.client.protocol.fm
    original = fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish(params: types.PublishDiagnosticsParams) -> Any:
        session.published.append(params)
        return original(params)

    fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish

    @session.client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        session.registrations.extend(params.registrations)

    original_refresh = fm.features.get(types.WORKSPACE_DIAGNOSTIC_REFRESH)

    def refresh(params: None) -> Any:
        session.refreshes += 1
        return original_refresh(params) if original_refresh is not None else None

    fm.features[types.WORKSPACE_DIAGNOSTIC_REFRESH] = refresh


async def start(lsp_client: LanguageClient, profile: str) -> Session:
    s = Session(lsp_client, profile, types.InitializeResult(capabilities=types.ServerCapabilities()))
    _record(s)
    s.result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities_of(profile))
    )
    lsp_client.fasthep_session = s  # type: ignore[attr-defined]
    return s


def utf16_col(line: str, col: int) -> int:
    return len(line[:col].encode("utf-16-le")) // 2


def client_col(line: str, col: int, encoding: str) -> int:
    if encoding == "utf-8":
        return len(line[:col].encode("utf-8"))
    if encoding == "utf-32":
        return col
    return utf16_col(line, col)
