"""``hep.render.schema_validation``: schema comparisons as a Markdown or HTML report.

One model (title, note, one block per comparison: counts, ratios, field lists) is built from the comparisons,
then written in each requested format; the figures are upstream's (the same counts and ratios, the same lists),
the layout is ours.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import OUTPUT_PATH, STAGE_FAILED
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError

TITLE = "Schema validation"
FORMATS = {"markdown": "markdown", "md": "markdown", "html": "html"}


def ratio(numerator: int, denominator: int) -> str:
    """``12.5%`` (one decimal), or ``n/a`` over nothing."""
    return f"{numerator / denominator:.1%}" if denominator > 0 else "n/a"


def _count(summary: Mapping[str, Any], key: str, fallback: int) -> int:
    value = summary.get(key)
    return fallback if value is None else int(value)


def comparison_block(name: str, comparison: Mapping[str, Any], labels: Mapping[str, Any]) -> dict[str, Any]:
    """What the report shows of one comparison."""
    if comparison.get("kind") != "schema_comparison":
        raise OpError(
            STAGE_FAILED,
            f"input '{name}' is not a schema comparison",
            "bind `curator.compare_schemas` stages to the report",
        )
    summary = comparison.get("summary") or {}
    common = list(comparison.get("common_fields") or [])
    compatible = list(comparison.get("compatible_fields") or [])
    only_ref = [str(f) for f in comparison.get("only_in_reference") or []]
    only_tgt = [str(f) for f in comparison.get("only_in_target") or []]
    counts = {
        "reference": _count(summary, "reference_fields", 0),
        "target": _count(summary, "target_fields", 0),
        "common": _count(summary, "common_fields", len(common)),
        "compatible": _count(summary, "compatible_fields", len(compatible)),
        "only_in_reference": _count(summary, "only_in_reference", len(only_ref)),
        "only_in_target": _count(summary, "only_in_target", len(only_tgt)),
    }
    counts["incompatible"] = max(counts["common"] - counts["compatible"], 0)
    incompatible: dict[str, dict[str, str]] = {}
    for kind in ("type", "shape"):
        for item in comparison.get(f"{kind}_mismatches") or []:
            field = str(item.get("field") or "")
            if field:
                entry = incompatible.setdefault(field, {"field": field})
                entry[f"reference_{kind}"] = str(item.get("reference", ""))
                entry[f"target_{kind}"] = str(item.get("target", ""))
    return {
        "id": name,
        "label": str(labels.get("label") or name),
        "name": str(labels.get("name") or name),
        "reference": str(comparison.get("reference") or ""),
        "target": str(comparison.get("target") or ""),
        "reference_label": str(labels.get("reference_label") or "Legacy"),
        "target_label": str(labels.get("target_label") or "FAST-HEP"),
        "counts": counts,
        "ratios": {
            "common_over_reference": ratio(counts["common"], counts["reference"]),
            "compatible_over_common": ratio(counts["compatible"], counts["common"]),
        },
        "only_in_reference": only_ref,
        "only_in_target": only_tgt,
        "incompatible_fields": [incompatible[f] for f in sorted(incompatible)],
    }


def _sections(block: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of one comparison, in the order shown."""
    c, r = block["counts"], block["ratios"]
    tgt = block["target_label"]
    counts = [
        ["Reference fields", str(c["reference"])],
        ["Target fields", str(c["target"])],
        ["Common fields", str(c["common"])],
        ["Compatible fields", str(c["compatible"])],
        ["Incompatible common fields", str(c["incompatible"])],
        [f"Missing from {tgt}", str(c["only_in_reference"])],
        [f"Additional in {tgt}", str(c["only_in_target"])],
        ["Common / reference", r["common_over_reference"]],
        ["Compatible / common", r["compatible_over_common"]],
    ]
    incompatible = [
        [
            f["field"],
            f.get("reference_type", ""),
            f.get("target_type", ""),
            f.get("reference_shape", ""),
            f.get("target_shape", ""),
        ]
        for f in block["incompatible_fields"]
    ]
    return [
        ("Counts", ["Metric", "Value"], counts),
        (f"Missing from {tgt}", ["Field"], [[f] for f in block["only_in_reference"]]),
        (f"Additional in {tgt}", ["Field"], [[f] for f in block["only_in_target"]]),
        (
            "Incompatible fields",
            ["Field", "Reference type", "Target type", "Reference shape", "Target shape"],
            incompatible,
        ),
    ]


