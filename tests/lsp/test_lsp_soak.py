"""Soak: the real server over stdio, a raw JSON-RPC client, 1,200 random incremental edits and malformed requests.

The client is raw (not pytest-lsp) so it can send what a typed client cannot: negative positions,
``params: null``, a string where a position belongs, requests after ``shutdown``. It keeps its own copy of the
buffer, splitting lines as the LSP specification does (``\\n``, ``\\r\\n``, ``\\r`` only), and types U+2028,
U+2029 and NEL, which pygls's ``splitlines`` used to treat as line breaks, and lone ``\\r``, which ends a line
for the client but not for the document layer's ``LineIndex``. At the end: the server is alive, every
request got exactly one response, and the published diagnostics of the last version equal ``check``'s.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from lsp_session import SERVER, WORKFLOW

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document.spans import LineIndex

LABELLED = WORKFLOW.replace('"NMuon >= 2"', '{label: "a\u2028b\u2029c\u0085d é😋", expr: "NMuon >= 2"}')
SNIPPETS = ["x", " ", "\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "é", "😋", "Muon", ":", "#", "- "]
SNIPPETS += ["{", "]", '"', "NMuon"]
_LINES = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def lsp_lines(text: str) -> list[str]:
    return [line for line in _LINES.split(text) if line] or [""]


def to_offset(text: str, line: int, units: int) -> int:
    """A UTF-16 position of the LSP (lines split on \\n, \\r\\n, \\r) as a code-point offset."""
    lines = lsp_lines(text)
    offset = sum(len(s) for s in lines[:line])
    count = 0
    for ch in lines[line] if line < len(lines) else "":
        if count >= units or ch in "\r\n":
            break
        count += 2 if ord(ch) > 0xFFFF else 1
        offset += 1
    return offset


def to_position(text: str, offset: int) -> dict[str, int]:
    if 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n":
        offset -= 1  # inside a line break: the end of the line's text
    lines = lsp_lines(text[:offset] + "\0")  # the sentinel keeps a position after a final line break
    last = lines[-1][:-1]
    return {"line": len(lines) - 1, "character": len(last.encode("utf-16-le")) // 2}


def hot_offset(text: str, rng: random.Random) -> int:
    """Mostly inside the label (separators there must not move later lines), else anywhere."""
    at = text.find('label: "')
    close = text.find('"', at + 8) if at >= 0 else -1
    if close >= 0 and rng.random() < 0.9:
        return rng.randint(at + 8, close)
    return rng.randrange(len(text) + 1)


def outside_crlf(text: str, offset: int) -> int:
    """An editor cannot put the cursor between the ``\\r`` and ``\\n`` of one line break."""
    return offset + 1 if 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n" else offset


class RawClient:
    """Content-Length framed JSON-RPC over the server's stdin/stdout; a reader thread queues what arrives."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        self.proc = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.responses: dict[int | str, list[dict[str, Any]]] = {}
        self.published: list[dict[str, Any]] = []
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert length is not None
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> int:
        self._next += 1
        self.send({"id": self._next, "method": method, "params": params})
        return self._next

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def drain(self, until: float = 0.0) -> None:
        """Sort what arrived: responses by id, publishDiagnostics kept, server requests answered."""
        while True:
            try:
                msg = self.inbox.get(timeout=max(0.0, until - time.monotonic()) if until else 0.0)
            except queue.Empty:
                return
            if "method" in msg and "id" in msg:  # a request from the server (registrations, progress)
                self.send({"id": msg["id"], "result": None})
            elif msg.get("method") == "textDocument/publishDiagnostics":
                self.published.append(msg["params"])
            elif "id" in msg:
                self.responses.setdefault(msg["id"], []).append(msg)
            if until and time.monotonic() >= until:
                return

    def wait_for(self, done: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return False
            self.drain(until=min(deadline, time.monotonic() + 0.1))
        return True


def malformed(uri: str) -> list[tuple[str, Any]]:
    """Requests no handler can run: each must get an error response (never silence)."""
    doc = {"uri": uri}
    return [
        ("textDocument/hover", {"textDocument": doc, "position": {"line": -1, "character": 0}}),
        ("textDocument/hover", {"textDocument": doc, "position": {"line": 0, "character": -7}}),
        ("textDocument/hover", None),
        ("textDocument/completion", {"textDocument": doc, "position": "3:4"}),
        ("textDocument/definition", {"textDocument": doc}),
        ("textDocument/references", {"textDocument": doc, "position": {"line": "x", "character": 0}}),
        ("textDocument/documentSymbol", None),
        ("textDocument/hover", [1, 2]),
        (
            "textDocument/rename",
            {"textDocument": doc, "position": {"line": -3, "character": 0}, "newName": "X"},
        ),
        ("fasthep/noSuchMethod", {}),
    ]


def expected_diagnostics(text: str, path: str) -> set[tuple[str, int, int]]:
    """What `check` reports, each at the same character of the text, as the LSP's (line, UTF-16 column)."""
    index = LineIndex(text)
    found = compile_text(text, path, CompileOptions()).for_file(path)
    out = set()
    for d in found:
        pos = to_position(text, index.offset(d.span.start))
        out.add((d.code.id, pos["line"], pos["character"]))
    return out


@pytest.fixture
def client() -> RawClient:
    c = RawClient()
    yield c
    if c.proc.poll() is None:
        c.proc.kill()
    c.proc.wait(timeout=10)


def test_soak_random_edits_and_malformed_requests(client: RawClient, tmp_path: Path) -> None:
    rng = random.Random(2026)
    init = client.request(
        "initialize",
        {
            "processId": None,
            "rootUri": None,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {"publishDiagnostics": {}},
            },
            "initializationOptions": {"checkInputs": False, "debounceMs": 50},
        },
    )
    assert client.wait_for(lambda: init in client.responses, 60), "no answer to initialize"
    client.notify("initialized", {})
    path = tmp_path / "soak.flow.yaml"
    path.write_text(LABELLED, encoding="utf-8")
    uri = path.as_uri()
    text = LABELLED
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )
    version = 1
    sent: list[int] = []
    bad: list[int] = []
    checkpoints: list[tuple[int, int, int]] = []  # (version, diagnostics, lone CRs in the text)

    def published(v: int) -> dict[str, Any] | None:
        found = [p for p in client.published if p["uri"] == uri and p.get("version") == v]
        return found[-1] if found else None

    def compare_with_check() -> None:
        """Wait for this version's diagnostics; they must be `check`'s, at the same characters."""
        assert client.wait_for(lambda: published(version) is not None, 60), f"no diagnostics for v{version}"
        last = published(version)
        assert last is not None
        got = {
            (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"])
            for d in last["diagnostics"]
        }
        assert got == expected_diagnostics(text, str(path)), f"version {version}"
        checkpoints.append((version, len(got), len(re.findall(r"\r(?!\n)", text))))

    t0 = time.monotonic()
    for i in range(1200):
        if i % 300 == 0 and i:  # back to a whole workflow, by one incremental edit over everything
            start, end, insert = 0, len(text), LABELLED
        else:
            start = outside_crlf(text, hot_offset(text, rng))
            end = outside_crlf(text, min(len(text), start + rng.choice([0, 0, 1, 2, 5])))
            insert = "".join(rng.choice(SNIPPETS) for _ in range(rng.choice([0, 1, 1, 2])))
        change = {"range": {"start": to_position(text, start), "end": to_position(text, end)}, "text": insert}
        # the client's own bookkeeping goes through positions, like an editor's
        a = to_offset(text, change["range"]["start"]["line"], change["range"]["start"]["character"])
        b = to_offset(text, change["range"]["end"]["line"], change["range"]["end"]["character"])
        assert (a, b) == (start, end)
        text = text[:start] + insert + text[end:]
        version += 1
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        if i % 40 == 0:
            for method, params in malformed(uri):
                bad.append(client.request(method, params))
        if i % 25 == 0:
            pos = to_position(text, rng.randrange(len(text) + 1))
            sent.append(client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos}))
            sent.append(
                client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
            )
        if i % 100 == 99:
            compare_with_check()
        client.drain()
    everything = [*sent, *bad]
    assert client.wait_for(lambda: all(r in client.responses for r in everything), 60), (
        f"{sum(r not in client.responses for r in everything)} requests unanswered"
    )
    assert all(len(client.responses[r]) == 1 for r in everything)
    assert all("error" in client.responses[r][0] for r in bad), [
        client.responses[r] for r in bad if "error" not in client.responses[r][0]
    ]
    codes = {client.responses[r][0]["error"]["code"] for r in bad}
    assert codes == {-32602, -32601}  # InvalidParams, MethodNotFound
    assert all("result" in client.responses[r][0] for r in sent)
    compare_with_check()  # the final version
    # the checkpoints saw real workflows (several diagnostics) with lone CRs in them, not only rubble
    assert any(n >= 2 and crs for _, n, crs in checkpoints), checkpoints
    assert client.proc.poll() is None, "the server died"

    shutdown = client.request("shutdown", None)
    assert client.wait_for(lambda: shutdown in client.responses, 30)
    late = client.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}
    )
    assert client.wait_for(lambda: late in client.responses, 30), "a request after shutdown got no answer"
    assert client.responses[late][0]["error"]["code"] == -32600  # InvalidRequest
    client.notify("exit", None)
    assert client.proc.wait(timeout=30) == 0
    print(f"soak: 1200 edits, {len(everything)} requests in {time.monotonic() - t0:.1f} s; {checkpoints}")


