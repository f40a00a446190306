"""The generated JSON Schema in a real yaml-language-server (npm), driven over stdio with pytest-lsp: a valid
workflow gets no diagnostics; an unknown op and an unknown param are reported where they are. Both ways of
attaching the schema are covered: the `# yaml-language-server: $schema=...` modeline and the `yaml.schemas`
setting. The server is installed with npm into a cache folder once; without npm the test fails (it never
skips)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

from .locations import REPO, require_executable

YLS_VERSION = "2.0.0"
SCHEMA = REPO / "schemas" / "workflow.schema.json"
CACHE = Path(
    os.environ.get("FASTHEP_FLOW_TEST_CACHE", Path(tempfile.gettempdir()) / "fasthep-flow-test-cache")
)

GOOD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100, seed: 1}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 60}}]
"""
# Two mistakes: an unknown op (line 6 below the header, value at column 10) and an unknown param of hep.hist.
BAD = GOOD.replace("op: hep.define", "op: hep.defnie").replace(
    "        axes: [", "        colour: red\n        axes: ["
)
# 0-based (line, character) of the mistakes in BAD, without a modeline (a modeline adds one line).
UNKNOWN_OP_AT = (6, 10)
UNKNOWN_PARAM_AT = (13, 8)


def install_yaml_language_server() -> Path:
    """`npm install yaml-language-server@YLS_VERSION` into the cache once; returns its bin script."""
    npm = require_executable("npm")
    require_executable("node")
    target = CACHE / f"yaml-language-server-{YLS_VERSION}"
    script = target / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    if script.is_file():
        return script
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="yls-", dir=CACHE))
    result = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(staging),
            f"yaml-language-server@{YLS_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install yaml-language-server failed:\n{result.stderr[-3000:]}")
    try:
        staging.rename(target)  # atomic: a half-finished install is never taken for a cached one
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another run finished first
    return script


@pytest.fixture(scope="module")
def yls_script() -> Path:
    if not SCHEMA.is_file():
        pytest.fail(
            f"{SCHEMA} does not exist; generate it with `fasthep-flow schema -o schemas/workflow.schema.json`"
        )
    return install_yaml_language_server()


async def start(script: Path, yaml_settings: dict[str, object], root: Path) -> LanguageClient:
    client = make_test_lsp_client()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(_client: LanguageClient, _params: types.RegistrationParams) -> None:
        """yaml-language-server registers for didChangeConfiguration; accepting is all a client must do."""

    @client.feature(types.TELEMETRY_EVENT)
    def telemetry(_client: LanguageClient, _params: object) -> None:
        """The server reports telemetry; ignored."""

    await client.start_io("node", str(script), "--stdio")
    # Answers workspace/configuration: yaml-language-server pulls `yaml`, `http`, `[yaml]`, `editor`, `files`.
    client.set_configuration({"yaml": yaml_settings, "http": {}, "[yaml]": {}, "editor": {}, "files": {}})
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )
    return client


@pytest_asyncio.fixture
async def modeline_client(yls_script: Path, tmp_path: Path) -> AsyncIterator[LanguageClient]:
    client = await start(
        yls_script, {"validate": True, "hover": True, "completion": True, "schemas": {}}, tmp_path
    )
    yield client
    await client.shutdown_session()
    await client.stop()


@pytest_asyncio.fixture
async def settings_client(yls_script: Path, tmp_path: Path) -> AsyncIterator[LanguageClient]:
    settings = {
        "validate": True,
        "hover": True,
        "completion": True,
        "schemas": {SCHEMA.as_uri(): "*.flow.yaml"},
    }
    client = await start(yls_script, settings, tmp_path)
    yield client
    await client.shutdown_session()
    await client.stop()


def open_doc(client: LanguageClient, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    return uri


async def diagnostics_when(
    client: LanguageClient, uri: str, ready: Callable[[list[types.Diagnostic]], bool], timeout: float = 30.0
) -> list[types.Diagnostic]:
    """Waits until the diagnostics published for `uri` satisfy `ready` (the server may publish more than once,
    e.g. again after it pulled the settings); returns the last ones received either way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        got = list(client.diagnostics.get(uri, ()))
        if uri in client.diagnostics and ready(got):
            return got
        await asyncio.sleep(0.1)
    return list(client.diagnostics.get(uri, ()))


def starts(diagnostics: list[types.Diagnostic]) -> set[tuple[int, int]]:
    return {(d.range.start.line, d.range.start.character) for d in diagnostics}


def shifted(at: tuple[int, int], lines: int) -> tuple[int, int]:
    return (at[0] + lines, at[1])


async def check_good_and_bad(client: LanguageClient, good_path: Path, bad_path: Path, header: str) -> None:
    offset = header.count("\n")
    op_at, param_at = shifted(UNKNOWN_OP_AT, offset), shifted(UNKNOWN_PARAM_AT, offset)
    expected = {op_at, param_at}
    good_uri = open_doc(client, good_path, header + GOOD)
    bad_uri = open_doc(client, bad_path, header + BAD)

    bad = await diagnostics_when(client, bad_uri, lambda ds: expected <= starts(ds))
    assert expected <= starts(bad), [(d.range.start, d.message) for d in bad]
    param_messages = [d.message for d in bad if (d.range.start.line, d.range.start.character) == param_at]
    assert any("colour" in m for m in param_messages), param_messages
    # The good document was opened first; by now its diagnostics are in, and there are none.
    good = await diagnostics_when(client, good_uri, lambda ds: True)
    assert good_uri in client.diagnostics
    assert good == [], [(d.range.start, d.message) for d in good]


async def test_schema_by_modeline(modeline_client: LanguageClient, tmp_path: Path) -> None:
    # The files are not named *.flow.yaml: only the modeline associates the schema.
    header = f"# yaml-language-server: $schema={SCHEMA}\n"
    await check_good_and_bad(modeline_client, tmp_path / "good.yaml", tmp_path / "bad.yaml", header)


async def test_schema_by_setting(settings_client: LanguageClient, tmp_path: Path) -> None:
    await check_good_and_bad(settings_client, tmp_path / "good.flow.yaml", tmp_path / "bad.flow.yaml", "")


async def test_without_schema_nothing_is_reported(modeline_client: LanguageClient, tmp_path: Path) -> None:
    """Control: the same bad file with neither modeline nor setting is plain YAML to the server, so the
    diagnostics above really come from our schema."""
    uri = open_doc(modeline_client, tmp_path / "bad.yaml", BAD)
    marker = open_doc(modeline_client, tmp_path / "broken.yaml", "a: [1, 2\n")
    await diagnostics_when(modeline_client, marker, lambda ds: len(ds) > 0)
    assert list(modeline_client.diagnostics.get(uri, ())) == []
