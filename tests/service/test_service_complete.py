"""Completion with cursor markers: the items offered and the exact range each one replaces."""

from __future__ import annotations

from cursor_marks import at_cursor
from service_workflows import HEAD, STYLES

from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service import Completion, Context, Document, complete

URI = "file:///work/flows/t.flow.yaml"
PATH = "/work/flows/t.flow.yaml"


def items(text: str, ctx: Context, marker: str = "|") -> list[Completion]:
    clean, pos = at_cursor(text, marker)
    return complete(Document(URI, clean, 1), pos, ctx)


def labels(text: str, ctx: Context, marker: str = "|") -> list[str]:
    return [c.label for c in items(text, ctx, marker)]


def by_label(found: list[Completion], label: str) -> Completion:
    return next(c for c in found if c.label == label)


def test_needs_unclosed_flow_sequence_offers_earlier_stages(ctx: Context) -> None:
    assert labels(HEAD + "    - id: Plot\n      needs: [Bas|\n", ctx) == ["Baseline"]


def test_needs_leaves_out_the_stage_itself_and_listed_ones(ctx: Context) -> None:
    got = labels(HEAD + "    - id: Plot\n      needs: [MuonVars, |]\n", ctx)
    assert got == ["Baseline"]


def test_needs_replace_range_covers_the_typed_word(ctx: Context) -> None:
    found = items(HEAD + "    - id: Plot\n      needs: [Bas|eli]\n", ctx)
    c = by_label(found, "Baseline")
    line = HEAD.count("\n") + 1
    assert c.replace == Span(PATH, Pos(line, 14), Pos(line, 20))


def test_from_also_offers_sources(ctx: Context) -> None:
    got = labels(HEAD + "    - id: Plot\n      from: |\n", ctx)
    assert set(got) == {"MuonVars", "Baseline", "events"}


def test_op_names_while_typing_with_documentation(ctx: Context) -> None:
    found = items(HEAD + "    - id: Plot\n      op: hep.h|\n", ctx)
    assert [c.label for c in found] == ["hep.hist"]
    assert "axes" in found[0].documentation  # the op's params table
    line = HEAD.count("\n") + 1
    assert found[0].replace == Span(PATH, Pos(line, 10), Pos(line, 15))


def test_source_kinds_are_source_ops(ctx: Context) -> None:
    got = labels("sources:\n  events: {kind: |}\n", ctx)
    assert "root_tree" in got and "toy" in got and "hep.hist" not in got


def test_stage_keys_leave_out_present_ones(ctx: Context) -> None:
    got = labels(HEAD + "    - id: Plot\n      op: hep.hist\n      |\n", ctx)
    assert "params" in got and "needs" in got and "render" in got
    assert "id" not in got and "op" not in got


def test_top_level_keys(ctx: Context) -> None:
    got = labels("version: 1.0\n|", ctx)
    assert {"analysis", "sources", "styles", "include", "data"} <= set(got)
    assert "version" not in got


def test_param_names_of_the_op_at_hand_required_first_as_snippets(ctx: Context) -> None:
    found = items(HEAD + "    - id: Plot\n      op: hep.hist\n      params:\n        |\n", ctx)
    names = [c.label for c in sorted(found, key=lambda c: c.sort or "")]
    assert names[0] == "axes"  # the required one sorts first
    assert {"storage", "weight_expr"} <= set(names)
    axes = by_label(found, "axes")
    assert axes.snippet and axes.detail.endswith("(required)")
    assert axes.text.startswith("axes:\n")  # a list of mappings opens a block


def test_param_values_allowed(ctx: Context) -> None:
    found = items(HEAD + "    - id: Plot\n      op: hep.hist\n      params:\n        storage: w|\n", ctx)
    assert [c.label for c in found] == ["weighted"]


def test_nested_struct_param_keys_and_values(ctx: Context) -> None:
    text = (
        HEAD
        + "    - id: Plot\n      op: hep.hist\n      params:\n        axes:\n          - name: pt\n            |\n"
    )
    got = labels(text, ctx)
    assert {"source", "type", "bins"} <= set(got) and "name" not in got
    text = (
        HEAD
        + "    - id: Plot\n      op: hep.hist\n      params:\n        axes:\n          - {name: pt, type: |}\n"
    )
    assert labels(text, ctx) == ["regular", "variable", "category", "int", "bool"]


