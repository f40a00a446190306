"""Data-flow of each op on small YAML snippets: what is read (and how), what is defined, and where."""

from __future__ import annotations

from regtools import at, params, parse

from fasthep_flow.registry import builtin_registry, flow_of
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, parse_path, scalars_at

REG = builtin_registry()


def stage(name: str):
    spec = REG.stage_op(name)
    assert spec is not None
    return spec


def uses(steps: list[FlowStep]) -> list[tuple[str, str]]:
    return [(u.node.text, u.kind) for s in steps for u in s.uses]


def defines(steps: list[FlowStep]) -> list[str]:
    return [d.name for s in steps for d in s.defines]


def test_define_one_step_per_variable_so_later_ones_see_earlier() -> None:
    p = params(
        "params:\n"
        "  variables:\n"
        '    - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}\n'
        '    - {name: IsoMuon, expr: "(Muon_Iso / Muon_Pt) < iso_cut"}\n'
        "    - {name: NIsoMuon, reduce: {op: count_nonzero, over: IsoMuon}}\n"
    )
    steps = flow_of(stage("hep.define"), p, "MuonVars")
    assert [(uses([s]), defines([s])) for s in steps] == [
        ([("sqrt(Muon_Px ** 2 + Muon_Py ** 2)", "expr")], ["Muon_Pt"]),
        ([("(Muon_Iso / Muon_Pt) < iso_cut", "expr")], ["IsoMuon"]),
        ([("IsoMuon", "expr")], ["NIsoMuon"]),
    ]
    first = steps[0].defines[0]
    assert at(first.node) == (3, 14)  # the `Muon_Pt` scalar names it
    assert first.expr is steps[0].uses[0].node
    assert not first.implicit
    assert "count_nonzero" in steps[2].defines[0].doc


def test_define_skips_malformed_items_without_raising() -> None:
    p = params("params:\n  variables:\n    - just a string\n    - {expr: x + 1}\n    - {name: y}\n")
    steps = flow_of(stage("hep.define"), p, "S")
    assert uses(steps) == [("x + 1", "expr")]
    assert defines(steps) == ["y"]
    assert flow_of(stage("hep.define"), None, "S") == []


def test_cutflow_reads_every_step_form_and_defines_flags() -> None:
    p = params(
        "params:\n"
        "  selection:\n"
        '    dimuon: ["NIsoMuon >= 2", {expr: "NMuon < 5", label: few}]\n'
        "    tight:\n"
        '      steps: [{reduce: {op: any, over: "Muon_Iso < 0.05"}}]\n'
        "      parents: [dimuon]\n"
        "    loose: {cuts: [MET > 10], from: dimuon}\n"
        "  weight_expr: EventWeight\n"
        "  output_field: Passed\n"
    )
    steps = flow_of(stage("hep.selection.cutflow"), p, "Dimuon")
    assert len(steps) == 1
    assert uses(steps) == [
        ("NIsoMuon >= 2", "expr"),
        ("NMuon < 5", "expr"),
        ("Muon_Iso < 0.05", "expr"),
        ("MET > 10", "expr"),
        ("EventWeight", "expr"),
    ]
    assert defines(steps) == ["Dimuon.dimuon", "Dimuon.tight", "Dimuon.loose", "Passed"]
    flag = steps[0].defines[0]
    assert flag.implicit and flag.node.text == "dimuon" and at(flag.node) == (3, 5)
    assert not steps[0].defines[3].implicit


def test_cutflow_without_flags_defines_only_the_output_field() -> None:
    p = params("params:\n  selection: {a: [x > 1]}\n  emit_flags: false\n")
    steps = flow_of(stage("hep.selection.cutflow"), p, "Cuts")
    assert uses(steps) == [("x > 1", "expr")]
    assert defines(steps) == []


def test_flag_defines_output_or_the_stage_id_at_the_anchor() -> None:
    spec = stage("hep.selection.flag")
    named = flow_of(spec, params('params: {selection: ["NMuon >= 2", "a"], output: HasTwo}\n'), "Two")
    assert uses(named) == [("NMuon >= 2", "expr"), ("a", "expr")]
    assert defines(named) == ["HasTwo"]

    root = parse("id: Two\nop: hep.selection.flag\nparams: {selection: NMuon >= 2}\n")
    anchor = root.get("op")
    default = flow_of(spec, root.get("params"), "Two", anchor=anchor)  # type: ignore[arg-type]
    assert uses(default) == [("NMuon >= 2", "expr")]
    d = default[0].defines[0]
    assert (d.name, d.implicit) == ("Two", True)
    assert d.node.span == anchor.span  # type: ignore[union-attr]


def test_hist_reads_from_paths() -> None:
    p = params(
        "params:\n"
        "  weight_expr: EventWeight\n"
        "  axes:\n"
        "    - {name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 60}}\n"
        '    - {name: eta, source: "abs(Muon_Eta)", type: variable, bins: [0, 1, 2.4]}\n'
        "  variations: {weights: {up: EventWeight * 1.1, down: EventWeight * 0.9}}\n"
    )
    steps = flow_of(stage("hep.hist"), p, "H")
    assert uses(steps) == [
        ("Muon_Pt", "expr"),
        ("abs(Muon_Eta)", "expr"),
        ("EventWeight", "expr"),
        ("EventWeight * 1.1", "expr"),
        ("EventWeight * 0.9", "expr"),
    ]
    assert defines(steps) == []


