"""Answering ``initialize`` before pygls is imported.

Importing pygls costs ~0.35 s of CPU here, nearly all of it lsprotocol building its ~570 attrs classes, and
the client waits for the answer to ``initialize`` before it sends anything else. The answer depends on very
little: the capabilities pygls computes from the features the server registers (fixed: ``capabilities.json``
beside this file, written by ``python -m fasthep_flow.lsp.handshake --write``) and, from the client's
capabilities, four choices made the way pygls makes them (position encoding, rename's prepare support, the
will-save flags, pull diagnostics). So the stdio server reads the first message itself, answers it from that
file, and only then imports pygls; pygls is then handed the same ``initialize`` (replayed from memory) to set
up its state, and its own answer — the same one, checked by ``tests/lsp/test_lsp_handshake.py`` over many
client profiles — is dropped.

Nothing here imports pygls or lsprotocol (only ``write_capabilities`` and ``pygls_answer``, which the tests and
the refresh command use).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

CAPABILITIES_FILE = Path(__file__).with_name("capabilities.json")
_ENCODINGS = ("utf-8", "utf-16", "utf-32")
"""The position encodings pygls supports, in no order: the client's first one among them is chosen."""


def read_message(stream: IO[bytes]) -> tuple[bytes, dict[str, Any] | None]:
    """One JSON-RPC message as it came (headers and body) and its parsed body; ``(raw, None)`` when the
    stream ended or the message is not JSON (pygls, reading the replay, reports it as it would have)."""
    raw = bytearray()
    length = None
    while True:
        line = stream.readline()
        raw += line
        if not line:
            return bytes(raw), None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii", "replace").partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value.strip())
    if length is None:
        return bytes(raw), None
    body = stream.read(length)
    raw += body
    try:
        message = json.loads(body)
    except ValueError:
        return bytes(raw), None
    return bytes(raw), message if isinstance(message, dict) else None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def early_answer(request: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The JSON-RPC response pygls would give to this ``initialize`` request, or None when the request is
    not one this module can answer exactly (then pygls answers it, later)."""
    if request.get("method") != "initialize" or "id" not in request:
        return None
    params = request.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("capabilities"), dict):
        return None  # pygls answers malformed params with its own error
    try:
        base = json.loads(CAPABILITIES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    client = params["capabilities"]
    caps = dict(base)
    caps["positionEncoding"] = _position_encoding(client)
    sync = dict(caps.get("textDocumentSync") or {})
    for flag, key in (("willSave", "willSave"), ("willSaveWaitUntil", "willSaveWaitUntil")):
        # pygls: `client_flag and (feature registered)`; no will-save feature is registered, so the flag is
        # False when the client states it either way and absent when it does not
        if _get(client, "textDocument", "synchronization", flag) is None:
            sync.pop(key, None)
        else:
            sync[key] = False
    caps["textDocumentSync"] = sync
    if _get(client, "textDocument", "rename", "prepareSupport"):
        caps["renameProvider"] = {"prepareProvider": True}
    else:
        caps["renameProvider"] = True
    if pulls(client):
        caps["diagnosticProvider"] = {
            "interFileDependencies": True,
            "workspaceDiagnostics": False,
            "identifier": "fasthep-flow",
        }
    else:
        caps.pop("diagnosticProvider", None)
    result = {"capabilities": caps, "serverInfo": {"name": "fasthep-flow", "version": version}}
    return {"id": request["id"], "jsonrpc": "2.0", "result": result}


def pulls(client: dict[str, Any]) -> bool:
    """The client pulls diagnostics and can be told to pull again (``lsp/diagnostics.py``, ``choose_mode``)."""
    return _get(client, "textDocument", "diagnostic") is not None and bool(
        _get(client, "workspace", "diagnostics", "refreshSupport")
    )


def _position_encoding(client: dict[str, Any]) -> str:
    offered = _get(client, "general", "positionEncodings")
    if isinstance(offered, list):
        for encoding in offered:
            if encoding in _ENCODINGS:
                return str(encoding)
    return "utf-16"


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Replay:
    """A binary stdin that gives back the bytes already read (the ``initialize`` message) before the rest."""

    def __init__(self, first: bytes, rest: IO[bytes]) -> None:
        self._first = first
        self._at = 0
        self._rest = rest

    def readline(self) -> bytes:
        if self._at < len(self._first):
            end = self._first.find(b"\n", self._at)
            end = len(self._first) if end == -1 else end + 1
            line = self._first[self._at : end]
            self._at = end
            if line.endswith(b"\n") or self._at < len(self._first):
                return line
            return line + self._rest.readline()
        return self._rest.readline()

    def read(self, n: int = -1) -> bytes:
        if self._at < len(self._first):
            if n < 0:
                chunk, self._at = self._first[self._at :], len(self._first)
                return chunk + self._rest.read()
            chunk = self._first[self._at : self._at + n]
            self._at += len(chunk)
            if len(chunk) < n:
                chunk += self._rest.read(n - len(chunk))
            return chunk
        return self._rest.read(n)

    def close(self) -> None:
        self._rest.close()


def answer_first(stdin: IO[bytes], stdout: IO[bytes]) -> tuple[Replay, Any]:
    """Read the first message; answer it when it is ``initialize``. Returns the stdin to hand to pygls and
    the id of the request answered here (None when nothing was answered)."""
    raw, message = read_message(stdin)
    answered = None
    if message is not None:
        from fasthep_flow._version import __version__

        response = early_answer(message, __version__)
        if response is not None:
            stdout.write(frame(response))
            stdout.flush()
            answered = message["id"]
    return Replay(raw, stdin), answered


# -- what pygls answers (tests, and refreshing capabilities.json) ------------------------------------------------


def pygls_answer(client_capabilities: dict[str, Any]) -> dict[str, Any]:
    """The ``initialize`` result pygls computes for this client, as JSON: what ``early_answer`` must match."""
    from lsprotocol import types

    from fasthep_flow.lsp.server import build_server

    server = build_server()
    protocol = server.protocol
    params = protocol._converter.structure(  # the converter pygls structures incoming params with
        {"processId": None, "rootUri": None, "capabilities": client_capabilities}, types.InitializeParams
    )
    gen = protocol.lsp_initialize(params)
    try:
        step = next(gen)
        while True:
            handler, args, _ = step
            step = gen.send(handler(*args))
    except StopIteration as done:
        result = done.value
    return json.loads(json.dumps(protocol._converter.unstructure(result)))


def write_capabilities() -> None:
    """Refresh ``capabilities.json`` from what pygls answers a client that states nothing."""
    caps = pygls_answer({})["capabilities"]
    CAPABILITIES_FILE.write_text(json.dumps(caps, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_capabilities()
        print(f"wrote {CAPABILITIES_FILE}")
    else:
        print("usage: python -m fasthep_flow.lsp.handshake --write")
