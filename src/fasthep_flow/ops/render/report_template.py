"""`hep.report.template`: the op of `reports:` entries (LANGUAGE.md §15) — a report written after the run.

Registered with the render ops, as upstream registers it with its sinks, so that its params are in the schema,
completion, hover and the generated reference. It writes nothing as a style's op or a render stage: upstream
fails there (its report context exists only for `reports:`), and ours' `check` says so (FF121) instead of
skipping it. The params are those of a `reports:` entry; ``compiler/reports.py`` checks the entries.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import ListOf, OpKind, OpSpec, Param, Port, Str, Struct

NAME = "hep.report.template"

_OUTPUT = Struct(
    (
        Param("path", Str, required=True, doc="File written, relative to the output folder."),
        Param("format", Str, required=True, allowed=("markdown", "md", "html"), doc="Output format."),
    ),
    name="{path, format}",
)

SPEC = OpSpec(
    NAME,
    OpKind.RENDER,
    doc="The op of `reports:` entries: the run's provenance report (run, software, environment, inputs, "
    "stages, outputs) written after the run to each `outputs` path as Markdown or HTML — the built-in report, "
    "or a template file of yours (a safe subset of Jinja, checked against the report's context). Not a "
    "style's op: used in a render it is FF121.",
    params=(
        Param("source", Str, doc="What the report describes (`provenance`)."),
        Param(
            "template",
            Str,
            doc="`hep.provenance.default` (the built-in report) or a template file relative to the workflow.",
        ),
        Param("outputs", ListOf(_OUTPUT), doc="Files written: `[{path, format}]`."),
    ),
    inputs=(Port("products", "table"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.render.report_template_impl:render",
    plugin="render",
)
