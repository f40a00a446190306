"""Answers that were wrong or missing (issue 13): `keep` as field references, rename clashes and cross-file
rename, completion that leaves out what would be an error at once, and no cascade after an unknown op."""

from __future__ import annotations

from pathlib import Path

from cursor_marks import at_cursor

from fasthep_flow.compiler import compile_text
from fasthep_flow.document.diagnostics import apply_edits
from fasthep_flow.service import (
    Context,
    Document,
    Refusal,
    complete,
    diagnose,
    hover,
    path_to_uri,
    references,
    rename,
)

PATH = "/work/flows/keep.flow.yaml"
URI = "file://" + PATH

KEEP = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100}
outputs:
  skim: {kind: root_tree, path: skim.root, keep: [Muon_Pt, NMuon]}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: Muon_P2, expr: "Muon_Pt ** 2"}
      write: {output: skim}
"""


def _doc(text: str, path: str = PATH) -> Document:
    return Document("file://" + path, text, 1)


def _marked(text: str, path: str = PATH) -> tuple[Document, object]:
    clean, pos = at_cursor(text)
    return _doc(clean, path), pos


def _codes(text: str) -> list[tuple[int, int, str]]:
    return [(d.span.start.line, d.span.start.col, d.code.id) for d in compile_text(text, PATH).diagnostics]


# --- keep ---------------------------------------------------------------------------------------------------


def test_a_typo_in_keep_is_an_unknown_field_with_a_suggestion() -> None:
    text = KEEP.replace("keep: [Muon_Pt, NMuon]", "keep: [Muon_Ptt, NMuon]")
    result = compile_text(text, PATH)
    found = [d for d in result.diagnostics if d.code.id == "FF303"]
    assert len(found) == 1
    assert found[0].span.start.line == 4 and text.splitlines()[4][found[0].span.start.col :].startswith(
        "Muon_Ptt"
    )
    assert found[0].hint == "did you mean 'Muon_Pt'?"
    assert _codes(KEEP) == []


def test_a_kept_field_is_read_by_the_writing_stage() -> None:
    plan = compile_text(KEEP, PATH).plan
    assert plan is not None
    (stage,) = [n for n in plan.nodes if n.id == "stage.Vars"]
    assert "NMuon" in stage.reads and "Muon_Pt" in stage.reads


def test_references_and_rename_of_a_field_include_keep(ctx: Context) -> None:
    doc, pos = _marked(KEEP.replace("{name: Muon_Pt, expr", "{name: Muon_|Pt, expr"))
    spans = references(doc, pos, ctx)
    assert 4 in {s.start.line for s in spans}  # the `keep:` entry
    edits = rename(doc, pos, "MuonPT", ctx)
    assert not isinstance(edits, Refusal)
    renamed = apply_edits(doc.text, edits[PATH])
    assert "keep: [MuonPT, NMuon]" in renamed
    assert _codes(renamed) == []


def test_references_from_a_keep_entry(ctx: Context) -> None:
    doc, pos = _marked(KEEP.replace("keep: [Muon_Pt,", "keep: [Muon|_Pt,"))
    lines = {s.start.line for s in references(doc, pos, ctx)}
    assert {4, 11, 12} <= lines
    found = hover(doc, pos, ctx)
    assert found is not None and "Vars" in found.markdown


def test_keep_completes_the_fields_the_writing_stage_leaves(ctx: Context) -> None:
    doc, pos = _marked(KEEP.replace("keep: [Muon_Pt, NMuon]", "keep: [Muon_Pt, Mu|]"))
    labels = [c.label for c in complete(doc, pos, ctx)]
    assert "Muon_P2" in labels and "Muon_Px" in labels
    assert "Muon_Pt" not in labels  # already listed


# --- completion leaves out immediate errors -------------------------------------------------------------------


def test_a_variable_is_not_offered_inside_its_own_expression(ctx: Context) -> None:
    doc, pos = _marked(KEEP.replace('"Muon_Pt ** 2"', '"Muon_Pt ** 2 + Muon_P|"'))
    labels = [c.label for c in complete(doc, pos, ctx)]
    assert "Muon_Pt" in labels
    assert "Muon_P2" not in labels


CUT = (
    KEEP
    + """\
    - id: Cut
      op: hep.selection.cutflow
      params:
        selection: {dimuon: ["NMuon >= 2", "Cu|"]}
"""
)


def test_a_cutflow_flag_is_not_offered_in_its_own_selection(ctx: Context) -> None:
    doc, pos = _marked(CUT)
    assert "Cut.dimuon" not in [c.label for c in complete(doc, pos, ctx)]
    after = (
        CUT.replace('"Cu|"', '"NMuon > 0"')
        + """\
    - id: Flag
      op: hep.selection.flag
      params: {selection: ["Cu|"]}
"""
    )
    doc, pos = _marked(after)
    assert "Cut.dimuon" in [c.label for c in complete(doc, pos, ctx)]


CYCLE = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100}
analysis:
  stages:
    - id: A
      op: hep.define
      needs: [|]
      params: {variables: [{name: x, expr: "NMuon"}]}
    - id: B
      op: hep.define
      params: {variables: [{name: y, expr: "x"}]}
    - id: C
      op: hep.define
      needs: [A]
      from: events
      params: {variables: [{name: z, expr: "NMuon"}]}
    - id: D
      op: hep.define
      from: events
      params: {variables: [{name: w, expr: "NMuon"}]}
"""


