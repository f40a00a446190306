"""Several workflows in one configuration: the plan each runs, one or all run through the CLI and the Python API,
the shared stages computed once, and the editor's diagnostics and go-to-definition across workflows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import fasthep_flow
from fasthep_flow.compiler import CompileOptions, compile_file, compile_text
from fasthep_flow.document import codes
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.plan import UnknownWorkflow, select_workflows
from fasthep_flow.service import Context, Document, definition, diagnose, path_to_uri, references

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "control_signal.flow.yaml"
VALID = REPO / "tests" / "fixtures" / "valid" / "workflows.flow.yaml"
CHUNK = "5000"  # the example's 20,000 toy events in 4 partitions


def _stage_nodes(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.id for n in plan.nodes if n.kind.value in ("read", "stage")]


def test_workflows_name_stages_and_extends_adds_the_other_workflows_stages() -> None:
    plan = compile_file(VALID).plan
    assert plan is not None
    assert dict(plan.workflows) == {
        "loose": ("LoosePt",),
        "tight": ("TightPt",),
        "both": ("LoosePt", "TightPt"),  # its own (none) and those of loose and tight, in stage order
    }


def test_a_workflow_runs_its_stages_and_what_they_need_only() -> None:
    plan = compile_file(VALID).plan
    assert plan is not None
    tight = select_workflows(plan, ["tight"])
    assert _stage_nodes(tight) == ["read.events", "stage.MuonVars", "stage.Tight", "stage.TightPt"]
    loose = select_workflows(plan, ["loose"])
    assert _stage_nodes(loose) == ["read.events", "stage.MuonVars", "stage.Loose", "stage.LoosePt"]
    both = select_workflows(plan, ["both"])
    assert _stage_nodes(both) == _stage_nodes(plan)  # every stage, each once
    assert dict(both.workflows) == {"both": ("LoosePt", "TightPt")}
    with pytest.raises(UnknownWorkflow, match=r"'loos'.*loose, tight, both"):
        select_workflows(plan, ["loos"])


def test_compile_option_cuts_the_plan_and_reports_unknown_names() -> None:
    plan = compile_file(VALID, CompileOptions(workflows=("tight",))).plan
    assert plan is not None and "stage.LoosePt" not in plan.by_id and "stage.TightPt" in plan.by_id
    result = compile_file(VALID, CompileOptions(workflows=("tigth",)))
    assert result.plan is None
    (diag,) = [d for d in result.diagnostics if d.code is codes.UNKNOWN_WORKFLOW]
    assert diag.hint == "did you mean 'tight'?"
    assert diag.span.start == Pos(VALID.read_text().splitlines().index("workflows:"), 0)


def test_a_file_without_workflows_has_the_same_plan_hash_as_before() -> None:
    """`workflows` is written into plan.json only when there are some: other plans keep their hashes."""
    text = "version: 1.0\nsources: {events: {kind: toy, nevents: 10}}\nanalysis:\n  stages:\n" + (
        "    - {id: F, op: hep.selection.flag, params: {selection: ['NMuon > 0']}}\n"
    )
    plan = compile_text(text, "t.yaml").plan
    assert plan is not None and "workflows" not in plan.to_dict()
    with_workflows = compile_text(text + "workflows: {only: {stages: [F]}}\n", "t.yaml").plan
    assert with_workflows is not None and with_workflows.to_dict()["workflows"] == {"only": ["F"]}
    assert with_workflows.hash != plan.hash


def _run_cli(tmp_path: Path, name: str, *workflow: str) -> dict:  # type: ignore[type-arg]
    outdir = tmp_path / name
    args = [str(EXAMPLE), "--outdir", str(outdir), "--chunk-size", CHUNK, "--no-cache", "--quiet"]
    for w in workflow:
        args += ["--workflow", w]
    proc = subprocess.run(
        [sys.executable, "-m", "fasthep_flow", "run", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads((outdir / "run.json").read_text())


def _calls(record: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """Per-node calls summed over datasets, from the run record."""
    out: dict[str, int] = {}
    for row in record["stages"]:
        out[row["node"]] = out.get(row["node"], 0) + row["calls"]
    return out


def test_example_runs_one_workflow_and_all_with_shared_stages_once(tmp_path: Path) -> None:
    control = _run_cli(tmp_path, "control", "control")
    everything = _run_cli(tmp_path, "all")
    partitions = everything["partitions"]
    assert partitions == 4 and control["partitions"] == 4
    assert control["options"]["workflows"] == ["control"]
    assert everything["options"]["workflows"] == ["control", "signal"]
    # one workflow: its stages and what they need, nothing of the signal region
    assert _calls(control) == {
        "read.events": 4,
        "stage.MuonVars": 4,
        "stage.Mass": 4,
        "stage.ControlRegion": 4,
        "stage.ControlMass": 4,
    }
    # both: the stages they share (MuonVars, Mass, ControlRegion) run once per partition, not once per workflow
    calls = _calls(everything)
    assert calls == {
        "read.events": 4,
        "stage.MuonVars": 4,
        "stage.Mass": 4,
        "stage.ControlRegion": 4,
        "stage.ControlMass": 4,
        "stage.SignalRegion": 4,
        "stage.SignalPt": 4,
    }
    assert [r["node"] for r in everything["stages"]].count("stage.MuonVars") == 1  # one dataset, one row
    # the shared control region selects the same events either way; the signal region starts from them
    rows = {r["node"]: r for r in everything["stages"]}
    control_rows = {r["node"]: r for r in control["stages"]}
    assert rows["stage.ControlRegion"]["events_out"] == control_rows["stage.ControlRegion"]["events_out"]
    assert rows["stage.SignalRegion"]["events_in"] == rows["stage.ControlRegion"]["events_out"]
    assert 0 < rows["stage.SignalRegion"]["events_out"] < rows["stage.SignalRegion"]["events_in"]
    assert (tmp_path / "control" / "control" / "cutflow.csv").is_file()
    assert not (tmp_path / "control" / "signal").exists()
    assert (tmp_path / "all" / "signal" / "cutflow.csv").is_file()


def test_python_api_runs_one_workflow_with_the_numbers_of_the_full_run(tmp_path: Path) -> None:
    wf = fasthep_flow.load(EXAMPLE)
    assert wf.workflows == {"control": ("ControlMass",), "signal": ("SignalPt",)}
    signal = wf.run(workflow="signal", chunk_size=int(CHUNK))
    assert list(signal.hists) == ["SignalPt"]
    assert signal.record["options"]["workflows"] == ["signal"]
    full = wf.run(chunk_size=int(CHUNK))
    assert list(full.hists) == ["ControlMass", "SignalPt"]
    assert signal.hists["SignalPt"] == full.hists["SignalPt"]
    assert signal.hists["SignalPt"].sum().value > 0
    with pytest.raises(ValueError, match="unknown workflow 'sgnal'"):
        wf.run(workflow="sgnal")


WRONG = ("--workflow", "sgnal")


def test_cli_reports_an_unknown_workflow_at_the_workflows_key(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fasthep_flow", "run", str(EXAMPLE), "--outdir", str(tmp_path / "o"), *WRONG],
        capture_output=True,
        text=True,
        check=False,
    )
    line = EXAMPLE.read_text().splitlines().index("workflows:") + 1
    assert proc.returncode == 1
    assert f"control_signal.flow.yaml:{line}:1: error[FF309]: unknown workflow 'sgnal'" in proc.stderr
    assert "did you mean 'signal'?" in proc.stderr
    assert not (tmp_path / "o").exists()


# --- the editor ---------------------------------------------------------------------------------------------

EDITED = VALID.read_text().replace("tight: {stages: TightPt}", "tight: {stages: TightPtt}")


def _doc(text: str, tmp_path: Path) -> Document:
    return Document(path_to_uri(str(tmp_path / "w.flow.yaml")), text, 1)


def _pos(text: str, needle: str, offset: int = 1) -> Pos:
    for n, line in enumerate(text.splitlines()):
        if needle in line:
            return Pos(n, line.index(needle) + offset)
    raise AssertionError(needle)


def test_editor_diagnoses_workflow_references(tmp_path: Path) -> None:
    found = diagnose(
        _doc(EDITED.replace("extends: [loose, tight]", "extends: [loose, tigt]"), tmp_path), Context()
    )
    got = {(d.code.id, d.span.start.line, d.message) for d in found}
    lines = EDITED.splitlines()
    assert got == {
        ("FF301", lines.index("  tight: {stages: TightPtt}"), "unknown stage 'TightPtt'"),
        ("FF309", lines.index("  both: {extends: [loose, tight]}"), "unknown workflow 'tigt'"),
    }


def test_editor_goes_from_a_workflow_to_the_stage_and_the_workflow_it_names(tmp_path: Path) -> None:
    text = VALID.read_text()
    doc = _doc(text, tmp_path)
    path = str((tmp_path / "w.flow.yaml").resolve())
    stage_line = text.splitlines().index("    - id: TightPt")
    (target,) = definition(doc, _pos(text, "stages: TightPt", 9), Context())
    assert (target.start, target.end) == (Pos(stage_line, 10), Pos(stage_line, 17))
    assert Path(target.file).resolve() == Path(path)
    loose_line = text.splitlines().index("  loose: {doc: One muon or more., stages: [LoosePt]}")
    (target,) = definition(doc, _pos(text, "[loose, tight]", 2), Context())
    assert (target.start, target.end) == (Pos(loose_line, 2), Pos(loose_line, 7))
    # and back: the stage's references include the workflow's entry
    spans = references(doc, Pos(stage_line, 12), Context())
    assert any(s.start == _pos(text, "stages: TightPt", 8) for s in spans)
    assert all(isinstance(s, Span) for s in spans)


def test_editor_completes_hovers_and_renames_workflow_names(tmp_path: Path) -> None:
    from fasthep_flow.service import complete, hover, rename

    text = VALID.read_text() + "  extra: {extends: [lo], stages: [Tig]}\n"
    doc = _doc(text, tmp_path)
    got = [(c.label, c.kind.value) for c in complete(doc, _pos(text, "[lo]", 3), Context())]
    assert got == [("loose", "workflow")]  # `both`, `tight` do not start with "lo"; `extra` is itself
    got = [(c.label, c.kind.value) for c in complete(doc, _pos(text, "[Tig]", 4), Context())]
    assert got == [("Tight", "stage"), ("TightPt", "stage")]
    clean = VALID.read_text()
    doc = _doc(clean, tmp_path)
    shown = hover(doc, _pos(clean, "[loose, tight]", 2), Context())
    assert shown is not None
    assert shown.markdown == "**workflow** `loose`\n\nOne muon or more.\n\nstages: `LoosePt`"
    edits = rename(doc, _pos(clean, "  loose:", 3), "relaxed", Context())
    (changes,) = edits.values()
    assert sorted((e.span.start.line, e.new_text) for e in changes) == [
        (clean.splitlines().index("  loose: {doc: One muon or more., stages: [LoosePt]}"), "relaxed"),
        (clean.splitlines().index("  both: {extends: [loose, tight]}"), "relaxed"),
    ]


def test_one_workflows_cached_nodes_serve_the_run_of_all(tmp_path: Path) -> None:
    """A stage keeps its cache key whichever workflows run: after `control` and `signal` ran one at a time, a
    run of both recomputes nothing."""
    wf = fasthep_flow.load(EXAMPLE)
    cache = tmp_path / "cache"
    first = wf.run(workflow="control", chunk_size=int(CHUNK), cache=cache)
    assert _calls(first.record)["stage.ControlMass"] == 4
    wf.run(workflow="signal", chunk_size=int(CHUNK), cache=cache)
    both = wf.run(chunk_size=int(CHUNK), cache=cache)
    rows = both.record["stages"]
    assert {r["node"] for r in rows} >= {"stage.ControlMass", "stage.SignalPt", "stage.MuonVars"}
    assert all((r["calls"], r["reused"]) == (0, 4) for r in rows), rows
    assert both.hists["ControlMass"] == first.hists["ControlMass"]


def test_outline_lists_the_workflows(tmp_path: Path) -> None:
    from fasthep_flow.service.symbols import OutlineKind, document_symbols

    doc = _doc(VALID.read_text(), tmp_path)
    (section,) = [s for s in document_symbols(doc, Context()) if s.name == "workflows"]
    assert [(c.name, c.kind, c.detail) for c in section.children] == [
        ("loose", OutlineKind.WORKFLOW, "One muon or more."),
        ("tight", OutlineKind.WORKFLOW, ""),
        ("both", OutlineKind.WORKFLOW, ""),
    ]
