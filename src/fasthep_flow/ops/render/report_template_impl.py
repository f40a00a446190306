"""``reports:`` entries with ``op: hep.report.template``: the provenance report of a run, in Markdown or HTML.

Upstream renders its provenance context (run, software, environment, stages, operations) through a template;
ours fills the same sections from the run record (``run.json``, already complete when reports are written):
the run and its workflow, the software versions, the environment, the inputs read (with their checksums),
each stage's events in and out per dataset, and every output the run wrote. The report is written inside the
output folder at the entry's ``path`` (checked relative at compile time), after every other output.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

FORMATS = {"markdown": "markdown", "md": "markdown", "html": "html"}


def _rows(record: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(section title, table header, rows) in the order the report shows them."""
    env = record.get("environment") or {}
    run = [
        ["Run ID", str(record.get("run_id", ""))],
        ["Workflow", str(record.get("workflow") or "")],
        ["Plan hash", str(record.get("plan_hash", ""))],
        ["Status", str(record.get("status", ""))],
        ["Started", str(record.get("started", ""))],
        ["Finished", str(record.get("finished", ""))],
        ["Events", str(record.get("events", ""))],
        ["Partitions", str(record.get("partitions", ""))],
    ]
    packages = [
        [name, str(version or "not installed")] for name, version in (env.get("packages") or {}).items()
    ]
    environment = [[k, str(env.get(k, ""))] for k in ("python", "implementation", "platform", "machine")]
    inputs = [
        [str(i.get("path", "")), str(i.get("size", "")), str(i.get("sha256") or i.get("uuid") or "")]
        for i in record.get("inputs") or []
    ]
    stages = [
        [
            str(s.get("node", "")),
            str(s.get("dataset", "")),
            str(s.get("events_in", "")),
            str(s.get("events_out", "")),
        ]
        for s in record.get("stages") or []
    ]
    outputs = [[str(o.get("path", "")), str(o.get("size", ""))] for o in record.get("outputs") or []]
    return [
        ("Run", ["Field", "Value"], run),
        ("Software versions", ["Package", "Version"], packages),
        ("Environment", ["Field", "Value"], environment),
        ("Inputs", ["File", "Bytes", "Identity"], inputs),
        ("Executed stages", ["Stage", "Dataset", "Events in", "Events out"], stages),
        ("Outputs", ["Path", "Bytes"], outputs),
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def provenance_markdown(record: Mapping[str, Any]) -> str:
    lines = ["# Provenance Report", ""]
    for title, header, rows in _rows(record):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows] or [
            "| none recorded |" + " |" * (len(header) - 1)
        ]
        lines.append("")
    return "\n".join(lines)


def provenance_html(record: Mapping[str, Any]) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>Provenance Report</title></head><body>',
    ]
    parts.append("<h1>Provenance Report</h1>")
    for title, header, rows in _rows(record):
        parts.append(f"<h2>{html.escape(title)}</h2><table>")
        parts.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_reports(record: Mapping[str, Any], reports: Sequence[Mapping[str, Any]], root: Path) -> list[Path]:
    """Every output of every report under ``root`` (the run's output folder); the paths written, in order."""
    written: list[Path] = []
    for report in reports:
        for output in report.get("outputs") or []:
            fmt = FORMATS.get(str(output.get("format", "markdown")).lower(), "markdown")
            path = root / str(output["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)  # never write through a link into another run's outputs
            text = provenance_html(record) if fmt == "html" else provenance_markdown(record)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
