"""`hep.weights.lookup_csv` and `hep.weights.pdf_envelope`: per-event weights from a table or a weight list."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, entries, get, name_scalar, scalar
from fasthep_flow.registry.specs import Expr, MapOf, OpKind, OpSpec, Param, Port, Str, Struct


def _defines(params: MapNode | None, stage_id: str, what: str) -> tuple[FieldDef, ...]:
    return tuple(
        FieldDef(name.text, name, doc=f"{what} `{key.text}` (stage `{stage_id}`)")
        for key, value in entries(get(params, "outputs"))
        if (name := name_scalar(value)) is not None
    )


def lookup_flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    uses = [ExprUse(v, "expr")] if (v := scalar(get(params, "variable"))) is not None else []
    return [FlowStep(tuple(uses), _defines(params, stage_id, "weight looked up for"))]


def envelope_flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    uses = [ExprUse(v, "expr")] if (v := scalar(get(params, "inputs"))) is not None else []
    return [FlowStep(tuple(uses), _defines(params, stage_id, "PDF envelope"))]


BINS = Struct(
    (
        Param("lower", Str, doc="Column of each bin's lower edge (alias `min`)."),
        Param("upper", Str, doc="Column of each bin's upper edge (alias `max`)."),
        Param("min", Str, doc="Same as `lower`."),
        Param("max", Str, doc="Same as `upper`."),
        Param("column", Str, doc="Edges in `<column>_min` and `<column>_max`."),
    ),
    name="{lower, upper} | {min, max} | {column}",
)

LOOKUP_CSV = OpSpec(
    "hep.weights.lookup_csv",
    OpKind.TRANSFORM,
    doc="Look a per-event value up in the bins of a CSV table (half-open `[lower, upper)`); each `outputs` "
    "label gets the column `values` names for it. A value outside every bin is an error.",
    params=(
        Param(
            "path",
            Str,
            required=True,
            doc="The CSV file (relative to the current directory, read at run time).",
        ),
        Param("variable", Expr, required=True, doc="One number per event, looked up in the bins."),
        Param("bins", BINS, doc="Columns of the bin edges (default `pt_min`, `pt_max`)."),
        Param("values", MapOf(Str), required=True, doc="Label (`nominal`, `up`, ...) → CSV column."),
        Param("outputs", MapOf(Str), required=True, doc="Label → new field."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=lookup_flow,
    impl="fasthep_flow.ops.hep.weights_impl:lookup_csv",
    plugin="hep",
)

ENVELOPE_OUTPUTS = Struct(
    (
        Param("up", Str, doc="New field: the largest weight of each event."),
        Param("down", Str, doc="New field: the smallest weight of each event."),
    ),
    name="{up?, down?}",
)

PDF_ENVELOPE = OpSpec(
    "hep.weights.pdf_envelope",
    OpKind.TRANSFORM,
    doc="The envelope of per-event weight lists (PDF replicas): `up` = largest, `down` = smallest per event.",
    params=(
        Param("inputs", Expr, required=True, doc="A list of weights per event (a jagged field)."),
        Param("outputs", ENVELOPE_OUTPUTS, required=True, doc="`{up, down}`: the names of the new fields."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=envelope_flow,
    impl="fasthep_flow.ops.hep.weights_impl:pdf_envelope",
    plugin="hep",
)
