"""``fasthep-flow lsp``: parse the options, answer ``initialize``, then start the pygls server.

Kept apart from ``server.py`` so that starting over stdio imports nothing heavy before the client has its
answer to ``initialize`` (``handshake.py``); pygls, lsprotocol and the server's modules are imported after.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="fasthep-flow lsp", description="Run the fasthep-flow language server."
    )
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead of stdio")
    parser.add_argument("--log-file", metavar="PATH", help="write the server log here (default: stderr)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser.parse_args(list(argv))


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"fasthep-flow lsp: --tcp expects HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    tcp = _host_port(args.tcp) if args.tcp else None
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(args.log_level)
    logging.getLogger("pygls").setLevel(max(logging.WARNING, root.level))
    stdin = answered = None
    if tcp is None:
        from fasthep_flow.lsp.handshake import answer_first

        stdin, answered = answer_first(sys.stdin.buffer, sys.stdout.buffer)
    from fasthep_flow.lsp.server import build_server

    server = build_server()  # the compiler is imported after `initialized`: see `server.warm_up`
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.protocol.answered_early = answered
        server.start_io(stdin, sys.stdout.buffer)  # type: ignore[arg-type]
    return 0