def test_fields_mid_expression_in_unclosed_string(ctx: Context) -> None:
    text = (
        HEAD
        + '    - id: More\n      op: hep.define\n      params:\n        variables:\n          - {name: X, expr: "sqrt(Muon_P|\n'
    )
    found = items(text, ctx)
    got = {c.label for c in found}
    assert {"Muon_Pt", "Muon_Px", "Muon_Py", "Muon_Pz"} <= got
    pt = by_label(found, "Muon_Pt")
    assert "defined in stage `MuonVars`" in pt.detail
    line = text.count("\n") - 1
    col = len('          - {name: X, expr: "sqrt(')
    assert pt.replace == Span(PATH, Pos(line, col), Pos(line, col + len("Muon_P")))


def test_expression_after_operator_offers_fields_and_functions(ctx: Context) -> None:
    text = (
        HEAD
        + '    - id: Flag\n      op: hep.selection.flag\n      params:\n        selection: ["NMuon >= |"]\n'
    )
    got = labels(text, ctx)
    assert "sqrt" in got and "IsoMuon" in got and "iso_cut" in got and "dataset_name" in got
    sqrt = by_label(items(text, ctx), "sqrt")
    assert sqrt.snippet and sqrt.text == "sqrt($0)"


def test_expression_wanting_an_operator_offers_nothing(ctx: Context) -> None:
    text = (
        HEAD + '    - id: Flag\n      op: hep.selection.flag\n      params:\n        selection: ["NMuon |"]\n'
    )
    assert labels(text, ctx) == []


def test_fields_defined_by_a_later_stage_are_not_offered(ctx: Context) -> None:
    text = HEAD.replace('"NMuon >= 2"', '"Muon_P|"')
    got = labels(text, ctx)
    assert "Muon_Pt" in got  # MuonVars runs before Baseline
    text = HEAD.replace('"sqrt(Muon_Px ** 2 + Muon_Py ** 2)"', '"Dimu|"')
    assert labels(text, ctx) == []  # Baseline's flag is defined after MuonVars


def test_dotted_flag_after_dot(ctx: Context) -> None:
    text = (
        HEAD
        + '    - id: Flag\n      op: hep.selection.flag\n      params:\n        selection: ["Baseline.|"]\n'
    )
    found = items(text, ctx)
    assert [c.label for c in found] == ["Baseline.dimuon"]
    line = text.count("\n") - 1
    col = len('        selection: ["')
    assert found[0].replace == Span(PATH, Pos(line, col), Pos(line, col + len("Baseline.")))


def test_block_scalar_expression(ctx: Context) -> None:
    text = (
        HEAD
        + "    - id: More\n      op: hep.define\n      params:\n        variables:\n          - name: X\n            expr: |\n              IsoM‸\n"
    )
    assert labels(text, ctx, marker="‸") == ["IsoMuon"]


def test_style_names_in_render(ctx: Context) -> None:
    text = HEAD + "    - id: Plot\n      op: hep.hist\n      render: {style: |}\n" + STYLES
    assert set(labels(text, ctx)) == {"muon_pt", "cutflow_table"}


def test_render_when_values_from_the_schema(ctx: Context) -> None:
    text = HEAD + "    - id: Plot\n      op: hep.hist\n      render: {style: muon_pt, when: f|}\n" + STYLES
    assert labels(text, ctx) == ["final"]


def test_profiles(ctx: Context) -> None:
    got = labels("use:\n  profiles: [hep_|]\n", ctx)
    assert got == ["hep_debug"]


def test_new_stage_item_offers_op_snippets_with_required_params(ctx: Context) -> None:
    found = items(HEAD + "    - |\n", ctx)
    snippet = by_label(found, "stage: hep.hist")
    assert snippet.snippet
    assert "op: hep.hist" in snippet.text and "axes:" in snippet.text


def test_dataset_keys(ctx: Context) -> None:
    got = labels("data:\n  datasets:\n    - name: dy\n      |\n", ctx)
    assert {"files", "eventtype"} <= set(got) and "name" not in got


def test_eventtype_values(ctx: Context) -> None:
    assert set(labels("data:\n  datasets:\n    - {name: dy, eventtype: |}\n", ctx)) == {"data", "mc"}


