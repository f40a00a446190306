"""`hep.render.schema_validation` as a stage: a report (Markdown or HTML) of schema comparisons.

Upstream writes it as a render stage reading `curator.compare_schemas` stages,
`from: [{node: Compare, port: comparison, as: <comparison id>}, ...]`, with `params: {outputs: [{path, format}]}`
(and labels from `spec`/a style). Here it is a once-per-run stage (``OpSpec.once``) taking every comparison its
`from` entries bind; as a style's `op` on a histogram it still draws nothing (``pending.py``).
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import get, items
from fasthep_flow.registry.specs import (
    AnyType,
    ListOf,
    MapOf,
    OpKind,
    OpSpec,
    Param,
    ParamProblem,
    Port,
    Str,
    Struct,
)

OUTPUT = Struct(
    (
        Param("path", Str, required=True, doc="The file written, relative to the output folder."),
        Param(
            "format",
            Str,
            required=True,
            allowed=("markdown", "md", "html"),
            allowed_docs=("Markdown", "Markdown", "a standalone HTML page"),
            doc="The file's format.",
        ),
    ),
    name="{path, format}",
)

LABELS = Struct(
    (
        Param("label", Str, doc="The comparison's title (default: its `as` name)."),
        Param("name", Str, doc="The comparison's name (default: its `as` name)."),
        Param("reference_label", Str, default="Legacy", doc="What the reference is called in the report."),
        Param("target_label", Str, default="FAST-HEP", doc="What the target is called in the report."),
    ),
    name="{label?, name?, reference_label?, target_label?}",
)


def problems(params: MapNode) -> list[ParamProblem]:
    """Output paths stay inside the output folder; a report with nowhere to go is an error."""
    out: list[ParamProblem] = []
    outputs = list(items(get(params, "outputs")))
    spec = get(params, "spec")
    if (
        not outputs
        and get(params, "style") is None
        and not (isinstance(spec, MapNode) and spec.get("outputs"))
    ):
        out.append(
            ParamProblem(
                codes.PARAM_VALUE,
                params,
                "the report is written nowhere: give `outputs: [{path, format}]`",
                hint="e.g. `outputs: [{path: reports/schema_validation.md, format: markdown}]`",
            )
        )
    if isinstance(spec, MapNode):
        outputs += list(items(spec.get("outputs")))
    for item in outputs:
        path = item.get("path") if isinstance(item, MapNode) else None
        if not isinstance(path, ScalarNode) or not isinstance(path.value, str):
            continue
        posix, win = PurePosixPath(path.text), PureWindowsPath(path.text)
        if posix.is_absolute() or win.is_absolute() or path.text.startswith("~") or ".." in posix.parts:
            out.append(
                ParamProblem(
                    codes.OUTPUT_PATH,
                    path,
                    f"output path '{path.text}' is outside the output directory",
                    hint="give a path relative to the output directory, without '..'",
                )
            )
    template = get(params, "template")
    if isinstance(template, ScalarNode):
        out.append(
            ParamProblem(
                codes.NOT_SUPPORTED_YET,
                template,
                "`template` (an upstream Jinja template) is not used: the report has ours' fixed layout",
                hint="the report holds the same figures as upstream's default template",
                warning=True,
            )
        )
    return out


STAGE_SPEC = OpSpec(
    "hep.render.schema_validation",
    OpKind.TRANSFORM,
    doc="A report of schema comparisons: for each `curator.compare_schemas` stage bound by `from: [{node, "
    "as: <id>}]`, the field counts (reference, target, common, compatible, incompatible, missing, additional), "
    "the ratios common/reference and compatible/common, and the lists of missing, additional and incompatible "
    "fields, written once per run to each of `outputs` (Markdown or HTML).",
    params=(
        Param("outputs", ListOf(OUTPUT), doc="The files written."),
        Param("comparisons", MapOf(LABELS), doc="Labels per comparison (`as` name → labels)."),
        Param("note", Str, doc="A paragraph printed under the title."),
        Param(
            "style", Str, doc="A style of `styles:` whose keys (`comparisons`, `note`, `outputs`) apply too."
        ),
        Param(
            "spec", AnyType, doc="Upstream's spelling: `{outputs, comparisons, note}` given as one mapping."
        ),
        Param("template", Str, doc="Upstream's Jinja template: not used (FF140); the layout is fixed."),
    ),
    inputs=(Port("comparisons", "table"),),
    outputs=(Port("file", "file"),),
    problems=problems,
    impl="fasthep_flow.ops.render.schema_validation_impl:render",
    plugin="render",
    leads_stream=False,
    once=True,
    any_inputs=True,
)
