"""`mode: inline` variations: the anchor's params patched in a view of the one plan, and `check` on its keys.

Positions are 0-based (line, col); ``V`` is the line of a variation's first key (`- name:`).
"""

from __future__ import annotations

from fasthep_flow.compiler import compile_text
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.plan import ExecutionPlan

HEAD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 1000, seed: 3}
data:
  datasets:
    - {name: dy, eventtype: mc}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {two: ["NMuon >= 2"]}
        weight_expr: EventWeight
    - id: Pt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]
systematics:
  variations:
"""
V = HEAD.count("\n")


def _compile(variations: str) -> tuple[list[Diagnostic], ExecutionPlan | None]:
    result = compile_text(HEAD + variations, "/work/wf.flow.yaml")
    return list(result.diagnostics), result.plan


def _plan(variations: str) -> ExecutionPlan:
    diagnostics, plan = _compile(variations)
    assert not [d for d in diagnostics if d.severity is Severity.ERROR], diagnostics
    assert plan is not None
    return plan


def _found(variations: str) -> set[tuple[str, int, int]]:
    diagnostics, _ = _compile(variations)
    return {(d.code.id, d.span.start.line, d.span.start.col) for d in diagnostics}


def test_the_anchor_and_what_reads_it_are_copied_with_the_patch_merged_deeply() -> None:
    plan = _plan(
        "    - name: more\n      mode: inline\n      anchor: Sel\n"
        "      patch: {selection: {three: ['NMuon >= 3']}}\n"
    )
    (view,) = plan.variations
    assert view.nodes == {"stage.Sel": "stage.Sel@more", "stage.Pt": "stage.Pt@more"}  # Vars is shared
    params = plan.node("stage.Sel@more").params
    # a mapping is merged key by key (upstream's merge): the nominal's group stays, the patch's is added
    assert params["selection"] == {"two": ["NMuon >= 2"], "three": ["NMuon >= 3"]}
    assert params["weight_expr"] == "EventWeight"
    assert plan.node("stage.Sel@more").inputs == ("stage.Vars",)
    assert plan.node("stage.Pt@more").inputs == ("stage.Sel@more",)
    assert plan.node("stage.Sel").params["selection"] == {"two": ["NMuon >= 2"]}  # the nominal is untouched


def test_a_list_in_the_patch_replaces_the_anchors_and_the_aliases_mean_the_same() -> None:
    written = (
        "    - name: wide\n      mode: inline\n      stage: stage.Pt\n"
        "      params:\n        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 200, nbins: 4}}]\n"
    )
    wrapped = (
        "    - name: wide\n      mode: inline\n      anchor: Pt\n"
        "      patch: {params: {axes: [{name: pt, source: Muon_Pt, type: regular, "
        "bins: {low: 0, high: 200, nbins: 4}}]}}\n"
    )
    for text in (written, wrapped):
        plan = _plan(text)
        (view,) = plan.variations
        assert view.nodes == {"stage.Pt": "stage.Pt@wide"}
        (axis,) = plan.node("stage.Pt@wide").params["axes"]
        assert axis["bins"] == {"low": 0, "high": 200, "nbins": 4}


def test_stop_before_keeps_the_named_stage_and_what_follows_it_nominal() -> None:
    plan = _plan(
        "    - name: more\n      mode: inline\n      anchor: Vars\n"
        "      patch: {variables: [{name: Muon_Pt, expr: '2 * sqrt(Muon_Px ** 2 + Muon_Py ** 2)'}]}\n"
        "      stop_before: Pt\n"
    )
    (view,) = plan.variations
    assert view.nodes == {"stage.Vars": "stage.Vars@more", "stage.Sel": "stage.Sel@more"}
    assert "stage.Pt@more" not in {n.id for n in plan.nodes}


def test_a_patch_that_changes_nothing_copies_nothing() -> None:
    plan = _plan(
        "    - name: same\n      mode: inline\n      anchor: Sel\n      patch: {weight_expr: EventWeight}\n"
    )
    (view,) = plan.variations
    assert view.nodes == {}


def test_a_branch_only_the_patch_reads_is_read_from_the_source() -> None:
    plan = _plan(
        "    - name: w\n      mode: inline\n      anchor: Sel\n      patch: {weight_expr: 'EventWeight * Jet_E[:, 0]'}\n"
    )
    assert "Jet_E" in plan.sources[0].fields


def test_an_unknown_anchor_is_reported_at_its_name_with_a_fix() -> None:
    diagnostics, _ = _compile("    - name: x\n      mode: inline\n      anchor: stage.Sl\n      patch: {}\n")
    (d,) = [d for d in diagnostics if d.code.id == "FF301"]
    assert (d.span.start.line, d.span.start.col, d.span.end.col) == (V + 2, 20, 22)  # `Sl`, after `stage.`
    assert d.hint == "did you mean 'Sel'?"
    assert d.fix is not None and d.fix.edits[0].new_text == "Sel"


def test_a_missing_anchor_is_reported_at_mode() -> None:
    assert _found("    - name: x\n      mode: inline\n      patch: {}\n") == {("FF110", V + 1, 6)}


def test_a_patch_is_checked_as_the_anchors_params_at_its_own_keys() -> None:
    found = _found(
        "    - name: x\n      mode: inline\n      anchor: Pt\n"
        "      patch:\n        storag: count\n        axes: 3\n        weight_expr: 'Muon_Ptt * 2'\n"
    )
    assert found == {
        ("FF104", V + 4, 8),  # unknown param `storag` (did you mean 'storage'?)
        ("FF106", V + 5, 14),  # `axes` must be a list
        ("FF303", V + 6, 22),  # unknown field inside the expression
    }


def test_a_mistake_in_the_anchors_own_params_is_not_repeated_at_the_patch() -> None:
    text = HEAD.replace("weight_expr: EventWeight", "weight_exprr: EventWeight")
    text += "    - name: x\n      mode: inline\n      anchor: Sel\n      patch: {selection: {three: ['NMuon > 2']}}\n"
    result = compile_text(text, "/work/wf.flow.yaml")
    assert [(d.code.id, d.span.start.line) for d in result.diagnostics] == [("FF104", 17)]


def test_stop_before_must_name_a_stage_below_the_anchor() -> None:
    found = _found(
        "    - name: x\n      mode: inline\n      anchor: Sel\n      patch: {weight_expr: '2 * EventWeight'}\n"
        "      stop_before: [Vars, Ptt]\n"
    )
    assert found == {("FF310", V + 4, 20), ("FF301", V + 4, 26)}


def test_export_and_plan_mode_keys_are_ff140_at_their_key_and_the_variation_still_runs() -> None:
    diagnostics, plan = _compile(
        "    - name: x\n      mode: inline\n      anchor: Sel\n      patch: {weight_expr: '2 * EventWeight'}\n"
        "      weight: {multiply: '3'}\n      export: {Muon_Pt_x: Muon_Pt}\n"
    )
    assert {(d.code.id, d.severity, d.span.start.line, d.span.start.col) for d in diagnostics} == {
        ("FF140", Severity.WARNING, V + 4, 6),
        ("FF140", Severity.WARNING, V + 5, 6),
    }
    assert plan is not None
    assert plan.node("stage.Sel@x").params["weight_expr"] == "2 * EventWeight"  # the weight is not applied


def test_a_field_the_patch_reads_before_its_stage_defines_it_is_ff304() -> None:
    found = _found(
        "    - name: x\n      mode: inline\n      anchor: Vars\n"
        "      patch: {variables: [{name: Muon_Pt, expr: 'Sel.two * 2'}]}\n"
    )
    assert found == {("FF304", V + 3, 49)}  # `Sel` (the cutflow's flags) is defined after Vars runs


def test_a_render_stage_as_anchor_is_the_wrong_kind_of_stage_with_the_stage_it_draws() -> None:
    text = HEAD.replace(
        "systematics:\n",
        "    - id: Plot\n      op: hep.render.hist1d\n      from: [{node: Pt, port: hist}]\n"
        "      out: pt.png\nsystematics:\n",
    )
    V2 = text.count("\n")
    result = compile_text(
        text + "    - {name: v, mode: inline, anchor: Plot, patch: {}}\n", "/work/wf.flow.yaml"
    )
    (found,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert (found.code.id, found.span.start.line, found.span.start.col) == (
        "FF121",
        V2,
        38,
    )  # 0-based: `Plot` after `anchor: `
    assert "draws (hep.render.hist1d)" in found.message and "'Pt'" in (found.hint or "")
