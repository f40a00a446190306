"""Hover, go to definition, find references, prepare-rename and rename, with cursor markers."""

from __future__ import annotations

from pathlib import Path

import pytest
from cursor_marks import at_cursor
from service_workflows import HEAD, STYLES

from fasthep_flow.document.diagnostics import apply_edits
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import (
    Context,
    Document,
    Refusal,
    RenameTarget,
    definition,
    diagnose,
    hover,
    path_to_uri,
    prepare_rename,
    references,
    rename,
)

URI = "file:///work/flows/t.flow.yaml"
PATH = "/work/flows/t.flow.yaml"
TAIL = """\
    - id: Plot
      op: hep.hist
      needs: [Baseline]
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]
      render: {style: muon_pt, when: final, out: pt.png}
    - id: Flag
      op: hep.selection.flag
      params: {selection: ["Baseline.dimuon", "IsoMuon"]}
"""
WORKFLOW = HEAD + TAIL + STYLES


def doc_at(marked_fragment: str, text: str = WORKFLOW) -> tuple[Document, Pos]:
    """Put the cursor inside the first occurrence of ``marked_fragment`` (which contains ``|``)."""
    plain = marked_fragment.replace("|", "")
    i = text.index(plain) + marked_fragment.index("|")
    clean, pos = at_cursor(text[:i] + "|" + text[i:])
    return Document(URI, clean, 1), pos


def line_of(fragment: str, text: str = WORKFLOW) -> int:
    return text[: text.index(fragment)].count("\n")


def test_hover_op_shows_its_documentation_and_params(ctx: Context) -> None:
    doc, pos = doc_at("op: hep.hi|st")
    found = hover(doc, pos, ctx)
    assert found is not None
    assert "hep.hist" in found.markdown and "storage" in found.markdown
    assert found.span == Span(PATH, Pos(pos.line, 10), Pos(pos.line, 18))


def test_hover_field_defined_by_a_stage_shows_its_expression(ctx: Context) -> None:
    doc, pos = doc_at("source: Muon_|Pt")
    found = hover(doc, pos, ctx)
    assert found is not None
    assert "defined in stage `MuonVars`: `sqrt(Muon_Px ** 2 + Muon_Py ** 2)`" in found.markdown


def test_hover_branch_says_where_it_comes_from(ctx: Context) -> None:
    doc, pos = doc_at("sqrt(Muon_P|x")
    found = hover(doc, pos, ctx)
    assert found is not None and "branch of toy `events`" in found.markdown
    col = WORKFLOW.splitlines()[pos.line].index("Muon_Px")
    assert found.span == Span(PATH, Pos(pos.line, col), Pos(pos.line, col + 7))


def test_hover_stage_reference_shows_op_and_inputs(ctx: Context) -> None:
    doc, pos = doc_at("needs: [Base|line]")
    found = hover(doc, pos, ctx)
    assert found is not None
    assert "hep.selection.cutflow" in found.markdown and "`MuonVars`" in found.markdown


def test_hover_param_key_and_function(ctx: Context) -> None:
    doc, pos = doc_at("axes: [{name: pt, sour|ce")
    found = hover(doc, pos, ctx)
    assert found is not None and "source" in found.markdown and "required" in found.markdown
    doc, pos = doc_at("sq|rt(")
    found = hover(doc, pos, ctx)
    assert found is not None and "sqrt" in found.markdown and "oot" in found.markdown


def test_definition_from_needs_field_style(ctx: Context) -> None:
    doc, pos = doc_at("needs: [Base|line]")
    assert definition(doc, pos, ctx) == [
        Span(PATH, Pos(line_of("- id: Baseline"), 10), Pos(line_of("- id: Baseline"), 18))
    ]
    doc, pos = doc_at("source: Muon_|Pt")
    target = definition(doc, pos, ctx)
    line = line_of("{name: Muon_Pt")
    col = WORKFLOW.splitlines()[line].index("Muon_Pt")
    assert target == [Span(PATH, Pos(line, col), Pos(line, col + 7))]
    doc, pos = doc_at("style: muon|_pt")
    line = line_of("  muon_pt: {op")
    assert definition(doc, pos, ctx) == [Span(PATH, Pos(line, 2), Pos(line, 9))]


