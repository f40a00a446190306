"""The provenance report of `reports:` entries: every section from a run record, escaped for Markdown/HTML;
the context a template of the user's renders, and such a template's report."""

from __future__ import annotations

import json
from pathlib import Path

from fasthep_flow.compiler.reports import PROVENANCE
from fasthep_flow.expressions.text_templates import ANY, Shape
from fasthep_flow.ops.render.report_template_impl import (
    provenance_context,
    provenance_html,
    provenance_markdown,
    write_reports,
)

RECORD = {
    "run_id": "20261202T000000-abcd",
    "workflow": "wf.yaml",
    "plan_hash": "0123456789abcdef",
    "status": "ok",
    "events": 2421,
    "environment": {"python": "3.11.7", "packages": {"fasthep-flow": "0.1.0", "pyarrow": None}},
    "inputs": [{"path": "/data/uproot-HZZ.root", "size": 217945, "sha256": "baa8"}],
    "stages": [{"node": "stage.Sel", "dataset": "zz", "events_in": 2421, "events_out": 1413}],
    "outputs": [{"path": "cutflows/Sel.json", "size": 10}, {"path": "a|b <c>.root", "size": 3}],
}


def test_markdown_has_every_section_and_escapes_pipes() -> None:
    text = provenance_markdown(RECORD)
    assert text.startswith("# Provenance Report\n")
    for title in (
        "## Run",
        "## Software versions",
        "## Environment",
        "## Inputs",
        "## Executed stages",
        "## Outputs",
    ):
        assert title in text
    assert "| Run ID | 20261202T000000-abcd |" in text
    assert "| stage.Sel | zz | 2421 | 1413 |" in text
    assert "| pyarrow | not installed |" in text
    assert "| a\\|b <c>.root | 3 |" in text  # a pipe in a path does not break the table


def test_html_escapes_and_empty_sections_say_so() -> None:
    text = provenance_html(RECORD)
    assert "<td>a|b &lt;c&gt;.root</td>" in text and "<c>" not in text
    empty = provenance_markdown({"run_id": "x"})
    assert empty.count("| none recorded |") == 4  # versions, inputs, stages, outputs


def test_write_reports_places_each_output_in_the_folder(tmp_path: Path) -> None:
    reports = [
        {
            "id": "prov",
            "outputs": [{"path": "prov/p.md", "format": "md"}, {"path": "p.html", "format": "html"}],
        }
    ]
    written = write_reports(RECORD, reports, tmp_path)
    assert written == [tmp_path / "prov" / "p.md", tmp_path / "p.html"]
    assert written[0].read_text().startswith("# Provenance Report")
    assert written[1].read_text().startswith("<!DOCTYPE html>")


def _conforms(value: object, shape: Shape, where: str = "context") -> list[str]:
    """Where ``value`` has keys its shape does not declare, or lacks keys it declares."""
    if shape.kind == "map":
        assert isinstance(value, dict), where
        declared = {k for k, _ in shape.keys}
        problems = [f"{where}: {sorted(set(value) ^ declared)}"] if set(value) != declared else []
        for key, sub in shape.keys:
            if key in value:
                problems += _conforms(value[key], sub, f"{where}.{key}")
        return problems
    if shape.kind == "list":
        assert isinstance(value, list), where
        return [p for item in value for p in _conforms(item, shape.item or ANY, f"{where}[]")]
    return []


def test_provenance_context_has_exactly_the_shape_check_knows(tmp_path: Path) -> None:
    """``check`` judges a template's names by ``PROVENANCE``; the run fills ``provenance_context``: they agree.
    `artifacts` are the event files writers wrote (from their manifests), as upstream's."""
    manifest = {
        "kind": "root_tree",
        "node_id": "write.Sel.0",
        "datasets": {"zz": {"files": [{"path": "artifacts/files/sel/zz/0_0.root", "size_bytes": 2801}]}},
    }
    (tmp_path / "artifacts" / "files" / "sel").mkdir(parents=True)
    (tmp_path / "artifacts" / "files" / "sel" / "manifest.json").write_text(json.dumps(manifest))
    record = {
        **RECORD,
        "stages": [*RECORD["stages"], {"node": "read.events", "dataset": "zz"}],
        "outputs": [*RECORD["outputs"], {"path": "artifacts/files/sel/manifest.json", "size": 9}],
    }
    context = provenance_context(record, tmp_path)
    assert _conforms(context, PROVENANCE) == []
    assert [s["node_id"] for s in context["executed_stages"]] == ["stage.Sel"]  # reads are not stages
    assert context["executed_stages"][0]["events"] == [
        {"dataset": "zz", "events_in": 2421, "events_out": 1413}
    ]
    assert context["software_versions"] == {"fasthep-flow": "0.1.0"}  # not installed: not listed
    assert context["artifacts"] == [
        {
            "path": "artifacts/files/sel/zz/0_0.root",
            "kind": "root_tree",
            "node_id": "write.Sel.0",
            "record": "artifacts/files/sel/manifest.json",
            "size": 2801,
        }
    ]
    assert [o["kind"] for o in context["outputs"]] == ["cutflow", "artifact", "file"]
    assert provenance_context(record)["artifacts"] == []  # without the output folder: no manifest to read


def test_a_template_report_in_markdown_and_html(tmp_path: Path) -> None:
    template = (
        "# {{ source | title }} of {{ run.id }}\n\n| Stage | In | Out |\n|---|---|---|\n"
        "{% for s in executed_stages %}{% for e in s.events %}| {{ s.node_id }} | {{ e.events_in }} | "
        "{{ e.events_out }} |\n{% endfor %}{% endfor %}\n<b>{{ inputs[0].path }}</b>\n\n\n"
    )
    reports = [
        {
            "id": "mine",
            "template": "mine.md.j2",
            "template_text": template,
            "outputs": [{"path": "r/m.md", "format": "md"}, {"path": "r/m.html", "format": "html"}],
        }
    ]
    md, page = write_reports(RECORD, reports, tmp_path)
    assert md.read_text() == (
        "# Provenance of 20261202T000000-abcd\n\n| Stage | In | Out |\n|---|---|---|\n"
        "| stage.Sel | 2421 | 1413 |\n\n<b>/data/uproot-HZZ.root</b>\n"
    )
    html_text = page.read_text()
    assert "<td>stage.Sel</td>\n<td>2421</td>" in html_text  # the Markdown table became an HTML table
    assert "&lt;b&gt;/data/uproot-HZZ.root&lt;/b&gt;" in html_text  # raw HTML in the template is escaped
