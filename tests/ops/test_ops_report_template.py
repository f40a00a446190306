"""The provenance report of `reports:` entries: every section from a run record, escaped for Markdown/HTML."""

from __future__ import annotations

from pathlib import Path

from fasthep_flow.ops.render.report_template_impl import provenance_html, provenance_markdown, write_reports

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
