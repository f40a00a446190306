"""Top-level `joins:` and `primary_stream` (LANGUAGE.md §7, §20.1 rows 27-28): checked, planned and run on the
real uproot-HZZ.root; the expected counts are computed here from the file with uproot, not taken from ours."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import uproot

from fasthep_flow.compiler import compile_text
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.spans import Pos
from fasthep_flow.plan import JOIN_KIND, NodeKind
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.service import Context, Document, complete, definition, hover

HZZ = Path(__file__).resolve().parents[1] / "data" / "uproot-HZZ.root"

JOINED = """\
version: 1.0
use: {{profiles: [hep]}}
data:
  datasets: [{{name: zz, eventtype: mc, files: ["{hzz}"]}}]
sources:
  a: {{kind: root_tree, tree: events}}
  b: {{kind: root_tree, tree: events{b_extra}}}
joins:
  both:
    kind: zip
    on_mismatch: error
    inputs:
      - {{source: a, prefix: ra}}
      - b
primary_stream: both
fields:
  nmu: {{stream: both, branch: "ra.NMuon"}}
observers:
  - {{kind: hep.schema_snapshot, at: [join.both, project.both]}}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {{a: ["nmu >= 2", "b.NJet >= 1"]}}
"""


def _compile(tmp_path: Path, b_extra: str = ""):
    text = JOINED.format(hzz=HZZ, b_extra=b_extra)
    path = tmp_path / "wf.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_text(text, str(path))


def _errors(result) -> list[str]:
    return [f"{d.code.id} {d.message}" for d in result.diagnostics if d.severity is Severity.ERROR]


def test_join_checks_clean_and_plans_one_read_node(tmp_path: Path) -> None:
    result = _compile(tmp_path)
    assert _errors(result) == []
    assert not [d for d in result.diagnostics if d.code.id == "FF140"]  # no longer "not built yet"
    plan = result.plan
    assert plan is not None
    reads = [n for n in plan.nodes if n.kind is NodeKind.READ]
    assert [n.id for n in reads] == ["join.both"]  # one read per partition: counted once
    by_id = {n.id: n for n in plan.nodes}
    assert by_id["project.both"].inputs == ("join.both",)
    assert by_id["stage.Sel"].inputs == ("project.both",)
    join = plan.source("both")
    assert join.kind == JOIN_KIND
    assert set(join.fields) == {"ra.NMuon", "b.NJet"}  # the alias is projected, not read
    # each input reads only the branches the stages use from it
    assert plan.source("a").fields == ("NMuon",)
    assert plan.source("b").fields == ("NJet",)
    assert [d.source for d in plan.datasets] == ["both"]


def test_join_runs_with_the_counts_of_the_file(tmp_path: Path) -> None:
    with uproot.open(HZZ) as f:
        arrays = f["events"].arrays(["NMuon", "NJet"], library="np")
    two_mu = arrays["NMuon"] >= 2
    expected = [
        (len(two_mu), int(two_mu.sum())),
        (int(two_mu.sum()), int(np.sum(two_mu & (arrays["NJet"] >= 1)))),
    ]

    result = _compile(tmp_path)
    run = run_plan(
        result.plan, RunOptions(outdir=tmp_path / "out", chunk_size=1000), registry=result.registry
    )
    assert run.ok, [e.message for e in run.errors]
    cutflow = run.products[("stage.Sel", "zz")]["cutflow"]
    assert [(s.events_in, s.events_out) for s in cutflow.groups["a"]] == expected
    # the observer at the join sees the inputs' columns under their prefixes
    snapshot = json.loads(
        next((tmp_path / "out" / "inspect").glob("observe.0.join.both.zz*.json")).read_text()
    )
    assert set(snapshot["fields"]) == {"ra.NMuon", "b.NJet"}
    projected = json.loads(
        next((tmp_path / "out" / "inspect").glob("observe.0.project.both.zz*.json")).read_text()
    )
    assert "nmu" in projected["fields"]


def test_join_of_unequal_lengths_fails_the_partition_with_both_lengths(tmp_path: Path) -> None:
    result = _compile(tmp_path, b_extra=", stop: 100")
    assert _errors(result) == []
    run = run_plan(
        result.plan, RunOptions(outdir=tmp_path / "out", chunk_size=None), registry=result.registry
    )
    assert not run.ok
    (error,) = run.errors
    assert error.code.id == "FF404"
    assert "'a' has 2421" in error.message and "'b' has 100" in error.message


@pytest.mark.parametrize(
    ("primary", "expected_source"),
    [("b", "b"), ("a", "a")],
)
def test_primary_stream_names_the_stream_of_the_first_stage(
    tmp_path: Path, primary: str, expected_source: str
) -> None:
    text = f"""\
version: 1.0
data:
  datasets: [{{name: zz, eventtype: mc, files: ["{HZZ}"]}}]
sources:
  a: {{kind: root_tree, tree: events}}
  b: {{kind: root_tree, tree: events, stop: 100}}
primary_stream: {primary}
analysis:
  stages:
    - {{id: Sel, op: hep.selection.cutflow, params: {{selection: {{a: ["NMuon >= 2"]}}}}}}
"""
    result = compile_text(text, str(tmp_path / "wf.yaml"))
    assert _errors(result) == []
    plan = result.plan
    assert [n.id for n in plan.nodes if n.kind is NodeKind.READ] == [f"read.{expected_source}"]
    run = run_plan(plan, RunOptions(outdir=tmp_path / "out"), registry=result.registry)
    assert run.ok
    (step,) = run.products[("stage.Sel", "zz")]["cutflow"].groups["a"]
    assert step.events_in == (100 if primary == "b" else 2421)  # once, not once per declared source


EDITED = """\
version: 1.0
sources:
  a: {kind: toy, nevents: 10}
  b: {kind: toy, nevents: 10}
joins:
  both: {kind: zip, inputs: [{source: a, prefix: ra}, b]}
primary_stream: %s
analysis:
  stages:
    - {id: S, op: hep.selection.cutflow, params: {selection: {g: ["%s >= 1"]}}}
"""


def _at(text: str) -> tuple[Document, Pos]:
    marker = text.index("|")
    before = text[:marker]
    pos = Pos(before.count("\n"), marker - (before.rfind("\n") + 1))
    return Document("file:///work/flows/join.flow.yaml", before + text[marker + 1 :], 1), pos


def test_editor_goes_from_primary_stream_to_the_join() -> None:
    doc, pos = _at(EDITED % ("bo|th", "ra.NMuon"))
    (span,) = definition(doc, pos, Context())
    assert (span.start.line, span.start.col) == (5, 2)  # the `both:` key under `joins:`
    shown = hover(doc, pos, Context())
    assert shown is not None and "join of a, b" in shown.markdown


def test_editor_completes_and_describes_joined_fields() -> None:
    doc, pos = _at(EDITED % ("both", "ra.N|Muon"))
    shown = hover(doc, pos, Context())
    assert shown is not None and "`NMuon` of source `a` in join `both`" in shown.markdown
    labels = [c.label for c in complete(doc, pos, Context())]
    assert "ra.NMuon" in labels
