"""``initialize`` is answered before pygls is imported (``lsp/handshake.py``): the early answer must be the
very one pygls computes, for every kind of client, and pygls must still see the request (and not answer twice)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_lsp import client_capabilities

from fasthep_flow.lsp.handshake import (
    CAPABILITIES_FILE,
    Replay,
    early_answer,
    frame,
    pygls_answer,
    read_message,
)

PROFILES = [
    "visual-studio-code",
    "neovim@v0.6.1",
    "neovim@v0.7.0",
    "neovim@v0.10.0",
    "neovim@v0.11.0",
    "emacs@v29.1",
]


def _json(caps: Any) -> dict[str, Any]:
    from lsprotocol import converters

    return json.loads(json.dumps(converters.get_converter().unstructure(caps)))


def _synthetic() -> list[dict[str, Any]]:
    """The client statements the answer depends on, each way."""
    pull = {"textDocument": {"diagnostic": {}}, "workspace": {"diagnostics": {"refreshSupport": True}}}
    return [
        {},
        {"general": {"positionEncodings": ["utf-32", "utf-16"]}},
        {"general": {"positionEncodings": ["utf-8"]}},
        {"general": {"positionEncodings": ["latin-1"]}},
        {"textDocument": {"synchronization": {"willSave": True, "willSaveWaitUntil": False}}},
        {"textDocument": {"synchronization": {"willSave": False}}},
        {"textDocument": {"rename": {"prepareSupport": True}}},
        {"textDocument": {"rename": {"prepareSupport": False}}},
        pull,
        {"textDocument": {"diagnostic": {}}},  # pulls but cannot be told to pull again: pushed to
        {"workspace": {"fileOperations": {"didCreate": True, "willRename": True}}},
    ]


CLIENTS = [(name, _json(client_capabilities(name))) for name in PROFILES] + [
    (f"synthetic-{i}", caps) for i, caps in enumerate(_synthetic())
]


@pytest.mark.parametrize(("name", "caps"), CLIENTS, ids=[n for n, _ in CLIENTS])
def test_early_answer_is_what_pygls_answers(name: str, caps: dict[str, Any]) -> None:
    from fasthep_flow._version import __version__

    request = {"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {"capabilities": caps}}
    early = early_answer(request, __version__)
    assert early is not None and early["id"] == 7
    assert early["result"] == pygls_answer(caps), (
        f"the early answer for {name} differs from pygls's: if the server's features changed, refresh "
        "capabilities.json with `python -m fasthep_flow.lsp.handshake --write`"
    )


def test_capabilities_file_is_fresh() -> None:
    caps = pygls_answer({})["capabilities"]
    assert json.loads(CAPABILITIES_FILE.read_text(encoding="utf-8")) == caps, (
        "stale: run `python -m fasthep_flow.lsp.handshake --write`"
    )


def test_only_initialize_with_capabilities_is_answered_early() -> None:
    assert early_answer({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}, "1") is None
    assert (
        early_answer({"jsonrpc": "2.0", "method": "initialize", "params": {"capabilities": {}}}, "1") is None
    )
    assert early_answer({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": None}, "1") is None
    assert early_answer({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}, "1") is None


def test_replay_gives_back_the_first_message_then_the_rest() -> None:
    first = frame({"id": 1, "method": "initialize"})
    second = frame({"method": "initialized"})
    stream = io.BytesIO(first + second)
    raw, message = read_message(stream)
    assert raw == first and message == {"id": 1, "method": "initialize"}
    replay = Replay(raw, stream)
    assert read_message(replay) == (first, {"id": 1, "method": "initialize"})
    assert read_message(replay) == (second, {"method": "initialized"})
    assert read_message(replay) == (b"", None)
    # reads that straddle the boundary
    stream = io.BytesIO(first + second)
    raw, _ = read_message(stream)
    replay = Replay(raw, stream)
    assert replay.read(len(first) + 5) == (first + second)[: len(first) + 5]
    assert replay.read(-1) == second[5:]


def _until(out: Any, done: Any, got: list[dict[str, Any]]) -> None:
    """Read messages into ``got`` until one satisfies ``done``."""
    while True:
        _raw, message = read_message(out)
        assert message is not None, f"the server stopped; got {got}"
        got.append(message)
        if done(message):
            return


def _answer(n: int) -> Any:
    return lambda m: m.get("id") == n and "method" not in m


def test_server_answers_initialize_once_and_then_serves(tmp_path: Path) -> None:
    wf = tmp_path / "wf.yaml"
    text = "version: 1.0\nsources: {events: {kind: toy}}\nanalysis:\n  stages:\n    - {id: A, op: hep.nope}\n"
    wf.write_text(text, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fasthep_flow", "lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        send = proc.stdin.write
        send(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}))
        proc.stdin.flush()
        first: list[dict[str, Any]] = []
        _until(proc.stdout, _answer(1), first)
        assert first[-1]["result"]["capabilities"]["textDocumentSync"]["change"] == 2
        send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        item = {"uri": wf.as_uri(), "languageId": "yaml", "version": 1, "text": text}
        send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}))
        send(frame({"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol",
                    "params": {"textDocument": {"uri": wf.as_uri()}}}))  # fmt: skip
        proc.stdin.flush()
        rest: list[dict[str, Any]] = []
        _until(proc.stdout, _answer(2), rest)
        if not any(m.get("method") == "textDocument/publishDiagnostics" for m in rest):
            _until(proc.stdout, lambda m: m.get("method") == "textDocument/publishDiagnostics", rest)
        send(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
        proc.stdin.flush()
        _until(proc.stdout, _answer(3), rest)
        send(frame({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not [m for m in rest if m.get("id") == 1], "initialize was answered twice"
    symbols = next(m for m in rest if m.get("id") == 2)
    assert [s["name"] for s in symbols["result"]] == ["version", "sources", "analysis"]
    published = [m for m in rest if m.get("method") == "textDocument/publishDiagnostics"]
    assert published and "FF101" in {d["code"] for d in published[-1]["params"]["diagnostics"]}