def test_output_and_dataset_names(ctx: Context) -> None:
    head = "data:\n  datasets:\n    - {name: dy, files: [dy.root]}\n    - {name: data, eventtype: data}\n"
    head += "outputs:\n  skim: {op: parquet, path: skim.parquet}\n" + HEAD.replace("version: 1.0\n", "")
    assert labels(head + "    - id: W\n      op: hep.define\n      write: {output: s|}\n", ctx) == ["skim"]
    text = head + "    - id: W\n      op: hep.define\n      applies_to: {datasets: [d|]}\n"
    assert sorted(labels(text, ctx)) == ["data", "dy"]


def test_source_keys_follow_the_source_kind_in_block_and_flow_style(ctx: Context) -> None:
    block = labels("sources:\n  events:\n    kind: root_tree\n    |\n", ctx)
    assert {"tree", "branches", "missing_branches"} <= set(block) and "kind" not in block
    flow = labels("sources:\n  events: {kind: root_tree, |}\n", ctx)
    assert {"tree", "branches"} <= set(flow) and "kind" not in flow
    assert labels("sources:\n  events: {kind: root_tree, missing_branches: |}\n", ctx) == ["error", "ignore"]


def test_params_of_a_flow_style_stage(ctx: Context) -> None:
    text = "analysis:\n  stages:\n    - {id: A, op: hep.hist, params: {storage: |}}\n"
    assert labels(text, ctx) == ["count", "weighted"]


def test_completion_while_typing_takes_names_from_the_previous_snapshot(ctx: Context) -> None:
    before = Document(URI, HEAD + "    - id: Plot\n      needs: []\n", 1)
    before.compiled(ctx)
    text, pos = at_cursor(HEAD + "    - id: Plot\n      needs: [B|]\n")
    after = Document(URI, text, 2).follows(before)
    assert [c.label for c in complete(after, pos, ctx)] == ["Baseline"]
    assert after.own_compile() is None  # answered without compiling the new text
    assert after.compiled(ctx).index.stages[-1].id == "Plot"  # which still compiles on demand


def test_branches_of_the_input_root_file_are_offered(root_file, ctx: Context) -> None:  # type: ignore[no-untyped-def]
    head = f"data:\n  datasets:\n    - {{name: dy, files: [{root_file}]}}\n"
    head += "sources:\n  events: {kind: root_tree, tree: events}\nanalysis:\n  stages:\n"
    text = (
        head
        + '    - id: V\n      op: hep.define\n      params:\n        variables:\n          - {name: x, expr: "Muon_|"}\n'
    )
    found = items(text, ctx)
    assert {c.label for c in found} == {"Muon_Px", "Muon_Py"}
    assert "var * float32" in by_label(found, "Muon_Px").detail
    listed = head.replace("tree: events}", "tree: events, branches: [Muon_Px, |]}")
    got = set(labels(listed, ctx))
    assert {"NMuon", "EventWeight", "Muon_Py"} <= got and "Muon_Px" not in got


def test_needs_unclosed_leaves_out_listed_ones_too(ctx: Context) -> None:
    assert labels(HEAD + "    - id: Plot\n      needs: [MuonVars, |\n", ctx) == ["Baseline"]


def test_a_file_opened_broken_elsewhere_still_offers_its_names(ctx: Context) -> None:
    broken = HEAD.replace("      op: hep.define\n", "      op: hep.define\n      bad: [unclosed\n", 1)
    assert broken != HEAD
    assert labels(broken + "    - id: Plot\n      needs: [Bas|\n", ctx) == ["Baseline"]


def test_typing_in_a_long_workflow_parses_only_the_stage_typed_in(ctx: Context) -> None:
    many = "".join(
        f'    - id: S{i}\n      op: hep.define\n      params:\n        variables:\n          - {{name: V{i}, expr: "NMuon * {i}"}}\n'
        for i in range(25)
    )
    tail = (
        "    - id: Last\n      op: hep.define\n      params:\n        variables: [{name: W, expr: NMuon}]\n"
    )
    before = Document(URI, HEAD + many + "    - id: Plot\n      needs: []\n" + tail, 1)
    before.compiled(ctx)
    text, pos = at_cursor(HEAD + many + "    - id: Plot\n      needs: [Bas|\n" + tail)
    after = Document(URI, text, 2).follows(before)
    assert [c.label for c in complete(after, pos, ctx)] == ["Baseline"]
    assert not after.has_tree  # the whole new text was not parsed for this answer
