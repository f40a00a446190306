"""`reports:`: documents written after the run (upstream's provenance report, LANGUAGE.md §15).

Each entry is `{id, op: hep.report.template, source: provenance, template?, outputs: [{path, format}]}` (a list,
or a mapping of id → entry). Only what this version writes is accepted without a word: the `provenance` source
with the default template; `path` is relative to the output folder (FF108 otherwise) and `format` is
`markdown`/`md`/`html`. Anything else is an error here, so that a clean check never meets a report the run
cannot write.
"""

from __future__ import annotations

from typing import Any

from fasthep_flow.compiler.attachments import check_output_path
from fasthep_flow.compiler.context import Context
from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python

REPORT_OP = "hep.report.template"
SOURCES = ("provenance",)
TEMPLATES = ("hep.provenance.default",)
FORMATS = ("markdown", "md", "html")
KEYS = ("id", "op", "source", "template", "outputs", "description")


def _entries(node: Node | None) -> list[tuple[str | None, MapNode]]:
    if isinstance(node, SeqNode):
        return [(None, item) for item in node.items if isinstance(item, MapNode)]
    if isinstance(node, MapNode):
        return [(e.key.text, e.value) for e in node.entries if isinstance(e.value, MapNode)]
    return []


def _one_of(
    ctx: Context, entry: MapNode, key: str, allowed: tuple[str, ...], default: str | None
) -> str | None:
    node = entry.get(key)
    if node is None:
        return default
    text = node.text if isinstance(node, ScalarNode) else None
    if text not in allowed:
        ctx.report(
            codes.PARAM_VALUE,
            node,
            f"report `{key}` has value {text!r}, which is not allowed",
            hint="this version writes: " + ", ".join(allowed),
        )
        return None
    return text


def collect_reports(ctx: Context) -> list[dict[str, Any]]:
    """The `reports:` entries the run writes, as plain data; problems are reported on their nodes."""
    out: list[dict[str, Any]] = []
    for n, (key, entry) in enumerate(_entries(ctx.root.get("reports"))):
        for item in entry.entries:
            if item.key.text not in KEYS:
                ctx.report(
                    codes.UNKNOWN_KEY,
                    item.key,
                    f"unknown key '{item.key.text}' in a report",
                    hint="a report has: " + ", ".join(KEYS),
                )
        op = _one_of(ctx, entry, "op", (REPORT_OP,), REPORT_OP)
        source = _one_of(ctx, entry, "source", SOURCES, None)
        if entry.get("source") is None:
            ctx.report(codes.MISSING_KEY, entry, "a report is missing required key 'source'")
        template = _one_of(ctx, entry, "template", TEMPLATES, TEMPLATES[0])
        outputs = []
        outputs_node = entry.get("outputs")
        items = outputs_node.items if isinstance(outputs_node, SeqNode) else []
        if not items:
            ctx.report(
                codes.MISSING_KEY, outputs_node or entry, "a report needs one of: outputs: [{path, format}]"
            )
        for item in items:
            if not isinstance(item, MapNode) or not isinstance(item.get("path"), ScalarNode):
                ctx.report(codes.MISSING_KEY, item, "a report output is missing required key 'path'")
                continue
            check_output_path(ctx, item.get("path"))
            fmt = _one_of(ctx, item, "format", FORMATS, "markdown")
            outputs.append({"path": str(to_python(item.get("path"))), "format": fmt or "markdown"})
        ident = to_python(entry.get("id")) if entry.get("id") is not None else key
        if op and source and template and outputs:
            out.append({"id": str(ident or f"report{n}"), "op": op, "source": source, "outputs": outputs})
    return out
