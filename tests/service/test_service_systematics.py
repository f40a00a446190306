"""`systematics:` in the editor: its keys complete from the schema, as every block's do."""

from __future__ import annotations

from cursor_marks import at_cursor

from fasthep_flow.document.spans import Pos
from fasthep_flow.service import Context, Document, complete

HEAD = """\
version: 1.0
sources: {events: {kind: toy, nevents: 10}}
systematics:
"""


def _labels(text: str, ctx: Context) -> list[str]:
    clean, pos = at_cursor(text)
    return [c.label for c in complete(Document("file:///w/t.flow.yaml", clean, 1), pos, ctx)]


def test_systematics_keys_complete(ctx: Context) -> None:
    assert _labels(HEAD + "  |\n", ctx) == ["include_nominal", "profiles", "variations"]


def test_a_variation_offers_its_keys_but_not_the_ones_written(ctx: Context) -> None:
    got = _labels(HEAD + "  variations:\n    - name: w_up\n      |\n", ctx)
    assert {"weight", "replace", "datasets", "applies_to", "group", "direction"} <= set(got)
    assert "name" not in got


WORKFLOW = """\
version: 1.0
sources: {events: {kind: toy, nevents: 10}}
systematics:
  variations:
    - {name: up, replace: {Muon_Pt: Muon_Pt_up}, weight: {multiply: "2 * Scale"}}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: Muon_Pt_up, expr: "1.1 * Muon_Pt"}
          - {name: Scale, expr: "1.0 + 0 * EventWeight"}
"""


def test_renaming_a_field_renames_it_in_a_variation_too(ctx: Context) -> None:
    from fasthep_flow.service import rename

    line = next(i for i, text in enumerate(WORKFLOW.splitlines()) if "{name: Scale" in text)
    doc = Document("file:///w/t.flow.yaml", WORKFLOW, 1)
    edits = rename(doc, Pos(line, WORKFLOW.splitlines()[line].index("Scale") + 1), "Factor", ctx)
    assert isinstance(edits, dict)
    lines = sorted(e.span.start.line for es in edits.values() for e in es)
    assert lines == [4, line]  # the definition and the weight factor of the variation


def test_a_replaced_field_resolves_to_its_definition(ctx: Context) -> None:
    from fasthep_flow.service import definition

    doc = Document("file:///w/t.flow.yaml", WORKFLOW, 1)
    col = WORKFLOW.splitlines()[4].index("Muon_Pt_up") + 2
    (target,) = definition(doc, Pos(4, col), ctx)
    assert target.start.line == next(
        i for i, text in enumerate(WORKFLOW.splitlines()) if "{name: Muon_Pt_up" in text
    )


def test_replacement_fields_and_weight_factors_complete_with_the_workflows_fields(ctx: Context) -> None:
    text = WORKFLOW.replace("{Muon_Pt: Muon_Pt_up}", "{Muon_Pt: Muon_P|}")
    assert {"Muon_Pt", "Muon_Pt_up", "Muon_Px"} <= set(_labels(text, ctx))
    text = WORKFLOW.replace('multiply: "2 * Scale"', 'multiply: "2 * Sc|"')
    assert "Scale" in _labels(text, ctx)


INLINE = """\
version: 1.0
sources: {events: {kind: toy, nevents: 10}}
systematics:
  variations:
    - {name: tight, mode: inline, anchor: stage.Sel, patch: {selection: ["NMuon >= 3"]}, stop_before: [N]}
analysis:
  stages:
    - id: Sel
      op: hep.selection.flag
      params: {selection: ["NMuon >= 2"]}
    - id: N
      op: hep.hist
      params: {axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]}
"""


def test_renaming_a_stage_renames_an_inline_variations_anchor_and_stop_before(ctx: Context) -> None:
    from fasthep_flow.service import rename

    doc = Document("file:///w/t.flow.yaml", INLINE, 1)
    variation = INLINE.splitlines()[4]
    # the anchor's `stage.` prefix stays: only the id after it is renamed
    for stage, line, used_at in (
        ("Sel", 7, variation.index("stage.Sel") + 6),
        ("N", 10, variation.index("[N]") + 1),
    ):
        col = INLINE.splitlines()[line].index(f"id: {stage}") + 4
        edits = rename(doc, Pos(line, col), "Renamed", ctx)
        assert isinstance(edits, dict)
        (changes,) = edits.values()
        assert sorted((e.span.start.line, e.span.start.col) for e in changes) == [(4, used_at), (line, col)]
