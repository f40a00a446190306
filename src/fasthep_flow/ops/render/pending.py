"""Render ops upstream registers that we accept but do not draw yet: schema_validation.

Their specs make workflows written for upstream check (every key still validated); `check` warns FF140 at the
style's `op` that the op draws nothing yet, and the run skips them (``pending_impl.render`` writes nothing), so a
clean check never turns into a failed run.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import AnyType, ListOf, MapOf, OpKind, OpSpec, Param, Port, Str

PENDING_IMPL = "fasthep_flow.ops.render.pending_impl:render"

HIST_PORT = Port("hist", "histogram")


def _pending(name: str, doc: str, *params: Param, port: Port = HIST_PORT) -> OpSpec:
    return OpSpec(
        name,
        OpKind.RENDER,
        doc=doc + " Accepted for upstream compatibility; not drawn yet (FF140).",
        params=params,
        inputs=(port,),
        outputs=(Port("file", "file"),),
        impl=PENDING_IMPL,
        plugin="render",
        pending=f"'{name}' is accepted but draws nothing yet",
    )


SCHEMA_VALIDATION = _pending(
    "hep.render.schema_validation",
    "A markdown report of schema comparison products; as a stage (`op: hep.render.schema_validation` with "
    "`from:` comparison stages) it writes the report, as a style's `op` on a histogram it has nothing to report.",
    Param("spec", AnyType, doc="The report spec."),
    Param("outputs", ListOf(AnyType), doc="Files written."),
    Param("reference_label", Str, doc="Label of the reference schema."),
    Param("target_label", Str, doc="Label of the compared schema."),
    Param("note", Str, doc="A note printed at the top of the report."),
    Param("comparisons", MapOf(AnyType), doc="Labels per comparison (as a stage: `as` name → labels)."),
    Param("template", Str, doc="Upstream's Jinja template (not used)."),
    port=Port("schema", "table"),
)
SPECS = (SCHEMA_VALIDATION,)