def _overview(blocks: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = [
        "Comparison",
        "Reference",
        "Target",
        "Common",
        "Compatible",
        "Incompatible",
        "Missing",
        "Additional",
    ]
    rows = [
        [
            b["label"],
            f"{b['reference_label']} ({b['reference']})",
            f"{b['target_label']} ({b['target']})",
            str(b["counts"]["common"]),
            str(b["counts"]["compatible"]),
            str(b["counts"]["incompatible"]),
            str(b["counts"]["only_in_reference"]),
            str(b["counts"]["only_in_target"]),
        ]
        for b in blocks
    ]
    return header, rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return [*lines, *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows), ""]


def markdown(note: str, blocks: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"# {TITLE}", ""]
    if note:
        lines += [note, ""]
    lines += ["## Overview", "", *_md_table(*_overview(blocks))]
    for b in blocks:
        lines += [f"## {b['label']}", ""]
        lines += [
            f"- Reference: {b['reference_label']} (`{b['reference']}`)",
            f"- Target: {b['target_label']} (`{b['target']}`)",
            "",
        ]
        for title, header, rows in _sections(b):
            lines += [f"### {title}", "", *_md_table(header, rows)]
    return "\n".join(lines).rstrip() + "\n"


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def html_page(note: str, blocks: Sequence[Mapping[str, Any]]) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title></head><body>',
        f"<h1>{TITLE}</h1>",
    ]
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    parts += ["<h2>Overview</h2>", _html_table(*_overview(blocks))]
    for b in blocks:
        parts.append(f"<h2>{html.escape(b['label'])}</h2>")
        parts.append(
            f"<ul><li>Reference: {html.escape(b['reference_label'])} (<code>{html.escape(b['reference'])}</code>)"
            f"</li><li>Target: {html.escape(b['target_label'])} (<code>{html.escape(b['target'])}</code>)</li></ul>"
        )
        for title, header, rows in _sections(b):
            parts += [f"<h3>{html.escape(title)}</h3>", _html_table(header, rows)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: RunContext) -> dict[str, Any]:
    spec = params.get("spec") if isinstance(params.get("spec"), Mapping) else {}
    outputs = list(params.get("outputs") or spec.get("outputs") or [])
    labels = dict(spec.get("comparisons") or {}) | dict(params.get("comparisons") or {})
    note = str(params.get("note") or spec.get("note") or "")
    if not outputs:
        raise OpError(STAGE_FAILED, "the report is written nowhere", "give `outputs: [{path, format}]`")
    blocks = [comparison_block(name, c, labels.get(name) or {}) for name, c in inputs.items()]
    root = ctx.outdir.resolve()
    written: list[str] = []
    for output in outputs:
        target = (root / str(output["path"])).resolve()
        if not target.is_relative_to(root):
            raise OpError(
                OUTPUT_PATH,
                f"output path '{output['path']}' leaves the output folder",
                "give a relative path",
            )
        fmt = FORMATS.get(str(output.get("format", "markdown")).lower(), "markdown")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # never write through a link into another run's outputs
        target.write_text(
            html_page(note, blocks) if fmt == "html" else markdown(note, blocks), encoding="utf-8"
        )
        written.append(Path(target).relative_to(root).as_posix())
    return {"report": {"title": TITLE, "note": note, "comparisons": blocks, "files": written}}
