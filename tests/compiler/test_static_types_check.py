"""FF205 from static types in `check` and in the editor alike, at the expression's column, on the real
uproot-HZZ.root schema (and silence where a type is not known)."""

from __future__ import annotations

from pathlib import Path

from fasthep_flow.compiler import compile_text
from fasthep_flow.service import Context, Document, diagnose

HZZ = Path(__file__).resolve().parents[1] / "data" / "uproot-HZZ.root"
TEXT = f"""\
version: 1.0
data:
  datasets: [{{name: zz, eventtype: mc, files: ["{HZZ}"]}}]
sources:
  events: {{kind: root_tree, tree: events}}
analysis:
  stages:
    - id: Vars
      op: hep.define
      params:
        variables:
          - {{name: nmu, expr: "NMuon * 1"}}
          - {{name: first, expr: "nmu[0]"}}
          - {{name: lead, expr: "leading(MET_px)"}}
    - id: Sel
      op: hep.selection.cutflow
      params: {{selection: {{s: ["NJet > '1'"]}}}}
"""


def _ff205(diagnostics) -> list[tuple[int, int]]:
    return [(d.span.start.line + 1, d.span.start.col + 1) for d in diagnostics if d.code.id == "FF205"]


def test_check_and_editor_report_the_same_type_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "wf.flow.yaml"
    checked = _ff205(compile_text(TEXT, str(path)).diagnostics)
    # `leading(MET_px)` at the argument, `NJet > '1'` at the comparison; `nmu[0]` is a define: not typed
    assert checked == [(14, 41), (17, 33)]
    edited = _ff205(diagnose(Document(path.as_uri(), TEXT, 1), Context()))
    assert edited == checked
