"""Outline, folding, semantic tokens, document links, code actions, code lenses, plan preview and run."""

from __future__ import annotations

from pathlib import Path

from service_workflows import HEAD, STYLES

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import apply_edits
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import (
    LEGEND,
    RUN_PLAN,
    Context,
    Document,
    OutlineKind,
    code_actions,
    code_lenses,
    diagnose,
    document_links,
    document_symbols,
    folding_ranges,
    path_to_uri,
    plan_until,
    preview_plan,
    run_plan,
    semantic_tokens,
)

URI = "file:///work/flows/t.flow.yaml"
PATH = "/work/flows/t.flow.yaml"


def doc(text: str) -> Document:
    return Document(URI, text, 1)


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n")


def test_outline_lists_sources_stages_with_ops_and_their_fields(ctx: Context) -> None:
    outline = document_symbols(doc(HEAD + STYLES), ctx)
    top = {s.name: s for s in outline}
    assert list(top) == ["version", "sources", "analysis", "styles"]
    assert [c.name for c in top["sources"].children] == ["events"]
    assert top["sources"].children[0].detail == "toy"
    stages = next(c for c in top["analysis"].children if c.name == "stages")
    assert [(s.name, s.kind, s.detail) for s in stages.children] == [
        ("MuonVars", OutlineKind.STAGE, "hep.define"),
        ("Baseline", OutlineKind.STAGE, "hep.selection.cutflow"),
    ]
    assert [f.name for f in stages.children[0].children] == ["Muon_Pt", "IsoMuon"]
    muon = stages.children[0]
    assert muon.selection == Span(PATH, Pos(6, 10), Pos(6, 18))
    assert muon.span.start <= muon.selection.start and muon.selection.end <= muon.span.end


def test_folding_follows_indentation_and_comments() -> None:
    text = "# a\n# b\nsources:\n  events:\n    kind: toy\nanalysis:\n  stages:\n    - id: A\n      op: x\n"
    folds = {(f.start_line, f.end_line, f.kind) for f in folding_ranges(text)}
    assert (0, 1, "comment") in folds
    assert (2, 4, "region") in folds and (3, 4, "region") in folds
    assert (5, 8, "region") in folds and (7, 8, "region") in folds
    assert all(f.start_line < f.end_line for f in folding_ranges(text))


def test_folding_works_on_broken_yaml() -> None:
    typing = (
        'analysis:\n  stages:\n    - id: A\n      op: x\n      params: {a: 1}\n    - id: B\n      op: "x\n'
    )
    folds = {(f.start_line, f.end_line) for f in folding_ranges(typing)}
    assert {(0, 6), (1, 6), (2, 4), (5, 6)} <= folds  # the unclosed string is closed, the tree kept whole
    hopeless = folding_ranges('analysis:\n  stages: [\n    - id: A\n      op: "x\n')
    assert any(f.start_line == 0 for f in hopeless)  # what still parses keeps its folds


def test_semantic_tokens_inside_expressions(ctx: Context) -> None:
    text = HEAD
    tokens = semantic_tokens(doc(text), ctx)
    line = line_of(text, "{name: Muon_Pt")
    col = text.splitlines()[line].index("sqrt")
    on_line = [
        (t.span.start.col - col, t.span.end.col - col, LEGEND[t.kind])
        for t in tokens
        if t.span.start.line == line
    ]
    assert on_line == [
        (0, 4, "function"),
        (5, 12, "variable"),
        (13, 15, "operator"),
        (16, 17, "number"),
        (18, 19, "operator"),
        (20, 27, "variable"),
        (28, 30, "operator"),
        (31, 32, "number"),
    ]
    assert tokens == sorted(tokens, key=lambda t: (t.span.start, t.span.end))


def test_document_links_for_includes_and_input_files(tmp_path: Path, ctx: Context) -> None:
    (tmp_path / "datasets.yaml").write_text("data: {}\n")
    (tmp_path / "dy.root").write_bytes(b"")
    text = "include: [datasets.yaml, missing.yaml]\ndata:\n  datasets:\n    - {name: dy, files: [dy.root]}\n"
    links = document_links(Document(path_to_uri(str(tmp_path / "w.flow.yaml")), text, 1), ctx)
    assert [(link.span.start, link.span.end, Path(link.target).name) for link in links] == [
        (Pos(0, 10), Pos(0, 23), "datasets.yaml"),
        (Pos(3, 25), Pos(3, 32), "dy.root"),
    ]