def test_an_edit_after_a_line_separator_in_a_label_keeps_the_buffer_in_sync(
    client: RawClient, tmp_path: Path
) -> None:
    """The issue's case: a label with U+2028 (U+2029, NEL), then an incremental edit below it; `check` reports
    FF101 there. A lone CR does end a line for the client: FF101 is one line further down than `check` says."""
    init = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    assert client.wait_for(lambda: init in client.responses, 60)
    client.notify("initialized", {})
    for name, sep in [("LS", "\u2028"), ("PS", "\u2029"), ("NEL", "\u0085"), ("CR", "\r")]:
        path = tmp_path / f"sep-{name}.flow.yaml"
        uri = path.as_uri()
        text = WORKFLOW.replace('"NMuon >= 2"', f'{{label: "a{sep}b", expr: "NMuon >= 2"}}')
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        at = text.index("op: hep.hist") + len("op: hep.h")
        change = {"range": {"start": to_position(text, at), "end": to_position(text, at + 3)}, "text": "sit"}
        text = text[:at] + "sit" + text[at + 3 :]
        client.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]}
        )

        def seen(uri: str = uri) -> list[dict[str, Any]]:
            return [p for p in client.published if p["uri"] == uri and p.get("version") == 2]

        assert client.wait_for(lambda: bool(seen()), 60), name
        got = {
            (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"])
            for d in seen()[-1]["diagnostics"]
        }
        want = expected_diagnostics(text, str(path))
        assert "FF101" in {c for c, _, _ in want}, name
        assert got == want, name


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\u2028b\u2029c\u0085d\x0ce\n", ["a\u2028b\u2029c\u0085d\x0ce\n"]),
        ("a\r\nb\rc\nd", ["a\r\n", "b\r", "c\n", "d"]),
        ("\n\n", ["\n", "\n"]),
        ("", []),
    ],
)
def test_server_buffers_count_lines_as_the_lsp_does(text: str, lines: list[str]) -> None:
    from fasthep_flow.lsp.buffers import LspTextDocument

    assert list(LspTextDocument("file:///x.yaml", source=text).lines) == lines
