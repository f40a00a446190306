"""`reports:` are written after the run, from its record, and listed among its outputs."""

from __future__ import annotations

import json
from pathlib import Path

from fasthep_flow.compiler import compile_file
from fasthep_flow.runtime import RunOptions, run_plan

WORKFLOW = """\
version: 1.0
use: {profiles: [hep]}
data:
  datasets: [{name: zz, eventtype: mc, files: [DATA]}]
reports:
  - id: prov
    op: hep.report.template
    source: provenance
    outputs:
      - {path: provenance.md, format: markdown}
      - {path: reports/provenance.html, format: html}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params:
        selection: {a: ["NMuon >= 2"]}
"""


def test_provenance_report_from_the_run_record(tmp_path: Path, shared_data_dir: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW.replace("DATA", str(shared_data_dir / "uproot-HZZ.root")))
    compiled = compile_file(path)
    assert compiled.ok and not compiled.diagnostics, [d.message for d in compiled.diagnostics]
    assert compiled.plan is not None and [r["id"] for r in compiled.plan.reports] == ["prov"]
    result = run_plan(compiled.plan, RunOptions(outdir=tmp_path / "out"), registry=compiled.registry)
    assert result.ok
    record = json.loads((result.outdir / "run.json").read_text())
    listed = [o["path"] for o in record["outputs"]]
    assert listed[-2:] == ["provenance.md", "reports/provenance.html"]
    text = (result.outdir / "provenance.md").read_text()
    assert f"| Run ID | {record['run_id']} |" in text
    assert "| stage.Sel | zz | 2421 | 1413 |" in text  # 1413 of uproot-HZZ.root's 2421 events have two muons
    assert (result.outdir / "reports" / "provenance.html").read_text().startswith("<!DOCTYPE html>")


def test_a_reused_run_writes_its_own_report(tmp_path: Path, shared_data_dir: Path) -> None:
    """An unchanged re-run takes the previous outputs over whole; its report is still its own."""
    path = tmp_path / "wf.yaml"
    path.write_text(WORKFLOW.replace("DATA", str(shared_data_dir / "uproot-HZZ.root")))
    compiled = compile_file(path)
    assert compiled.plan is not None
    options = RunOptions(outdir=tmp_path / "out", cache_dir=tmp_path / "cache")
    first = run_plan(compiled.plan, options, registry=compiled.registry)
    second = run_plan(compiled.plan, options, registry=compiled.registry)
    assert first.ok and second.ok
    assert second.record["cache"].get("reused_from") == first.record["run_id"]  # the whole-run reuse path
    ids = [r.record["run_id"] for r in (first, second)]
    assert ids[0] != ids[1]
    assert f"| Run ID | {ids[1]} |" in (second.outdir / "provenance.md").read_text()
    listed = [o["path"] for o in second.record["outputs"]]
    assert listed.count("provenance.md") == 1 and "reports/provenance.html" in listed


TEMPLATE = """\
# {{ source }} report of {{ run.id }}

{% for stage in executed_stages -%}
{% for e in stage.events -%}
- {{ stage.node_id }} on {{ e.dataset }}: {{ e.events_in }} → {{ e.events_out }}
{% endfor -%}
{% endfor %}
Files: {{ outputs | length }}, events files {{ artifacts | length }}; datasets: {{ run.datasets | join(", ") }}
"""


def test_a_report_from_a_template_file_beside_the_workflow(tmp_path: Path, shared_data_dir: Path) -> None:
    """`template:` names a file relative to the workflow's folder (as upstream); its text is in the plan, so a
    run reads nothing of the user's but its inputs, and the plan changes with the template."""
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "mine.md.j2").write_text(TEMPLATE)
    text = WORKFLOW.replace("DATA", str(shared_data_dir / "uproot-HZZ.root")).replace(
        "    source: provenance\n",
        "    source: provenance\n    template: tpl/mine.md.j2\n",
    )
    path = tmp_path / "wf.yaml"
    path.write_text(text)
    compiled = compile_file(path)
    assert compiled.ok and not compiled.diagnostics, [d.message for d in compiled.diagnostics]
    assert compiled.plan is not None and compiled.plan.reports[0]["template_text"] == TEMPLATE
    (tmp_path / "tpl" / "mine.md.j2").unlink()  # the run needs the plan only
    result = run_plan(compiled.plan, RunOptions(outdir=tmp_path / "out"), registry=compiled.registry)
    assert result.ok
    record = json.loads((result.outdir / "run.json").read_text())
    assert (result.outdir / "provenance.md").read_text() == (
        f"# provenance report of {record['run_id']}\n\n- stage.Sel on zz: 2421 → 1413\n\n"
        f"Files: {len(record['outputs']) - 2}, events files 0; datasets: zz\n"
    )  # the two reports are listed after they are written
    page = (result.outdir / "reports" / "provenance.html").read_text()
    assert "<li>stage.Sel on zz: 2421 → 1413</li>" in page


