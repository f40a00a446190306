"""Opening a workflow runs no code (issue 10, hole 1), with the issue's exact inputs.

Without trust, `check` (and the language service the editor uses) imports nothing a workflow names, whether the
module is in the workspace, installed, or the standard library; `run` refuses, naming each entry. With trust,
an import's prints go to stderr and its `SystemExit` becomes a diagnostic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from limited_process import assert_within_limits, run_cli

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document import codes
from fasthep_flow.service import Context, Document, diagnose

BASE = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100, seed: 1}
data:
  datasets:
    - {name: toy}
analysis:
  stages:
    - id: V
      op: hep.define
      params:
        variables:
          - {name: X, expr: "NMuon + 1"}
"""

CASES = {
    # name: (workflow, where the FF112 is: line, column, the module that must stay unimported)
    "venv-layer": (BASE + 'registry: [{spec: "venv.__main__:x"}]\n', (14, 19), "venv.__main__"),
    "venv-profile": (
        BASE.replace("version: 1.0\n", 'version: 1.0\nuse: {profiles: ["venv.__main__:p"]}\n'),
        (2, 18),
        "venv.__main__",
    ),
    "this-layer": (BASE + 'registry: [{spec: "this:x"}]\n', (14, 19), "this"),
    "builtins-impl": (
        BASE.replace("op: hep.define", "op: myprint")
        + 'registry: [{spec: "fasthep_flow.ops.hep.define:SPEC", impl: "builtins:print", name: myprint}]\n',
        (14, 19),
        None,
    ),
    # upstream's mapping of sections: a bound function would be called by the run, so an installed module
    # (`os`) needs trust as much as workspace code does
    "os-system-function": (BASE + 'registry:\n  functions: {f: "os:system"}\n', (15, 18), None),
    "this-constant": (BASE + 'registry:\n  constants: {PI: "this:x"}\n', (15, 19), "this"),
}
WHAT = {
    "venv-profile": "profile",
    "os-system-function": "registry function",
    "this-constant": "registry constant",
}


