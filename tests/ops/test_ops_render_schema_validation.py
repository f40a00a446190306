"""`hep.render.schema_validation`: the report of schema comparisons, its figures against a hand count of the
real files' branches, and its wiring as a once-per-run stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.tree_schema_impl import compare_schemas, tree_schema
from fasthep_flow.ops.render.schema_validation_impl import ratio, render
from fasthep_flow.plan import DatasetPlan, Partition
from fasthep_flow.runtime import RunOptions, run_plan


def _ctx(tmp_path: Path) -> RunContext:
    return RunContext("Report", DatasetPlan("total"), Partition("total", None, 0, None), tmp_path)


@pytest.fixture(scope="module")
def comparisons(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("cmp")
    hzz = tree_schema(shared_data_dir / "uproot-HZZ.root", "events", "zz", {})
    zmumu = tree_schema(shared_data_dir / "uproot-Zmumu.root", "events", "zmumu", {})
    ctx = RunContext("C", DatasetPlan("total"), Partition("total", None, 0, None), out)
    # a schema against a copy of itself with one branch retyped and one made jagged
    changed = {**hzz, "field_details": dict(hzz["field_details"])}
    changed["field_details"]["EventWeight"] = {
        **hzz["field_details"]["EventWeight"],
        "primitive_type": "double",
    }
    changed["field_details"]["NJet"] = {
        **hzz["field_details"]["NJet"],
        "physical_role": None,
        "shape": "jagged",
    }
    return {
        "cross": compare_schemas({"reference": hzz, "target": zmumu}, {}, ctx)["comparison"],
        "retyped": compare_schemas({"reference": hzz, "target": changed}, {}, ctx)["comparison"],
    }


def test_ratio_is_a_percentage_with_one_decimal() -> None:
    assert (ratio(1, 3), ratio(47, 47), ratio(0, 0)) == ("33.3%", "100.0%", "n/a")


def test_report_figures(comparisons: dict[str, dict], tmp_path: Path) -> None:
    params = {
        "outputs": [
            {"path": "r/report.md", "format": "markdown"},
            {"path": "r/report.html", "format": "html"},
        ],
        "comparisons": {"cross": {"label": "HZZ vs Zmumu", "target_label": "Zmumu"}},
        "note": "Two unrelated files.",
    }
    got = render(comparisons, params, _ctx(tmp_path))["report"]
    assert got["files"] == ["r/report.md", "r/report.html"]
    cross, retyped = got["comparisons"]
    # HZZ: 51 branches, 4 counters; Zmumu: 20 plain branches; no name in common
    assert cross["counts"] == {
        "reference": 47,
        "target": 20,
        "common": 0,
        "compatible": 0,
        "only_in_reference": 47,
        "only_in_target": 20,
        "incompatible": 0,
    }
    assert cross["ratios"] == {"common_over_reference": "0.0%", "compatible_over_common": "n/a"}
    assert (cross["label"], cross["reference_label"], cross["target_label"]) == (
        "HZZ vs Zmumu",
        "Legacy",
        "Zmumu",
    )
    # NJet stops being a counter in the target, so it is compared (48 common); EventWeight and NJet differ
    assert retyped["counts"]["common"] == 48 and retyped["counts"]["incompatible"] == 2
    assert retyped["ratios"]["compatible_over_common"] == f"{46 / 48:.1%}"
    assert retyped["incompatible_fields"] == [
        {"field": "EventWeight", "reference_type": "float", "target_type": "double"},
        {"field": "NJet", "reference_shape": "scalar", "target_shape": "jagged"},
    ]
    md = (tmp_path / "r/report.md").read_text()
    assert (
        "Two unrelated files." in md
        and "| Missing from Zmumu | 47 |" in md
        and "| Compatible / common | n/a |" in md
    )
    page = (tmp_path / "r/report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<td>EventWeight</td><td>float</td><td>double</td>" in page


def test_a_product_that_is_no_comparison_fails(tmp_path: Path) -> None:
    with pytest.raises(OpError, match="not a schema comparison"):
        render(
            {"x": {"kind": "schema_snapshot"}},
            {"outputs": [{"path": "a.md", "format": "md"}]},
            _ctx(tmp_path),
        )


WF = """version: 1.0
use: {profiles: [hep]}
data:
  datasets: [{name: zz, eventtype: mc, files: [DATA]}]
styles:
  sv: {op: hep.render.schema_validation, note: From the style., comparisons: {same: {label: Itself}}}
analysis:
  stages:
    - id: S
      op: curator.root_tree_schema
      needs: []
      params: {dataset: zz, tree: events}
    - id: C
      op: curator.compare_schemas
      from: [{node: S, as: reference}, {node: S, as: target}]
    - id: R
      op: hep.render.schema_validation
      from: [{node: C, as: same}]
      params: {style: sv, outputs: [{path: OUT, format: markdown}]}
"""


def _compile(text: str, tmp_path: Path):
    path = tmp_path / "wf.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_text(text, str(path), CompileOptions(trust=False))


def test_runs_after_the_comparisons_with_the_style_applied(shared_data_dir: Path, tmp_path: Path) -> None:
    text = WF.replace("DATA", str(shared_data_dir / "uproot-HZZ.root"))
    result = _compile(text.replace("OUT", "reports/s.md"), tmp_path)
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    run = run_plan(result.plan, RunOptions(outdir=tmp_path / "out"), registry=result.registry)
    assert run.ok, [e.message for e in run.errors]
    md = (tmp_path / "out/reports/s.md").read_text()
    assert md.startswith("# Schema validation\n\nFrom the style.\n") and "## Itself" in md
    assert "| Compatible / common | 100.0% |" in md


def test_check_reports_paths_outside_and_missing_inputs(shared_data_dir: Path, tmp_path: Path) -> None:
    text = WF.replace("DATA", str(shared_data_dir / "uproot-HZZ.root"))
    outside = _compile(text.replace("OUT", "../s.md"), tmp_path)
    assert [d.code.id for d in outside.diagnostics if d.severity is Severity.ERROR] == ["FF307"]
    unbound = _compile(
        text.replace("OUT", "s.md").replace("      from: [{node: C, as: same}]\n", ""), tmp_path
    )
    assert [d.code.id for d in unbound.diagnostics if d.severity is Severity.ERROR] == ["FF107"]
    template = _compile(
        text.replace("OUT", "s.md").replace("style: sv,", "style: sv, template: t.j2,"), tmp_path
    )
    assert [(d.code.id, d.severity) for d in template.diagnostics] == [("FF140", Severity.WARNING)]
