"""Drive `fasthep-flow lsp` over stdio on a generated 300-stage workflow, and yaml-language-server beside it.

Prints, for fasthep-flow and for yaml-language-server (npm, installed into a cache folder on first use;
validating against `schemas/workflow.schema.json`) measured in the same run, side by side: the time to start
the server and answer `initialize`; the latency from `didChange` to the `publishDiagnostics` of that version
(median, p95) for each kind of edit — typing one character in an expression, adding a stage, changing a key
(a param name, alternately broken and fixed), and a full-document replace; semantic tokens (full and range)
and document symbols requested right after an edit; and completion.

    python benchmarks/bench_lsp.py [--stages 300] [--edits 40] [--no-yamlls]

Each measured edit comes after a pause longer than the debounce window, as when a user stops typing for a
moment: the debounce only holds back edits that arrive within the window of the previous one (a burst), and
the burst row shows that case (last edit of a burst of 5, sent 20 ms apart -> its diagnostics).
Targets (issue 13): diagnostics median <= 30 ms, p95 <= 60 ms for every edit kind; semantic tokens and
symbols <= 30 ms; completion median <= 15 ms. On a busy machine the wall-clock figures mostly measure the
wait for a CPU: the server's own CPU time per edit (from ``/proc``, Linux only) is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "workflow.schema.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fasthep-flow" / "bench-lsp"
PAUSE = 0.25
"""Seconds between measured edits: longer than the server's 150 ms debounce window."""


def generate(stages: int) -> str:
    """A toy workflow whose stages chain through the fields earlier stages define."""
    out = [
        "version: 1.0",
        "sources:",
        "  events: {kind: toy, nevents: 1000}",
        "analysis:",
        "  globals: {iso_cut: 0.1}",
        "  stages:",
    ]
    last = "Muon_Px"
    for i in range(stages):
        kind = i % 3
        if kind == 0:
            out += [
                f"    - id: Define{i}",
                "      op: hep.define",
                "      params:",
                "        variables:",
                f'          - {{name: V{i}_a, expr: "sqrt({last} ** 2 + Muon_Py ** 2) * 1"}}',
                f'          - {{name: V{i}_b, expr: "(Muon_Iso / V{i}_a) < iso_cut"}}',
            ]
            last = f"V{i}_a"
        elif kind == 1:
            out += [
                f"    - id: Flag{i}",
                "      op: hep.selection.flag",
                "      params:",
                f'        selection: ["NMuon >= 1", "leading({last}, 0) > {i % 50}"]',
            ]
        else:
            out += [
                f"    - id: Hist{i}",
                "      op: hep.hist",
                "      params:",
                f"        axes: [{{name: x, source: {last}, type: regular, bins: {{low: 0, high: 100, nbins: 20}}}}]",
            ]
    return "\n".join(out) + "\n"


def toggle_digit(probe: Probe, uri: str, lines: list[str], target: int, version: int) -> None:
    """Type one character: the digit after the last `* ` of the target line flips between 1 and 2 (the
    first `* ` is inside `** 2`). ``lines`` is kept equal to the server's text."""
    old = lines[target]
    new = old.replace('* 1"', '* 2"') if '* 1"' in old else old.replace('* 2"', '* 1"')
    lines[target] = new
    col = new.rindex("* ") + 2
    probe.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(target, col), types.Position(target, col + 1)),
                    text=new[col],
                )
            ],
        )
    )


