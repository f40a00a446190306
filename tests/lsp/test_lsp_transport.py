"""`fasthep-flow lsp --tcp HOST:PORT` serves over a socket; bad arguments are refused clearly."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from fasthep_flow.lsp.server import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _send(sock: socket.socket, payload: dict) -> None:
    body = json.dumps(payload).encode()
    sock.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def _receive(sock: socket.socket) -> dict:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int(
        next(h for h in head.decode().split("\r\n") if h.lower().startswith("content-length")).split(":")[1]
    )
    while len(rest) < length:
        rest += sock.recv(4096)
    return json.loads(rest[:length])


def test_tcp_initialize_round_trip() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fasthep_flow", "lsp", "--tcp", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        with sock:
            _send(sock, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
            reply = _receive(sock)
            assert reply["id"] == 1
            caps = reply["result"]["capabilities"]
            assert caps["completionProvider"] and caps["hoverProvider"] and "diagnosticProvider" not in caps
            assert reply["result"]["serverInfo"]["name"] == "fasthep-flow"
            _send(sock, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
            assert _receive(sock)["id"] == 2
            _send(sock, {"jsonrpc": "2.0", "method": "exit"})
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_tcp_address_is_refused() -> None:
    with pytest.raises(SystemExit, match="HOST:PORT"):
        main(["--tcp", "localhost"])
