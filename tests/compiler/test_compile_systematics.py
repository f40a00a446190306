"""`systematics:` compiled into one plan: which nodes a variation copies, which it shares, and its datasets."""

from __future__ import annotations

from fasthep_flow.compiler import compile_text
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.plan import ExecutionPlan

HEAD = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 1000, seed: 3}
data:
  datasets:
    - {name: obs, eventtype: data}
    - {name: dy, eventtype: mc}
    - {name: dy_alt, eventtype: mc, nevents: 500, xs: 2.5}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: Muon_Pt_up, expr: "1.1 * Muon_Pt"}
          - {name: NHard, reduce: {op: count_nonzero, over: "Muon_Pt > 20"}}
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {hard: ["NHard >= 1", "Muon_Pt[:, 0] > 10"]}
        weight_expr: EventWeight
    - id: Pt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 100, nbins: 10}}]
      render: {style: h1, out: pt.png}
      write: {kind: root_tree, path: skim.root, keep: [NMuon]}
styles:
  h1: {op: hep.render.hist1d}
"""


def _plan(systematics: str) -> ExecutionPlan:
    result = compile_text(HEAD + systematics, "/work/wf.flow.yaml")
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    assert result.plan is not None
    return result.plan


def test_a_weight_variation_copies_only_the_stages_with_a_weight_and_what_reads_them() -> None:
    plan = _plan("systematics:\n  variations:\n    - {name: w_up, weight: {multiply: [NHard, '2']}}\n")
    (view,) = plan.variations
    # the cutflow has a weight_expr; the histogram reads its stream, so it and its attachments are copied too
    assert view.nodes == {
        "stage.Sel": "stage.Sel@w_up",
        "stage.Pt": "stage.Pt@w_up",
        "render.Pt.0": "render.Pt.0@w_up",
        "write.Pt.0": "write.Pt.0@w_up",
    }
    assert plan.node("stage.Sel@w_up").params["weight_expr"] == "(EventWeight) * (NHard) * (2)"
    assert plan.node("stage.Pt@w_up").inputs == ("stage.Sel@w_up",)
    assert plan.node("stage.Sel@w_up").inputs == ("stage.Vars",)  # Vars is shared
    assert plan.node("render.Pt.0@w_up").params["out"] == "w_up/pt.png"
    assert plan.node("write.Pt.0@w_up").params["path"] == "w_up/skim.root"
    assert plan.node("stage.Sel").params["weight_expr"] == "EventWeight"  # the nominal is untouched


def test_replace_renames_every_expression_a_stage_reads_not_the_definitions() -> None:
    plan = _plan("systematics:\n  variations:\n    - {name: up, replace: {Muon_Pt: Muon_Pt_up}}\n")
    (view,) = plan.variations
    assert set(view.nodes) == {"stage.Sel", "stage.Pt", "render.Pt.0", "write.Pt.0"}  # Vars only defines it
    steps = plan.node("stage.Sel@up").params["selection"]["hard"]
    assert steps == ["NHard >= 1", "Muon_Pt_up[:, 0] > 10"]  # upstream leaves a cutflow's mapping alone
    assert plan.node("stage.Pt@up").params["axes"][0]["source"] == "Muon_Pt_up"


def test_a_variation_that_changes_nothing_shares_every_node() -> None:
    plan = _plan("systematics:\n  variations:\n    - {name: same, group: g, direction: up}\n")
    (view,) = plan.variations
    assert view.nodes == {} and (view.group, view.direction) == ("g", "up")
    assert len(plan.nodes) == len({n.id for n in plan.nodes}) == 6


def test_applies_to_marks_the_datasets_a_variation_changes() -> None:
    plan = _plan("systematics:\n  variations:\n    - {name: w, applies_to: mc, weight: {multiply: '2'}}\n")
    (view,) = plan.variations
    assert [(d.label, d.varied) for d in view.datasets] == [("obs", False), ("dy", True), ("dy_alt", True)]


def test_a_dataset_replacement_adds_a_stand_in_dataset_labelled_with_the_replaced_name() -> None:
    plan = _plan(
        "systematics:\n  include_nominal: true\n  variations:\n"
        "    - {name: alt, datasets: {replace: {dy: dy_alt}}}\n"
    )
    nominal, alt = plan.variations
    assert nominal.nominal and [d.run for d in nominal.datasets] == ["obs", "dy", "dy_alt"]
    assert [(d.label, d.run) for d in alt.datasets] == [("obs", "obs"), ("dy", "dy@alt")]
    stand_in = plan.dataset("dy@alt")
    assert (stand_in.nevents, stand_in.meta["xs"]) == (500, 2.5)  # dy_alt's entries and metadata
    assert plan.dataset_labels == ("obs", "dy", "dy_alt")
    # its files must not mix with the nominal's: the attachments are copied, the stages shared
    assert set(alt.nodes) == {"render.Pt.0", "write.Pt.0"}
    assert {p.dataset for p in plan.partitions} == {"obs", "dy", "dy_alt", "dy@alt"}


def test_a_plan_with_variations_round_trips_through_json() -> None:
    plan = _plan("systematics:\n  variations:\n    - {name: w, applies_to: mc, weight: {multiply: '2'}}\n")
    again = ExecutionPlan.from_dict(plan.to_dict())
    assert again.variations == plan.variations and again.hash == plan.hash
    plain = _plan("")
    assert "variations" not in plain.to_dict()  # plans without systematics keep their hash


def test_a_matrix_makes_one_variation_per_combination() -> None:
    plan = _plan(
        "systematics:\n  variations:\n"
        "    - name: 'w_{dir}_{n}'\n"
        "      matrix: {dir: [up, down], n: [1, 2]}\n"
        "      group: w\n"
        "      direction: '{dir}'\n"
        "      weight: {multiply: '{n}'}\n"
    )
    names = [(v.name, v.direction) for v in plan.variations]
    assert names == [("w_up_1", "up"), ("w_up_2", "up"), ("w_down_1", "down"), ("w_down_2", "down")]
    assert plan.node("stage.Sel@w_down_2").params["weight_expr"] == "(EventWeight) * (2)"


def test_a_matrix_template_naming_no_axis_is_reported_inside_the_string() -> None:
    text = HEAD + "systematics:\n  variations:\n    - {name: 'w_{dirr}', matrix: {dir: [up]}}\n"
    result = compile_text(text, "/work/wf.flow.yaml")
    (diag,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert diag.code.id == "FF303" and diag.message == "unknown matrix axis 'dirr'"
    assert diag.hint is not None and "'dir'" in diag.hint
    assert diag.span.start.line == text.count("\n") - 1