def test_needs_leaves_out_stages_that_would_close_a_cycle(ctx: Context) -> None:
    doc, pos = _marked(CYCLE)
    assert [c.label for c in complete(doc, pos, ctx)] == ["D"]


# --- unknown op -----------------------------------------------------------------------------------------------


def test_an_unknown_op_is_one_error_not_one_per_field_it_would_define() -> None:
    text = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100}
analysis:
  stages:
    - id: Vars
      op: hep.defin
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: Muon_P2, expr: "Muon_Pt ** 2"}
    - id: Plot
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]
        weight_expr: Muon_P2
    - id: Other
      op: hep.define
      from: events
      params:
        variables:
          - {name: Q, expr: "Muon_Pt"}
"""
    assert _codes(text) == [(6, 10, "FF101"), (21, 29, "FF303")]  # the branch not below it still checked


# --- rename ---------------------------------------------------------------------------------------------------


def test_rename_refuses_a_stage_id_already_taken(ctx: Context) -> None:
    doc, pos = _marked(CYCLE.replace("needs: [|]", "needs: []").replace("- id: B", "- id: |B"))
    found = rename(doc, pos, "C", ctx)
    assert isinstance(found, Refusal) and "'C' is already the name of a stage" in found.reason
    found = rename(doc, pos, "events", ctx)
    assert isinstance(found, Refusal) and "source" in found.reason
    assert not isinstance(rename(doc, pos, "E", ctx), Refusal)


def test_rename_refuses_a_field_name_already_taken(ctx: Context) -> None:
    doc, pos = _marked(KEEP.replace("{name: Muon_Pt, expr", "{name: Muon_|Pt, expr"))
    for taken in ("Muon_P2", "Muon_Px", "dataset"):
        found = rename(doc, pos, taken, ctx)
        assert isinstance(found, Refusal), taken


def test_rename_a_style_from_its_definition_in_an_included_file(tmp_path: Path) -> None:
    styles = tmp_path / "styles.yaml"
    styles.write_text("styles:\n  muon_pt: {op: hep.render.hist1d}\n", encoding="utf-8")
    workflow = tmp_path / "workflow.yaml"
    wtext = """\
version: 1.0
include: [styles.yaml]
sources:
  events: {kind: toy, nevents: 100}
analysis:
  stages:
    - id: Plot
      op: hep.hist
      params:
        axes: [{name: pt, source: NMuon, type: regular, bins: {low: 0, high: 10, nbins: 10}}]
      render: {style: muon_pt, out: pt.png}
"""
    workflow.write_text(wtext, encoding="utf-8")
    ctx = Context()
    includer = Document(path_to_uri(str(workflow)), wtext, 1)
    sdoc = Document(path_to_uri(str(styles)), styles.read_text(encoding="utf-8"), 1)
    pos = at_cursor("styles:\n  muon|_pt: {op: hep.render.hist1d}\n")[1]
    assert len(references(sdoc, pos, ctx, includer=includer)) == 2
    edits = rename(sdoc, pos, "pt_plot", ctx, includer=includer)
    assert not isinstance(edits, Refusal)
    by_name = {Path(f).name: e for f, e in edits.items()}
    assert set(by_name) == {"styles.yaml", "workflow.yaml"}
    assert "style: pt_plot" in apply_edits(wtext, by_name["workflow.yaml"])
    assert "pt_plot:" in apply_edits(sdoc.text, by_name["styles.yaml"])
    # and from the use, in the including workflow
    wdoc, wpos = _marked(wtext.replace("style: muon_pt", "style: muon|_pt"), str(workflow))
    edits = rename(wdoc, wpos, "pt_plot", ctx)
    assert not isinstance(edits, Refusal)
    assert {Path(f).name for f in edits} == {"styles.yaml", "workflow.yaml"}
    assert diagnose(wdoc, ctx) == []


# --- included files' warnings ---------------------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_including_file_shows_an_included_files_warnings(tmp_path: Path) -> None:
    datasets = tmp_path / "datasets.yaml"
    datasets.write_text(
        f"data:\n  datasets:\n    - {{name: hzz, files: [{DATA / 'uproot-HZZ.root'}]}}\n", encoding="utf-8"
    )
    workflow = tmp_path / "workflow.yaml"
    text = """\
version: 1.0
include: [datasets.yaml]
sources:
  events: {kind: root_tree, tree: event}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: x, expr: "NMuon * 2"}
"""
    workflow.write_text(text, encoding="utf-8")
    found = diagnose(Document(path_to_uri(str(workflow)), text, 1), Context())
    assert [(d.code.id, d.severity.name, d.span.start.line) for d in found] == [("FF005", "WARNING", 1)]
    (summary,) = found
    assert "1 warning" in summary.message
    (related,) = summary.related
    assert Path(related.span.file).name == "datasets.yaml" and related.span.start.line == 2
    assert "FF306" in related.message and "no tree 'event'" in related.message
