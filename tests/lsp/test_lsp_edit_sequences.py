"""Random edit sequences through the real server: it never dies, and the final diagnostics are `check`'s.

Edits are sent as incremental changes in UTF-16 units (the text contains ``é`` and ``😋``), as fast as the
pipe takes them: the debounce and the "last edit wins" rule are exercised on every example.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsp_session import SERVER, WORKFLOW
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from fasthep_flow.compiler import CompileOptions, compile_text

BASE = WORKFLOW.replace('"NMuon >= 2"', '{label: "é😋", expr: "NMuon >= 2"}')
ALPHABET = " :-[]{}\"'#\n\tabcMuonPt_é😋0123.,|>*&!%@`="
_counter = itertools.count()


class Server:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.published: list[types.PublishDiagnosticsParams] = []
        self.client: LanguageClient = self.loop.run_until_complete(
            ClientServerConfig(server_command=SERVER).start()
        )
        fm = self.client.protocol.fm
        original = fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

        def publish(params: types.PublishDiagnosticsParams) -> object:
            self.published.append(params)
            return original(params)

        fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
        self.loop.run_until_complete(
            self.client.initialize_session(
                types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
            )
        )

    def alive(self) -> bool:
        proc = self.client._server  # the server process pytest-lsp started
        return proc is not None and proc.returncode is None

    def close(self) -> None:
        self.loop.run_until_complete(self.client.shutdown_session())
        self.loop.run_until_complete(self.client.stop())
        self.loop.close()


@pytest.fixture(scope="module")
def server() -> Server:
    s = Server()
    yield s
    s.close()


def position(text: str, offset: int) -> types.Position:
    before = text[:offset]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=len(col_text.encode("utf-16-le")) // 2)


def expected(text: str, path: str) -> set[tuple[object, ...]]:
    found = compile_text(text, path, CompileOptions()).for_file(path)
    lines = text.split("\n")
    out = set()
    for d in found:

        def units(pos: object) -> int:
            line = lines[pos.line] if pos.line < len(lines) else ""  # type: ignore[attr-defined]
            return len(line[: pos.col].encode("utf-16-le")) // 2  # type: ignore[attr-defined]

        out.add((d.code.id, d.span.start.line, units(d.span.start), d.span.end.line, units(d.span.end)))
    return out


def received(items: list[types.Diagnostic]) -> set[tuple[object, ...]]:
    return {
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        for d in items
    }


edit = st.tuples(
    st.floats(min_value=0, max_value=1),
    st.integers(min_value=0, max_value=12),
    st.text(alphabet=ALPHABET, max_size=8),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(edit, min_size=1, max_size=10))
def test_random_edit_sequences(server: Server, tmp_path: Path, edits: list[tuple[float, int, str]]) -> None:
    path = tmp_path / f"fuzz{next(_counter)}.flow.yaml"
    uri = path.as_uri()
    text = BASE
    server.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    version = 1
    for fraction, length, insert in edits:
        start = int(fraction * len(text))
        end = min(len(text), start + length)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=position(text, start), end=position(text, end)), text=insert
        )
        text = text[:start] + insert + text[end:]
        version += 1
        server.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )

    async def final() -> list[types.Diagnostic]:
        async with asyncio.timeout(30):
            while True:
                mine = [p for p in server.published if p.uri == uri and p.version == version]
                if mine:
                    return list(mine[-1].diagnostics)
                await asyncio.sleep(0.01)

    items = server.loop.run_until_complete(final())
    assert server.alive()
    assert received(items) == expected(text, str(path))
    server.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