def test_definition_of_an_include_path(tmp_path: Path, ctx: Context) -> None:
    (tmp_path / "datasets.yaml").write_text("data:\n  datasets:\n    - {name: dy, files: [x.root]}\n")
    text = "version: 1.0\ninclude: [datasets.y|aml]\n"
    clean, pos = at_cursor(text)
    doc = Document(path_to_uri(str(tmp_path / "w.flow.yaml")), clean, 1)
    assert definition(doc, pos, ctx) == [
        Span(str((tmp_path / "datasets.yaml").resolve()), Pos(0, 0), Pos(0, 0))
    ]


def test_references_of_a_field_include_definition_and_uses(ctx: Context) -> None:
    doc, pos = doc_at("{name: IsoM|uon")
    found = references(doc, pos, ctx)
    assert [s.start.line for s in found] == [line_of("{name: IsoMuon"), line_of('"IsoMuon"]}')]
    assert len(references(doc, pos, ctx, include_declaration=False)) == 1


def test_references_of_a_stage(ctx: Context) -> None:
    doc, pos = doc_at("- id: Basel|ine")
    lines = {s.start.line for s in references(doc, pos, ctx)}
    assert lines == {line_of("- id: Baseline"), line_of("needs: [Baseline]")}


def test_prepare_rename_refuses_branches_and_context_with_a_reason(ctx: Context) -> None:
    doc, pos = doc_at("sqrt(Muon_P|x")
    found = prepare_rename(doc, pos, ctx)
    assert isinstance(found, Refusal) and "branch of the input file" in found.reason
    doc, pos = doc_at('["Baseline.dim|uon"')
    found = prepare_rename(doc, pos, ctx)
    assert isinstance(found, Refusal) and "computed" in found.reason


def test_prepare_rename_gives_the_word(ctx: Context) -> None:
    doc, pos = doc_at("source: Muon_|Pt")
    found = prepare_rename(doc, pos, ctx)
    assert isinstance(found, RenameTarget) and found.placeholder == "Muon_Pt"


@pytest.mark.parametrize(
    ("fragment", "new", "expect_in", "expect_not"),
    [
        (
            "source: Muon_|Pt",
            "MuonPT",
            ["{name: MuonPT", "source: MuonPT", "(Muon_Iso / MuonPT)"],
            ["Muon_Pt"],
        ),
        (
            "needs: [Base|line]",
            "Preselection",
            ["- id: Preselection", "needs: [Preselection]", '"Preselection.dimuon"'],
            ["Baseline"],
        ),
        ("style: muon|_pt", "pt_plot", ["style: pt_plot", "  pt_plot: {op"], ["muon_pt"]),
    ],
)
def test_rename_applies_cleanly_and_the_workflow_stays_valid(
    fragment: str, new: str, expect_in: list[str], expect_not: list[str], ctx: Context
) -> None:
    doc, pos = doc_at(fragment)
    assert diagnose(doc, ctx) == []
    edits = rename(doc, pos, new, ctx)
    assert not isinstance(edits, Refusal)
    renamed = apply_edits(doc.text, edits[PATH])
    for piece in expect_in:
        assert piece in renamed
    for piece in expect_not:
        assert piece not in renamed
    assert diagnose(Document(URI, renamed, 2), ctx) == []


def test_rename_rejects_an_invalid_field_name(ctx: Context) -> None:
    doc, pos = doc_at("source: Muon_|Pt")
    assert isinstance(rename(doc, pos, "1bad name", ctx), Refusal)


def test_definition_of_a_profile_path(tmp_path: Path, ctx: Context) -> None:
    (tmp_path / "myprofile.yaml").write_text("globals: {x: 1}\n")
    text = "version: 1.0\nuse: {profiles: [./mypro|file.yaml]}\n"
    clean, pos = at_cursor(text)
    doc = Document(path_to_uri(str(tmp_path / "w.flow.yaml")), clean, 1)
    assert definition(doc, pos, ctx) == [
        Span(str((tmp_path / "myprofile.yaml").resolve()), Pos(0, 0), Pos(0, 0))
    ]


def test_hover_on_a_stage_key_explains_it(ctx: Context) -> None:
    doc, pos = doc_at("nee|ds: [Baseline]")
    found = hover(doc, pos, ctx)
    assert found is not None and found.markdown.startswith("**needs**")
