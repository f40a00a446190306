"""Inlay hints: types of defined variables inferred with awkward's typetracer, without reading any data."""

from __future__ import annotations

from pathlib import Path

from fasthep_flow.document.spans import Pos
from fasthep_flow.service import Context, Document, Settings, infer_types, inlay_hints, path_to_uri

WORKFLOW = """\
version: 1.0
data:
  datasets:
    - {{name: dy, files: [{file}]}}
sources:
  events: {{kind: root_tree, tree: events}}
analysis:
  globals: {{pt_cut: 2}}
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {{name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}}
          - {{name: NHigh, reduce: {{op: count_nonzero, over: "Muon_Pt > pt_cut"}}}}
          - {{name: Weight2, expr: "EventWeight * 2"}}
          - {{name: Broken, expr: "NMuon[:, 0]"}}
"""


def make(root_file: Path, text: str = WORKFLOW) -> Document:
    return Document(path_to_uri(str(root_file.parent / "w.flow.yaml")), text.format(file=root_file), 1)


def test_branch_types_come_from_the_files_metadata(root_file: Path, ctx: Context) -> None:
    types = make(root_file).compiled(ctx).index.branch_types
    assert types["Muon_Px"] == "var * float32" and types["NMuon"] == "int32"


def test_types_of_each_define_in_order(root_file: Path, ctx: Context) -> None:
    found = {t.name: (t.type, t.error) for t in infer_types(make(root_file), ctx)}
    assert found["Muon_Pt"] == ("var * float32", None)
    assert found["NHigh"] == ("int64", None)
    assert found["Weight2"] == ("float64", None)
    assert found["Broken"][0] is None
    assert "too many indices" in (found["Broken"][1] or "")  # a flat int column indexed twice


def test_hints_sit_after_the_variable_name(root_file: Path, ctx: Context) -> None:
    doc = make(root_file)
    hints = inlay_hints(doc, None, ctx)
    line = doc.text.splitlines().index(
        '          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}'
    )
    first = hints[0]
    assert first.pos == Pos(line, len("          - {name: Muon_Pt"))
    assert first.label == ": var * float32" and not first.error
    broken = hints[-1]
    assert broken.error and broken.label == ": ⚠ type error" and broken.tooltip


def test_no_file_no_types_and_the_setting_turns_hints_off(root_file: Path, ctx: Context) -> None:
    missing = make(root_file, WORKFLOW.replace("{file}", "{file}.missing"))
    assert inlay_hints(missing, None, ctx) == []
    off = Context(settings=Settings(inlay_hints=False))
    assert inlay_hints(make(root_file), None, off) == []


def test_unknown_names_give_no_hint_rather_than_a_wrong_one(root_file: Path, ctx: Context) -> None:
    text = WORKFLOW.replace("sqrt(Muon_Px", "sqrt(Muon_Pq")
    found = {t.name for t in infer_types(make(root_file, text), ctx)}
    assert "Muon_Pt" not in found and "Broken" in found
