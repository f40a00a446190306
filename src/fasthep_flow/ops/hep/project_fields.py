"""`hep.project_fields`: give fields new names (aliases), optionally dropping the rest."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, entries, get, name_scalar
from fasthep_flow.registry.specs import Bool, Field, MapOf, OpKind, OpSpec, Param, Port, Str


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    uses: list[ExprUse] = []
    defines: list[FieldDef] = []
    for key, value in entries(get(params, "aliases")):
        source = name_scalar(value)
        if source is not None:
            uses.append(ExprUse(source, "field"))
        if key.text:
            doc = (
                f"alias of `{source.text}` (stage `{stage_id}`)" if source else f"alias (stage `{stage_id}`)"
            )
            defines.append(FieldDef(key.text, key, expr=source, doc=doc))
    return [FlowStep(tuple(uses), tuple(defines))] if uses or defines else []


SPEC = OpSpec(
    "hep.project_fields",
    OpKind.TRANSFORM,
    doc="Add fields under new names (new name → existing field); with `include_existing: false` the "
    "stream keeps only the aliases.",
    params=(
        Param(
            "aliases",
            MapOf(Field),
            required=True,
            doc="New name → existing field; or the path of a YAML file holding that mapping.",
            from_file=True,
        ),
        Param("include_existing", Bool, default=True, doc="Keep the other fields of the stream too."),
        Param(
            "stream_id",
            Str,
            doc="The stream projected (upstream requires it; here the stage reads its usual input).",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.project_fields_impl:run",
    plugin="hep",
)