class Editor:
    """The client's copy of the text and the edits of each kind; every edit keeps it equal to the server's."""

    def __init__(self, probe: Probe, uri: str, text: str) -> None:
        self.probe, self.uri = probe, uri
        self.lines = text.split("\n")
        self.version = 1
        self.target = max(i for i, line in enumerate(self.lines) if '* 1"' in line or '* 2"' in line)
        self.added = 0
        self.key_line = max(
            i for i, line in enumerate(self.lines) if "high: 100" in line or "hig: 100" in line
        )

    def _send(self, change: Any) -> int:
        self.version += 1
        self.probe.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[change],
            )
        )
        return self.version

    def typing(self) -> int:
        """One character typed inside an expression (a digit flips between 1 and 2)."""
        self.version += 1
        toggle_digit(self.probe, self.uri, self.lines, self.target, self.version)
        return self.version

    def add_stage(self) -> int:
        """A new stage inserted before the last line (the document ends with a newline)."""
        self.added += 1
        n = self.added
        new = [
            f"    - id: Added{n}",
            "      op: hep.selection.flag",
            "      params:",
            f'        selection: ["NMuon >= {n % 7}"]',
        ]
        at = len(self.lines) - 1
        self.lines[at:at] = new
        pos = types.Position(at, 0)
        return self._send(
            types.TextDocumentContentChangePartial(range=types.Range(pos, pos), text="\n".join(new) + "\n")
        )

    def change_key(self) -> int:
        """A key renamed in place: `high:` becomes `hig:` (an unknown param) and back."""
        old = self.lines[self.key_line]
        if "high: 100" in old:
            col = old.index("high: 100") + 3
            new_line, change = old[:col] + old[col + 1 :], ""
            rng = types.Range(types.Position(self.key_line, col), types.Position(self.key_line, col + 1))
        else:
            col = old.index("hig: 100") + 3
            new_line, change = old[:col] + "h" + old[col:], "h"
            rng = types.Range(types.Position(self.key_line, col), types.Position(self.key_line, col))
        self.lines[self.key_line] = new_line
        return self._send(types.TextDocumentContentChangePartial(range=rng, text=change))

    def replace_all(self) -> int:
        """The whole document sent again (as formatters and some clients do), with one digit changed."""
        old = self.lines[self.target]
        self.lines[self.target] = (
            old.replace('* 1"', '* 2"') if '* 1"' in old else old.replace('* 2"', '* 1"')
        )
        return self._send(types.TextDocumentContentChangeWholeDocument(text="\n".join(self.lines)))