def workspace(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "wf.yaml").write_text(CASES[case][0], encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_imports_nothing_and_reports_the_entry(tmp_path: Path, case: str) -> None:
    folder = workspace(tmp_path, case)
    done = run_cli(["check", "--format", "json", "wf.yaml"], folder)
    assert_within_limits(done)
    assert done.returncode == 0  # untrusted code is a warning: the rest of the workflow is still checked
    found = json.loads(done.stdout)  # stdout is the report and nothing else (no Zen of Python in it)
    line, col = CASES[case][1]
    at_entry = [d for d in found if (d["location"]["row"], d["location"]["column"]) == (line, col)]
    assert [(d["code"], d["severity"]) for d in at_entry] == [("FF112", "warning")]
    assert "not loaded: workspace not trusted" in at_entry[0]["message"]
    assert {d["code"] for d in found} == {"FF112"}  # the stage using the op is a warning too, no cascade
    assert sorted(p.name for p in folder.iterdir()) == ["wf.yaml"]  # no virtualenv, nothing written
    assert "Zen of Python" not in done.stdout + done.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_language_service_imports_nothing(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # should the gate ever fail, `venv.__main__` reads this argv: no folder named, so it creates nothing
    monkeypatch.setattr(sys, "argv", ["fasthep-flow"])
    folder = workspace(tmp_path, case)
    module = CASES[case][2]
    if module is not None:
        assert module not in sys.modules
    found = diagnose(Document(str(folder / "wf.yaml"), CASES[case][0]), Context(trust=False))
    assert codes.UNTRUSTED in {d.code for d in found}
    assert not [d for d in found if d.is_error]
    if module is not None:
        assert module not in sys.modules
    assert sorted(p.name for p in folder.iterdir()) == ["wf.yaml"]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_refuses_naming_each_entry(tmp_path: Path, case: str) -> None:
    folder = workspace(tmp_path, case)
    done = run_cli(["run", "wf.yaml", "--outdir", "out"], folder)
    assert_within_limits(done)
    assert done.returncode == 1
    line, col = CASES[case][1]
    assert "refusing to run wf.yaml: it names Python code and the workspace is not trusted" in done.stderr
    what = WHAT.get(case, "registry layer")
    assert f"  wf.yaml:{line}:{col}: {what} '" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["wf.yaml"]  # no outputs, no virtualenv
    assert done.stdout == ""  # `print` was never called on the events


def test_run_names_every_untrusted_entry(tmp_path: Path) -> None:
    text = CASES["venv-profile"][0] + 'registry: [{spec: "this:x"}, {spec: "venv.__main__:y"}]\n'
    (tmp_path / "wf.yaml").write_text(text, encoding="utf-8")
    done = run_cli(["run", "wf.yaml"], tmp_path)
    assert done.returncode == 1
    named = [line.strip() for line in done.stderr.splitlines() if line.startswith("  wf.yaml:")]
    assert named == [
        "wf.yaml:2:18: profile 'venv.__main__:p'",
        "wf.yaml:15:19: registry layer 'this:x'",
        "wf.yaml:15:37: registry layer 'venv.__main__:y'",
    ]


def test_unknown_ops_are_not_errors_while_a_profile_is_unloaded() -> None:
    """A module-named profile may provide any op: until it is trusted, an unknown op is its warning."""
    text = (
        CASES["venv-profile"][0]
        .replace("op: hep.define", "op: lab.scale")
        .replace(
            '          - {name: X, expr: "NMuon + 1"}\n',
            "          - x\n    - {id: W, op: hep.hist, params: {}}\n",
        )
    )
    result = compile_text(text, "/nowhere/wf.yaml", CompileOptions(check_inputs=False))
    untrusted = [d for d in result.diagnostics if d.code is codes.UNTRUSTED]
    assert [(d.span.start.line + 1, d.severity.label) for d in untrusted] == [(2, "warning"), (11, "warning")]
    assert "may come from profile 'venv.__main__:p'" in untrusted[1].message
    assert [item.ref for item in result.untrusted_code] == ["venv.__main__:p"]


# --- with trust: imports are isolated ------------------------------------------------------------------------

NOISY = """\
import sys
print("noisy module says hello")
from fasthep_flow.registry.specs import OpKind, OpSpec
SPEC = OpSpec("lab.noisy", OpKind.TRANSFORM, "prints when imported")
"""


@pytest.fixture
def trusted_folder(tmp_path: Path):
    (tmp_path / "noisy_ops.py").write_text(NOISY, encoding="utf-8")
    (tmp_path / "exiting_ops.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    yield tmp_path
    for name in ("noisy_ops", "exiting_ops"):
        sys.modules.pop(name, None)


def test_trusted_import_prints_to_stderr_not_stdout(
    trusted_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace("op: hep.define", "op: lab.noisy") + 'registry: [{spec: "noisy_ops:SPEC"}]\n'
    found = diagnose(Document(str(trusted_folder / "wf.yaml"), text), Context(trust=True))
    assert codes.UNTRUSTED not in {d.code for d in found}
    out, err = capsys.readouterr()
    assert out == "" and "noisy module says hello" in err


def test_trusted_import_that_exits_is_a_diagnostic(trusted_folder: Path) -> None:
    text = BASE + 'registry: [{spec: "exiting_ops:SPEC"}]\n'
    found = diagnose(Document(str(trusted_folder / "wf.yaml"), text), Context(trust=True))  # no SystemExit
    (failed,) = [d for d in found if d.code is codes.REGISTRY_LOAD]
    assert "SystemExit: 3" in failed.message and failed.span.start.line == 13


def test_trusted_check_of_this_keeps_stdout_clean(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(CASES["this-layer"][0], encoding="utf-8")
    done = run_cli(["check", "--trust", "--format", "json", "wf.yaml"], tmp_path)
    assert_within_limits(done)
    found = json.loads(done.stdout)  # still pure JSON: the Zen went to stderr
    assert "The Zen of Python" in done.stderr
    assert [(d["code"], d["location"]["row"]) for d in found] == [("FF113", 14)]


def test_an_installed_plugin_that_exits_or_prints_is_contained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A real module, registered as an entry point, that prints and calls sys.exit while it is imported."""
    from fasthep_flow.registry import plugins as plugins_mod
    from fasthep_flow.registry import registry as registry_mod

    (tmp_path / "bad_plugin.py").write_text(
        'print("plugin import chatter")\nraise SystemExit(0)\n', encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins_mod, "entry_point_refs", lambda: [("bad", "bad_plugin:PLUGIN")])
    caches = (plugins_mod.installed_plugins, registry_mod._known_profiles, registry_mod._registry_for)
    for cached in caches:
        cached.cache_clear()
    try:
        problems = plugins_mod.installed_plugins().problems
    finally:
        for cached in caches:
            cached.cache_clear()
        sys.modules.pop("bad_plugin", None)
    assert [p.message for p in problems] == [
        "plugin could not be loaded: entry point bad_plugin:PLUGIN raised SystemExit: 0"
    ]
    out, err = capsys.readouterr()
    assert out == "" and "plugin import chatter" in err


def test_the_editors_run_command_refuses_too(tmp_path: Path) -> None:
    from fasthep_flow.service import run_plan

    folder = workspace(tmp_path, "builtins-impl")
    report = run_plan(Document(str(folder / "wf.yaml"), CASES["builtins-impl"][0]), Context(trust=False))
    assert not report.ok
    assert "workspace is not trusted" in report.message
    assert report.errors == ("registry layer 'fasthep_flow.ops.hep.define:SPEC' (line 14)",)
    assert sorted(p.name for p in folder.iterdir()) == ["wf.yaml"]


# --- the real language server, over stdio, started in the workspace folder -----------------------------------


def _read_frames(stream, into: list[dict]) -> None:
    """Every JSON-RPC message the server writes, appended to ``into``; anything else on stdout fails."""
    while True:
        headers: dict[bytes, bytes] = {}
        line = stream.readline()
        if not line:
            return
        while line not in (b"\r\n", b""):
            name, sep, value = line.partition(b": ")
            assert sep, f"not a JSON-RPC header: {line[:80]!r}"  # e.g. the Zen of Python
            headers[name] = value.strip()
            line = stream.readline()
        into.append(json.loads(stream.read(int(headers[b"Content-Length"]))))


def _send(stream, message: dict) -> None:
    body = json.dumps(message).encode()
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


@pytest.mark.parametrize("case", ["venv-layer", "venv-profile", "this-layer"])
def test_language_server_imports_nothing_and_keeps_its_stream_clean(tmp_path: Path, case: str) -> None:
    """The issue saw a virtualenv named `lsp` appear and the server exit; `this` wrote into the stream."""
    import os
    import subprocess
    import threading
    import time

    folder = workspace(tmp_path, case)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    server = subprocess.Popen(
        [sys.executable, "-m", "fasthep_flow", "lsp"],
        cwd=folder,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None
    messages: list[dict] = []
    reader = threading.Thread(target=_read_frames, args=(server.stdout, messages), daemon=True)
    reader.start()
    item = {"uri": (folder / "wf.yaml").as_uri(), "languageId": "yaml", "version": 1, "text": CASES[case][0]}
    _send(server.stdin, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    _send(server.stdin, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    _send(
        server.stdin, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}
    )
    deadline = time.monotonic() + 60
    while not any(m.get("method") == "textDocument/publishDiagnostics" for m in messages):
        assert time.monotonic() < deadline and server.poll() is None, "no diagnostics, or the server died"
        time.sleep(0.05)
    _send(server.stdin, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    _send(server.stdin, {"jsonrpc": "2.0", "method": "exit", "params": None})
    server.wait(timeout=60)
    reader.join(timeout=10)
    answered = {m.get("id") for m in messages if "result" in m or "error" in m}
    assert {1, 2} <= answered  # alive to the end: no SystemExit, no broken stream
    published = [m["params"] for m in messages if m.get("method") == "textDocument/publishDiagnostics"]
    found = [(d["code"], d["range"]["start"]["line"] + 1) for p in published for d in p["diagnostics"]]
    assert ("FF112", CASES[case][1][0]) in found
    assert sorted(p.name for p in folder.iterdir()) == ["wf.yaml"]  # no `lsp` virtualenv


def test_the_python_api_refuses_to_run_untrusted_code(tmp_path: Path) -> None:
    import fasthep_flow

    folder = workspace(tmp_path, "builtins-impl")
    workflow = fasthep_flow.load(folder / "wf.yaml", check_inputs=False)  # loads: FF112 is a warning
    assert [d.code for d in workflow.warnings] == [codes.UNTRUSTED, codes.UNTRUSTED]
    with pytest.raises(fasthep_flow.WorkflowError) as refused:
        workflow.run()
    assert [(d.code, d.span.start.line + 1) for d in refused.value.diagnostics] == [(codes.UNTRUSTED, 14)]
    assert "refusing to run" in str(refused.value)
