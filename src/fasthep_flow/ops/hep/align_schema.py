"""`hep.align_schema`: a stream of a schema's fields (renamed, cast), plus the extra fields asked for."""

from __future__ import annotations

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    entries,
    get,
    implicit_scalar,
    items,
    name_scalar,
)
from fasthep_flow.registry.specs import (
    Choice,
    Const,
    Field,
    Int,
    ListOf,
    MapOf,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    ParamProblem,
    Port,
    Str,
    Struct,
)

DTYPES = (
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)

TARGET = Struct(
    (
        Param("source", Field, doc="Field of the stream (default: the target's own name)."),
        Param("dtype", Choice(DTYPES), doc="Cast the values to this type."),
    ),
    name="{source?, dtype?}",
)

SCHEMA = Struct(
    (
        Param("version", Int, default=1, doc="Schema format version (only 1)."),
        Param(
            "fields",
            MapOf(OneOf(TARGET, Const(None))),
            required=True,
            doc="Target field → `{source, dtype}` or null.",
        ),
    ),
    name="{version?, fields}",
)


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads each target's source (the target's own name when no source is given) and `keep`; defines targets."""
    uses: list[ExprUse] = []
    defines: list[FieldDef] = []
    for key, value in entries(get(get(params, "schema"), "fields")):
        if not key.text:
            continue
        source = name_scalar(get(value, "source"))
        if source is not None:
            uses.append(ExprUse(source, "field"))
            if source.text != key.text:
                defines.append(FieldDef(key.text, key, doc=f"`{source.text}`, aligned by stage `{stage_id}`"))
        else:
            uses.append(ExprUse(implicit_scalar(key.text, key), "field", implicit=True))
    for node in items(get(params, "keep")):
        name = name_scalar(node)
        if isinstance(name, ScalarNode) and not any(c in name.text for c in "*?["):
            uses.append(ExprUse(name, "field"))
    return [FlowStep(tuple(uses), tuple(defines))] if uses or defines else []


def problems(params: MapNode) -> list[ParamProblem]:
    """A schema given as a file must exist: the run reads it relative to the working directory, so `check`
    looks in the same place (a clean check is never followed by a missing-file failure at run time)."""
    from pathlib import Path

    schema = get(params, "schema")
    if isinstance(schema, MapNode):
        fields = get(schema, "fields")
        if not isinstance(fields, MapNode) or not fields.entries:
            return [
                ParamProblem(
                    codes.PARAM_VALUE,
                    fields if fields is not None else schema,
                    "the schema's `fields` must name at least one target field",
                    hint="fields: {target: null} keeps a field as it is; {target: {source, dtype}} renames/casts",
                )
            ]
        return []
    if isinstance(schema, ScalarNode) and schema.is_string and not Path(str(schema.value)).is_file():
        return [
            ParamProblem(
                codes.INPUT_UNREADABLE,
                schema,
                f"schema file '{schema.value}' does not exist (it is read relative to the working directory)",
                hint="give the schema inline as {version: 1, fields: {...}}, or the path of a YAML/JSON file",
            )
        ]
    return []


SPEC = OpSpec(
    "hep.align_schema",
    OpKind.TRANSFORM,
    doc="Make the stream follow a target schema: each target field taken from its `source` (cast to `dtype`), "
    "plus other fields per `keep`, `drop` and `extra`.",
    params=(
        Param(
            "schema",
            OneOf(SCHEMA, Str),
            required=True,
            doc="`{version: 1, fields: {target: null | {source, dtype}}}`, or the path of a YAML/JSON file holding "
            "it (relative to the current directory, read at run time).",
        ),
        Param(
            "missing",
            Str,
            default="error",
            allowed=("error", "ignore"),
            allowed_docs=("a source absent from the stream is an error", "skip that target"),
            doc="What a target whose source is absent gets.",
        ),
        Param(
            "extra",
            Str,
            default="keep",
            allowed=("keep", "drop"),
            allowed_docs=("other fields stay in the stream", "only the schema's fields (and `keep`) remain"),
            doc="What happens to the stream's other fields.",
        ),
        Param("keep", ListOf(Str), doc="Only these other fields remain (globs allowed); excludes `drop`."),
        Param("drop", ListOf(Str), doc="Other fields removed (globs allowed); excludes `keep`."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    problems=problems,
    impl="fasthep_flow.ops.hep.align_schema_impl:run",
    plugin="hep",
)
