"""``reports:`` entries with ``op: hep.report.template``: the provenance report of a run, in Markdown or HTML.

Upstream renders its provenance context (run, software, environment, stages, operations) through a template;
ours fills the same sections from the run record (``run.json``, already complete when reports are written):
the run and its workflow, the software versions, the environment, the inputs read (with their checksums),
each stage's events in and out per dataset, and every output the run wrote. The report is written inside the
output folder at the entry's ``path`` (checked relative at compile time), after every other output.

A report with its own ``template`` (its text is in the plan, parsed and checked by ``compiler/reports.py``) is
rendered by ``expressions.text_templates`` over ``provenance_context``: upstream's context keys, filled from the
run record. Its Markdown is the ``md`` output; the ``html`` output is that Markdown converted (markdown-it, with
tables), as upstream converts its own.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
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


_KINDS = {"hists": "histogram", "cutflows": "cutflow", "files": "file", "plots": "plot", "tables": "table"}


def _artifact_kind(path: str) -> str:
    parts = PurePosixPath(path).parts
    for part in parts[:-1]:
        if part in _KINDS:
            return _KINDS[part]
    return "record" if path == "run.json" else "artifact"


def _written_files(record: Mapping[str, Any], root: Path | None) -> list[dict[str, Any]]:
    """Upstream's `artifacts`: the event files writers wrote, each with its writer's kind and node, read from
    the writers' manifests (``artifacts/files/<name>/manifest.json``) among the run's outputs."""
    if root is None:
        return []
    files: list[dict[str, Any]] = []
    for output in record.get("outputs") or []:
        rel = str(output.get("path", ""))
        if not (rel.startswith("artifacts/files/") and rel.endswith("/manifest.json")):
            continue
        try:
            manifest = json.loads((root / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a manifest of ours: its files are still among `outputs`
        if not isinstance(manifest, dict):
            continue
        for dataset in (manifest.get("datasets") or {}).values():
            for item in (dataset or {}).get("files") or []:
                files.append(
                    {
                        "path": str(item.get("path", "")),
                        "kind": str(manifest.get("kind") or "artifact"),
                        "node_id": str(manifest.get("node_id") or ""),
                        "record": rel,
                        "size": item.get("size_bytes"),
                    }
                )
    return files


def provenance_context(record: Mapping[str, Any], root: Path | None = None) -> dict[str, Any]:
    """The context a `provenance` template renders: upstream's keys (``compiler.reports.PROVENANCE`` is its
    shape), filled from ours' run record and, for `artifacts` (the event files written), the writers'
    manifests under ``root``; `outputs` lists every file the run wrote. Ours records no resource eras or
    per-operation symbol lists: those lists are empty."""
    env = dict(record.get("environment") or {})
    packages = env.pop("packages", None) or {}
    stages: dict[str, dict[str, Any]] = {}
    for row in record.get("stages") or []:
        node = str(row.get("node", ""))
        if not node.startswith("stage."):
            continue  # reads and writes are not stages (upstream lists `stage.*` nodes only)
        stage = stages.setdefault(
            node, {"node_id": node, "datasets": [], "partitions": [], "outputs": [], "events": []}
        )
        dataset = row.get("dataset")
        if dataset is not None and dataset not in stage["datasets"]:
            stage["datasets"].append(dataset)
        stage["events"].append(
            {"dataset": dataset, "events_in": row.get("events_in"), "events_out": row.get("events_out")}
        )
    datasets = list(dict.fromkeys(d for s in stages.values() for d in s["datasets"]))
    return {
        "source": "provenance",
        "run": {
            "id": record.get("run_id"),
            "workflow": {
                "path": record.get("workflow"),
                "graph": None,
                "plan": None,
                "plan_hash": record.get("plan_hash"),
            },
            "summary": {
                "summary_path": "run.json",
                "status": record.get("status"),
                "started": record.get("started"),
                "finished": record.get("finished"),
                "events": record.get("events"),
                "partitions": record.get("partitions"),
            },
            "datasets": datasets,
        },
        "resources": [],
        "executed_stages": list(stages.values()),
        "executions": [],
        "operations": [],
        "artifacts": _written_files(record, root),
        "outputs": [
            {
                "path": str(o.get("path", "")),
                "kind": _artifact_kind(str(o.get("path", ""))),
                "size": o.get("size"),
            }
            for o in record.get("outputs") or []
        ],
        "inputs": [
            {"path": i.get("path"), "size": i.get("size"), "sha256": i.get("sha256")}
            for i in record.get("inputs") or []
        ],
        "environment": env,
        "software_versions": {k: v for k, v in packages.items() if v is not None},
        "warnings": [],
    }


def markdown_html(markdown: str) -> str:
    """A Markdown report as a standalone HTML page (CommonMark plus tables; raw HTML in it is escaped)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Report</title></head><body>\n'
        f"{body}</body></html>\n"
    )


def _texts(record: Mapping[str, Any], report: Mapping[str, Any], root: Path) -> tuple[str, Callable[[], str]]:
    """(Markdown, a function making the HTML) of one report."""
    source = report.get("template_text")
    if not isinstance(source, str):
        return provenance_markdown(record), lambda: provenance_html(record)
    from fasthep_flow.expressions.text_templates import parse_template

    markdown = parse_template(source).render(provenance_context(record, root)).rstrip() + "\n"
    return markdown, lambda: markdown_html(markdown)


def write_reports(record: Mapping[str, Any], reports: Sequence[Mapping[str, Any]], root: Path) -> list[Path]:
    """Every output of every report under ``root`` (the run's output folder); the paths written, in order."""
    written: list[Path] = []
    for report in reports:
        markdown, make_html = _texts(record, report, root)
        for output in report.get("outputs") or []:
            fmt = FORMATS.get(str(output.get("format", "markdown")).lower(), "markdown")
            path = root / str(output["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)  # never write through a link into another run's outputs
            path.write_text(make_html() if fmt == "html" else markdown, encoding="utf-8")
            written.append(path)
    return written


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: Any) -> list[Path]:
    """Never reached: `check` refuses `hep.report.template` as a render (FF121); a report is a `reports:` entry."""
    from fasthep_flow.document.codes import WRONG_OP_KIND
    from fasthep_flow.ops.failures import OpError

    raise OpError(WRONG_OP_KIND, "'hep.report.template' writes `reports:` entries, not renders")