EDIT_KINDS = ("typing", "add_stage", "change_key", "replace_all")
EDIT_NAMES = {
    "typing": "typing in an expression",
    "add_stage": "adding a stage",
    "change_key": "changing a key",
    "replace_all": "full replace",
}


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time the process has used (Linux ``/proc``; None elsewhere)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Probe:
    """A client that records when each version's diagnostics arrive."""

    def __init__(self) -> None:
        self.client = LanguageClient("bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.any_arrival = asyncio.Event()
        self.settings: dict[str, Any] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.arrived[(params.uri, params.version)] = time.perf_counter()
            self.arrived[(params.uri, None)] = time.perf_counter()
            self.last_count = len(params.diagnostics)
            self.any_arrival.set()

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [self.settings.get(item.section or "", None) for item in params.items]

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None

    async def wait(self, uri: str, version: int | None, since: float, timeout: float = 30.0) -> float:
        """Seconds from ``since`` to the arrival of diagnostics for (uri, version)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            t = self.arrived.get((uri, version))
            if t is not None and t >= since:
                return t - since
            self.any_arrival.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.any_arrival.wait(), timeout=0.5)
        raise TimeoutError(f"no diagnostics for {uri} version {version}")


CAPS = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
        completion=types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(snippet_support=True)
        ),
    ),
    workspace=types.WorkspaceClientCapabilities(configuration=True),
)


async def measure(
    cmd: list[str],
    text: str,
    path: Path,
    edits: int,
    *,
    versioned: bool,
    settings: dict[str, Any] | None = None,
    completion_at: tuple[int, int] | None = None,
) -> dict[str, Any]:
    probe = Probe()
    probe.settings = settings or {}
    t0 = time.perf_counter()
    await probe.client.start_io(*cmd)
    result = await probe.client.initialize_async(
        types.InitializeParams(capabilities=CAPS, root_uri=path.parent.as_uri(), process_id=os.getpid())
    )
    caps = result.capabilities
    probe.client.initialized(types.InitializedParams())
    init = time.perf_counter() - t0
    if settings:
        probe.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
    uri = path.as_uri()
    t = time.perf_counter()
    probe.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    first = await probe.wait(uri, 1 if versioned else None, t)
    editor = Editor(probe, uri, text)
    by_kind: dict[str, list[float]] = {k: [] for k in EDIT_KINDS}
    server = getattr(probe.client, "_server", None)
    pid = getattr(server, "pid", None)
    cpu: dict[str, float] = dict.fromkeys(EDIT_KINDS, 0.0)
    for k in range(edits):
        for kind in EDIT_KINDS:
            await asyncio.sleep(PAUSE)
            before = _cpu_seconds(pid)
            t = time.perf_counter()
            version = getattr(editor, kind)()
            by_kind[kind].append(await probe.wait(uri, version if versioned else None, t))
            after = _cpu_seconds(pid)
            if before is not None and after is not None:
                cpu[kind] += after - before
        del k
    latencies = by_kind["typing"]
    # a burst: five edits 20 ms apart, timed from the last one
    for _ in range(5):
        t = time.perf_counter()
        version = editor.typing()
        await asyncio.sleep(0.02)
    burst = await probe.wait(uri, version if versioned else None, t)
    requests = await _requests_after_edits(probe, editor, caps)
    completions: list[float] = []
    typing: list[float] = []
    if completion_at is not None:
        # as while typing: an edit, then at once a completion (before that version has been diagnosed)
        for _ in range(20):
            await asyncio.sleep(PAUSE)
            editor.typing()
            t = time.perf_counter()
            result = await probe.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri), position=types.Position(*completion_at)
                )
            )
            typing.append(time.perf_counter() - t)
            items = result.items if isinstance(result, types.CompletionList) else (result or [])
            if not items:
                raise AssertionError("completion returned nothing")
        await asyncio.sleep(PAUSE)
        for _ in range(30):
            t = time.perf_counter()
            result = await probe.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    position=types.Position(*completion_at),
                )
            )
            completions.append(time.perf_counter() - t)
            items = result.items if isinstance(result, types.CompletionList) else (result or [])
            if not items:
                raise AssertionError("completion returned nothing")
    await probe.client.shutdown_async(None)
    probe.client.exit(None)
    await probe.client.stop()
    return {
        "init": init,
        "first": first,
        "latencies": latencies,
        **{f"edit:{k}": v for k, v in by_kind.items()},
        **{f"cpu:{k}": v / max(1, edits) for k, v in cpu.items()},
        **requests,
        "burst": burst,
        "completions": completions,
        "typing": typing,
    }


async def _requests_after_edits(
    probe: Probe, editor: Editor, caps: types.ServerCapabilities
) -> dict[str, Any]:
    """Semantic tokens (full, and a 60-line range) and document symbols, each asked right after an edit
    (as an editor does while the user types): the time includes bringing the parse up to date."""
    doc = types.TextDocumentIdentifier(editor.uri)
    out: dict[str, list[float]] = {"tokens_full": [], "tokens_range": [], "symbols": []}
    provider = caps.semantic_tokens_provider
    has_range = bool(provider is not None and getattr(provider, "range", None))
    mid = len(editor.lines) // 2
    window = types.Range(types.Position(mid, 0), types.Position(mid + 60, 0))
    for _ in range(20):
        await asyncio.sleep(PAUSE)
        if provider is not None:
            editor.typing()
            t = time.perf_counter()
            await probe.client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(doc))
            out["tokens_full"].append(time.perf_counter() - t)
        if has_range:
            editor.typing()
            t = time.perf_counter()
            await probe.client.text_document_semantic_tokens_range_async(
                types.SemanticTokensRangeParams(doc, window)
            )
            out["tokens_range"].append(time.perf_counter() - t)
        if caps.document_symbol_provider:
            editor.typing()
            t = time.perf_counter()
            await probe.client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
            out["symbols"].append(time.perf_counter() - t)
    return out


def install_yamlls() -> Path | None:
    """yaml-language-server from npm, installed once into the cache folder."""
    target = CACHE / "yamlls"
    server = target / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    if server.exists():
        return server
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("yaml-language-server: node/npm not found, skipped")
        return None
    target.mkdir(parents=True, exist_ok=True)
    print(f"installing yaml-language-server into {target} ...", flush=True)
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(target),
            "yaml-language-server",
        ],
        check=True,
    )
    return server if server.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stages", type=int, default=300)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--no-yamlls", action="store_true", help="skip yaml-language-server")
    args = parser.parse_args(argv)

    text = generate(args.stages)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.flow.yaml"
        path.write_text(text, encoding="utf-8")
        lines = text.split("\n")
        comp_line = max(i for i, line in enumerate(lines) if 'expr: "(Muon_Iso / V' in line)
        comp_col = lines[comp_line].index("(Muon_Iso") + len("(Muon_I")
        print(f"workflow: {args.stages} stages, {len(lines)} lines, {len(text):,} characters")
        ours = asyncio.run(
            measure(
                [sys.executable, "-m", "fasthep_flow", "lsp"],
                text,
                path,
                args.edits,
                versioned=True,
                completion_at=(comp_line, comp_col),
            )
        )
        theirs = None
        if not args.no_yamlls:
            server = install_yamlls()
            if server is not None:
                ypath = Path(tmp) / "bench-yamlls.flow.yaml"
                ytext = f"# yaml-language-server: $schema={SCHEMA}\n" + text
                ypath.write_text(ytext, encoding="utf-8")
                settings = {"yaml": {"validate": True, "hover": False, "completion": True, "schemas": {}}}
                theirs = asyncio.run(
                    measure(
                        ["node", str(server), "--stdio"],
                        ytext,
                        ypath,
                        args.edits,
                        versioned=False,
                        settings=settings,
                    )
                )

    def summary(r: dict[str, Any] | None, key: str, q: float | None = None) -> float | None:
        if r is None:
            return None
        values = r[key]
        if not isinstance(values, list):
            return float(values)
        if not values:
            return None
        return statistics.median(values) if q is None else _pct(values, q)

    print()
    print(f"  {'':<44}{'fasthep-flow':>12}  {'yaml-language-server':>22}   target")
    rows = [
        ("initialize (spawn + handshake)", "init", None, "<= 300 ms"),
        ("didOpen -> diagnostics", "first", None, ""),
    ]
    for kind in EDIT_KINDS:
        rows.append((f"{EDIT_NAMES[kind]} -> diagnostics, median", f"edit:{kind}", 0.5, "<= 30 ms"))
        rows.append((f"{EDIT_NAMES[kind]} -> diagnostics, p95", f"edit:{kind}", 0.95, "<= 60 ms"))
    for kind in EDIT_KINDS:
        rows.append((f"server CPU per edit, {EDIT_NAMES[kind]}", f"cpu:{kind}", None, "(10 ms ticks)"))
    rows += [
        ("last edit of a burst -> diagnostics", "burst", None, "(debounce window 150 ms)"),
        ("semantic tokens, full, after an edit", "tokens_full", 0.5, "<= 30 ms"),
        ("semantic tokens, range, after an edit", "tokens_range", 0.5, "<= 30 ms"),
        ("document symbols, after an edit", "symbols", 0.5, "<= 30 ms"),
        ("completion, median", "completions", 0.5, "<= 15 ms"),
        ("completion right after an edit, median", "typing", 0.5, "<= 15 ms"),
    ]
    for name, key, q, target in rows:
        a = summary(ours, key, None if q == 0.5 else q)
        b = summary(theirs, key, None if q == 0.5 else q)
        fa = f"{a * 1000:9.1f} ms" if a is not None else "        –   "
        fb = f"{b * 1000:9.1f} ms" if b is not None else "        –   "
        print(f"  {name:<44}{fa:>12}  {fb:>22}   {target}")
    print()
    print(
        "  yaml-language-server validates structure only (the JSON Schema); fasthep-flow also resolves ops,"
    )
    print("  params, stage references, the data-flow of fields and every expression.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