def test_template_mistakes_are_found_by_check(tmp_path: Path, shared_data_dir: Path) -> None:
    base = WORKFLOW.replace("DATA", str(shared_data_dir / "uproot-HZZ.root"))
    cases = {
        "missing.md.j2": None,
        "syntax.md.j2": "{% for s in executed_stages %}\n{{ s.node_id }}\n",
        "names.md.j2": "{{ run.id }}\n{{ run.workflow.plan_hash }} {{ executed_stage }}",
    }
    messages = {}
    for name, body in cases.items():
        if body is not None:
            (tmp_path / name).write_text(body)
        path = tmp_path / f"wf-{name}.yaml"
        path.write_text(
            base.replace("    source: provenance\n", f"    source: provenance\n    template: {name}\n")
        )
        compiled = compile_file(path)
        assert not compiled.ok
        (found,) = [d for d in compiled.diagnostics if d.code.id == "FF207"]
        assert (found.span.start.line, found.span.start.col) == (8, 14)  # at the template's name
        messages[name] = found.message
    assert messages["missing.md.j2"] == "report template 'missing.md.j2': no such file"
    assert "line 1, column 4: 'for' is never closed" in messages["syntax.md.j2"]
    assert "line 2, column 33: unknown name 'executed_stage'" in messages["names.md.j2"]


REGISTERED = WORKFLOW.replace(
    "reports:\n",
    "registry:\n"
    "  report_templates:\n"
    "    short: {path: templates/short.md.j2, source: provenance, formats: [markdown]}\n"
    "    other: {path: templates/short.md.j2, source: lineage}\n"
    "    gone: {path: templates/missing.md.j2}\n"
    "reports:\n",
).replace("    source: provenance\n", "    source: provenance\n    template: TEMPLATE\n")


def _registered(tmp_path: Path, shared_data_dir: Path, template: str) -> Path:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "short.md.j2").write_text(
        "# {{ run.id }}\n{% for s in executed_stages %}{{ s.node_id }}{% for e in s.events %}"
        " {{ e.events_in }}>{{ e.events_out }}{% endfor %}\n{% endfor %}"
    )
    path = tmp_path / "wf.yaml"
    text = REGISTERED.replace("DATA", str(shared_data_dir / "uproot-HZZ.root")).replace("TEMPLATE", template)
    path.write_text(text)
    return path


def test_a_template_registered_by_name_is_rendered(tmp_path: Path, shared_data_dir: Path) -> None:
    compiled = compile_file(_registered(tmp_path, shared_data_dir, "short"))
    assert compiled.ok and not compiled.diagnostics, [d.message for d in compiled.diagnostics]
    assert compiled.plan is not None
    result = run_plan(compiled.plan, RunOptions(outdir=tmp_path / "out"), registry=compiled.registry)
    assert result.ok
    record = json.loads((result.outdir / "run.json").read_text())
    assert (result.outdir / "provenance.md").read_text() == f"# {record['run_id']}\nstage.Sel 2421>1413\n"


def test_a_registered_template_of_another_source_or_file_is_reported(
    tmp_path: Path, shared_data_dir: Path
) -> None:
    for name, words in (
        ("other", "registered for source 'lineage', not 'provenance'"),
        ("gone", "no such file"),
    ):
        path = _registered(tmp_path, shared_data_dir, name)
        compiled = compile_file(path)
        (found,) = compiled.diagnostics
        assert found.code.id == "FF207" and words in found.message and "registered as" in found.message
        line = path.read_text().splitlines()[found.span.start.line]
        assert line[found.span.start.col :].startswith(name)  # at the report's `template:` value


def test_a_registered_template_without_a_path_is_a_missing_key_at_its_entry() -> None:
    from fasthep_flow.compiler import compile_text

    text = "version: 1.0\nregistry:\n  report_templates:\n    short: {source: provenance}\nanalysis:\n"
    text += "  stages:\n    - {id: S, op: hep.selection.cutflow, params: {selection: {a: ['x > 1']}}}\n"
    found = [d for d in compile_text(text, "/work/wf.flow.yaml").diagnostics if d.code.id == "FF110"]
    assert [(d.span.start.line, d.span.start.col) for d in found] == [(3, 12)]  # once, from the schema
    assert "'path'" in found[0].message
