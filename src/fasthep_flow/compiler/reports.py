"""`reports:`: documents written after the run (upstream's provenance report, LANGUAGE.md §15).

Each entry is `{id, op: hep.report.template, source: provenance, template?, outputs: [{path, format}]}` (a list,
or a mapping of id → entry). Only what this version writes is accepted without a word: the `provenance` source,
with the built-in report (`hep.provenance.default`, or no `template`) or a template file of the user's (a path
relative to the workflow's folder, as upstream reads it); `path` is relative to the output folder (FF307
otherwise) and `format` is `markdown`/`md`/`html`. Anything else is an error here, so that a clean check never
meets a report the run cannot write.

A template file is read and parsed here (``expressions.text_templates``: a safe subset of Jinja, never run as
code) and its names are checked against the shape of the source's context (``PROVENANCE``, what
``ops/render/report_template_impl.provenance_context`` builds); its text goes into the plan, so the plan's hash
changes with it and the run reads no file of the user's but its inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fasthep_flow.compiler.attachments import check_output_path
from fasthep_flow.compiler.context import Context
from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python
from fasthep_flow.expressions.text_templates import (
    ANY,
    SCALAR,
    Shape,
    TemplateError,
    check_names,
    list_of,
    mapping,
    parse_template,
)

REPORT_OP = "hep.report.template"
REPORT_NOT_A_RENDER = "'hep.report.template' writes `reports:` entries after the run; it is not a render"
SOURCES = ("provenance",)
BUILTIN_TEMPLATE = "hep.provenance.default"
MAX_TEMPLATE_BYTES = 1024 * 1024
_OPERATION = mapping(
    execution_id=SCALAR,
    node_id=SCALAR,
    impl=SCALAR,
    role=SCALAR,
    dataset=SCALAR,
    partition=SCALAR,
    inputs=mapping(symbols=list_of(SCALAR), resources=list_of(SCALAR)),
    outputs=mapping(symbols=list_of(SCALAR)),
)
PROVENANCE: Shape = mapping(
    source=SCALAR,
    run=mapping(
        id=SCALAR,
        workflow=mapping(path=SCALAR, graph=SCALAR, plan=SCALAR, plan_hash=SCALAR),
        summary=ANY,
        datasets=list_of(SCALAR),
    ),
    resources=list_of(
        mapping(
            id=SCALAR,
            kind=SCALAR,
            requested_era=SCALAR,
            selected_era=SCALAR,
            path=SCALAR,
            correction=SCALAR,
            fallback=SCALAR,
            reason=SCALAR,
        )
    ),
    executed_stages=list_of(
        mapping(
            node_id=SCALAR,
            datasets=list_of(SCALAR),
            partitions=list_of(SCALAR),
            outputs=list_of(mapping(port=SCALAR, type=SCALAR)),
            events=list_of(mapping(dataset=SCALAR, events_in=SCALAR, events_out=SCALAR)),
        )
    ),
    executions=list_of(
        mapping(
            id=SCALAR,
            node_id=SCALAR,
            impl=SCALAR,
            role=SCALAR,
            dataset=SCALAR,
            partition=SCALAR,
            operations=list_of(_OPERATION),
        )
    ),
    operations=list_of(_OPERATION),
    artifacts=list_of(mapping(path=SCALAR, kind=SCALAR, node_id=SCALAR, record=SCALAR, size=SCALAR)),
    outputs=list_of(mapping(path=SCALAR, kind=SCALAR, size=SCALAR)),
    inputs=list_of(mapping(path=SCALAR, size=SCALAR, sha256=SCALAR)),
    environment=ANY,
    software_versions=ANY,
    warnings=list_of(mapping(level=SCALAR, code=SCALAR, message=SCALAR, resource=ANY)),
)
"""What a template of the `provenance` source can name: upstream's context (run, resources, executed stages,
executions and operations, artifacts — the event files written —, environment, software versions, warnings) plus
ours' `inputs`, `outputs` (every file the run wrote) and each stage's `events`. Lists ours does not record (resources, executions, operations) are empty."""
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
        template, template_text = _template(ctx, entry.get("template"), source)
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
            report = {"id": str(ident or f"report{n}"), "op": op, "source": source, "outputs": outputs}
            if template_text is not None:
                report |= {"template": template, "template_text": template_text}
            out.append(report)
    return out


def _template(ctx: Context, node: Node | None, source: str | None) -> tuple[str | None, str | None]:
    """(template name, its text) — the text is None for the built-in report; the name is None on a problem.

    A name registered under `registry.report_templates` is that entry's file (upstream looks there first);
    any other name is a file relative to the workflow's folder."""
    if node is None:
        return BUILTIN_TEMPLATE, None
    if not isinstance(node, ScalarNode) or not node.is_string or not node.text.strip():
        ctx.report(codes.PARAM_TYPE, node, "report `template` must be a template name or a file path")
        return None, None
    name = node.text.strip()
    if name == BUILTIN_TEMPLATE:
        return name, None
    registered = ctx.registry.report_templates.get(name)
    path = Path(name) if ctx.workflow_dir is None else ctx.workflow_dir / name
    if registered is not None:
        path = Path(registered.path)
        if not path.is_absolute() and registered.base is not None:
            path = registered.base / path

    def problem(text: str, hint: str | None = None) -> tuple[None, None]:
        where = f" (registered as '{registered.path}')" if registered is not None else ""
        ctx.report(codes.REPORT_TEMPLATE, node, f"report template '{name}'{where}: {text}", hint=hint)
        return None, None

    if registered is not None and registered.source not in (None, source) and source is not None:
        return problem(f"it is registered for source '{registered.source}', not '{source}'")

    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            return problem(f"the file is larger than {MAX_TEMPLATE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return problem(
            "no such file",
            f"a template is a file beside the workflow, a name under `registry.report_templates`, or "
            f"`{BUILTIN_TEMPLATE}` (the built-in report)",
        )
    except (OSError, UnicodeDecodeError) as exc:
        return problem(f"cannot read it ({exc})")
    try:
        parsed = parse_template(text)
    except TemplateError as exc:
        return problem(
            str(exc), "templates are a safe subset of Jinja: {{ value }}, {% for %}, {% if %}, filters"
        )
    found = check_names(parsed, PROVENANCE)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return problem(
            f"{found[0]}{more}", "the `provenance` context has: " + ", ".join(k for k, _ in PROVENANCE.keys)
        )
    return name, text