def test_quick_fix_from_a_diagnostic_removes_it(ctx: Context) -> None:
    text = HEAD.replace("op: hep.define", "op: hep.defin")
    d = doc(text)
    line = line_of(text, "op: hep.defin")
    actions = code_actions(d, Span(PATH, Pos(line, 12), Pos(line, 12)), ctx)
    fix = next(a for a in actions if "hep.define" in a.title)
    assert (
        fix.kind == "quickfix" and fix.preferred and [x.code for x in fix.diagnostics] == [codes.UNKNOWN_OP]
    )
    fixed = apply_edits(text, fix.edits)
    assert fixed == HEAD
    assert diagnose(doc(fixed), ctx) == []


def test_add_missing_required_params_block_flow_and_absent(ctx: Context) -> None:
    cases = [
        "    - id: Flag\n      op: hep.selection.flag\n      params:\n        output: F\n",
        "    - id: Flag\n      op: hep.selection.flag\n      params: {output: F}\n",
        "    - id: Flag\n      op: hep.selection.flag\n",
        "    - id: Flag\n      op: hep.selection.flag\n      params:\n",
    ]
    for tail in cases:
        text = HEAD + tail
        d = doc(text)
        missing = {codes.MISSING_PARAM, codes.MISSING_KEY, codes.PARAM_TYPE}
        assert {x.code for x in diagnose(d, ctx)} & missing
        [at] = {
            x.span for x in diagnose(d, ctx) if x.code in missing
        }  # the fix is offered where it is reported
        actions = code_actions(d, at, ctx)
        [add] = [a for a in actions if a.title.startswith("Add missing required params")]
        fixed = apply_edits(text, add.edits)
        after = {x.code for x in diagnose(doc(fixed), ctx)}
        assert not after & missing, fixed
        assert "selection:" in fixed


def test_code_lenses_run_preview_and_run_to_here(ctx: Context) -> None:
    lenses = code_lenses(doc(HEAD), ctx)
    top = [(lens.title, lens.command, lens.arguments) for lens in lenses if lens.span.start == Pos(0, 0)]
    assert top == [("▶ Run plan", RUN_PLAN, (URI,)), ("Preview plan", "fasthep-flow.previewPlan", (URI,))]
    stages = [(lens.span.start.line, lens.arguments) for lens in lenses if lens.title == "▶ Run to here"]
    assert stages == [
        (line_of(HEAD, "- id: MuonVars"), (URI, "MuonVars")),
        (line_of(HEAD, "- id: Baseline"), (URI, "Baseline")),
    ]


def test_preview_plan_gives_mermaid_and_json(ctx: Context) -> None:
    preview = preview_plan(doc(HEAD), ctx)
    assert preview.ok and preview.mermaid.startswith("flowchart")
    assert "stage_MuonVars" in preview.mermaid
    ids = [n["id"] for n in preview.plan["nodes"]]
    assert "stage.MuonVars" in ids and "stage.Baseline" in ids
    broken = preview_plan(doc(HEAD.replace("hep.define", "hep.defne")), ctx)
    assert not broken.ok and any("FF101" in p for p in broken.problems)


def test_plan_until_keeps_only_what_the_stage_needs(ctx: Context) -> None:
    plan = doc(HEAD).compiled(ctx).plan
    assert plan is not None
    sub = plan_until(plan, "MuonVars")
    assert sub is not None
    assert "stage.Baseline" not in sub.by_id and "stage.MuonVars" in sub.by_id
    assert plan_until(plan, "Nope") is None


def test_run_plan_to_a_stage_reports_progress_and_outputs(tmp_path: Path, ctx: Context) -> None:
    events: list[object] = []
    d = Document(path_to_uri(str(tmp_path / "w.flow.yaml")), HEAD, 1)
    report = run_plan(d, ctx, "Baseline", events.append)
    assert report.ok, report
    assert report.outdir == str(tmp_path / "fasthep-output" / "w")
    assert "Ran up to stage 'Baseline'" in report.message and report.outdir in report.message
    from fasthep_flow.runtime import PartitionDone

    done = [e for e in events if isinstance(e, PartitionDone)]
    assert done and done[-1].done == done[-1].total
    assert any(Path(p).name == "run.json" for p in report.outputs)


def test_run_plan_refuses_a_broken_workflow(ctx: Context) -> None:
    report = run_plan(doc(HEAD.replace("hep.define", "hep.defne")), ctx)
    assert not report.ok and "error" in report.message and report.errors