def test_di_object_mass_synthesises_component_uses_on_the_collection() -> None:
    spec = stage("hep.di_object_mass")
    p = params("params: {collection: Electron, mask: GoodEle, out_var: Mee}\n")
    steps = flow_of(spec, p, "Mass")
    assert uses(steps) == [
        ("Electron_Px", "field"),
        ("Electron_Py", "field"),
        ("Electron_Pz", "field"),
        ("Electron_E", "field"),
        ("GoodEle", "expr"),  # upstream takes a field or any expression as the mask
    ]
    collection = p.get("collection")
    px = steps[0].uses[0]
    assert px.implicit and px.node.span == collection.span  # type: ignore[union-attr]
    assert not steps[0].uses[4].implicit
    assert defines(steps) == ["Mee"]


def test_di_object_mass_defaults_without_params_sit_on_the_anchor() -> None:
    root = parse("id: Mass\nop: hep.di_object_mass\n")
    anchor = root.get("op")
    steps = flow_of(stage("hep.di_object_mass"), None, "Mass", anchor=anchor)
    assert [u.node.text for u in steps[0].uses] == ["Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E"]
    assert all(u.node.span == anchor.span for u in steps[0].uses)  # type: ignore[union-attr]
    assert defines(steps) == ["DiMuon_Mass"]
    assert steps[0].defines[0].node.span == anchor.span  # type: ignore[union-attr]


def test_select_objects_prefixes_relative_names_and_defines_outputs() -> None:
    p = params(
        "params:\n"
        "  collection: Muon\n"
        "  output: GoodMuon\n"
        "  keep: [Px, Py, Iso]\n"
        '  selection: ["pt > 20", "Iso < 0.1"]\n'
        '  derived: {pt: "sqrt(Px**2 + Py**2)", ptsq: "pt * pt"}\n'
        "  sort: {by: pt}\n"
    )
    steps = flow_of(stage("hep.select_objects"), p, "Sel")
    all_uses = [u for s in steps for u in s.uses]
    assert [(u.node.text, u.kind, u.prefix) for u in all_uses] == [
        ("sqrt(Px**2 + Py**2)", "expr", "Muon_"),
        ("pt * pt", "expr", "Muon_"),
        ("pt > 20", "expr", "Muon_"),
        ("Iso < 0.1", "expr", "Muon_"),
        ("Px", "field", "Muon_"),
        ("Py", "field", "Muon_"),
        ("Iso", "field", "Muon_"),
        ("pt", "field", "Muon_"),
    ]
    # a derived name is local to the op: visible to later derived fields, the selection, keep and sort
    assert all_uses[0].local_names == frozenset()
    assert all_uses[1].local_names == frozenset({"pt"})
    assert all_uses[2].local_names == frozenset({"pt", "ptsq"})
    assert defines(steps) == [
        "GoodMuon_Px",
        "GoodMuon_Py",
        "GoodMuon_Iso",
        "GoodMuon_pt",
        "GoodMuon_ptsq",
        "nGoodMuon",
    ]
    count = steps[0].defines[-1]
    assert count.implicit and count.node is p.get("output")


def test_select_objects_without_collection_reads_nothing() -> None:
    assert flow_of(stage("hep.select_objects"), params("params: {output: X, keep: [a]}\n"), "S") == []


def test_project_fields_uses_values_and_defines_keys() -> None:
    p = params("params:\n  aliases: {pt: Muon_Pt, mass: DiMuon_Mass}\n")
    steps = flow_of(stage("hep.project_fields"), p, "P")
    assert uses(steps) == [("Muon_Pt", "field"), ("DiMuon_Mass", "field")]
    assert defines(steps) == ["pt", "mass"]
    first = steps[0].defines[0]
    assert at(first.node) == (2, 13) and first.expr is not None and first.expr.text == "Muon_Pt"


def test_sources_and_sinks_use_paths() -> None:
    src = REG.source("root_tree")
    assert src is not None
    steps = flow_of(src, parse("kind: root_tree\ntree: events\nbranches: [NMuon, Muon_Px]\n"), "events")
    assert defines(steps) == ["NMuon", "Muon_Px"]
    sink = REG.stage_op("root_tree")
    assert sink is not None
    steps = flow_of(sink, params("params: {path: out.root, keep: [Muon_Pt, NMuon]}\n"), "W")
    assert uses(steps) == [("Muon_Pt", "field"), ("NMuon", "field")]
    assert flow_of(sink, params("params: {path: out.root}\n"), "W") == []


def test_toy_source_defines_its_schema_on_the_anchor() -> None:
    toy = REG.source("toy")
    assert toy is not None
    root = parse("kind: toy\nnevents: 100\n")
    steps = flow_of(toy, root, "events", anchor=root.get("kind"))
    names = defines(steps)
    assert {"NMuon", "Muon_Px", "Muon_Iso", "EventWeight"} <= set(names)
    assert all(d.implicit and d.node.span == root.get("kind").span for d in steps[0].defines)  # type: ignore[union-attr]


def test_path_helpers() -> None:
    assert parse_path("axes[].source") == ["axes", "[]", "source"]
    assert parse_path("variations.weights{}") == ["variations", "weights", "{}"]
    root = parse("a: [{b: 1}, {b: null}, {c: 2}, 3]\nm: {x: u, y: v}\n")
    assert [n.text for n in scalars_at(root, "a[].b")] == ["1"]
    assert [n.text for n in scalars_at(root, "m{}")] == ["u", "v"]
    assert scalars_at(root, "m[]") == []
    assert scalars_at(None, "a") == []


def test_flow_records_are_plain_frozen_data() -> None:
    node = parse("x: y\n").get("x")
    use = ExprUse(node, "field")  # type: ignore[arg-type]
    d = FieldDef("y", node)  # type: ignore[arg-type]
    assert (use.prefix, use.local_names, use.implicit) == ("", frozenset(), False)
    assert d.expr is None and not d.implicit
    assert FlowStep() == FlowStep((), ())
