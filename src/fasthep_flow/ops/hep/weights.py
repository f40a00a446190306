"""`hep.weights.lookup_csv` and `hep.weights.pdf_envelope`: per-event weights from a table or a weight list."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode, to_python
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, entries, get, name_scalar, scalar
from fasthep_flow.registry.specs import Expr, MapOf, OpKind, OpSpec, Param, ParamProblem, Port, Str, Struct

TABLE_CHECK_LIMIT = 16 * 1024 * 1024
"""Tables up to this size are read whole by `check` (every needed cell must be a number); larger ones only
have their header compared with the columns the params name."""


def bin_columns(bins: Mapping[str, Any]) -> tuple[str, str]:
    """The CSV columns of the lower and upper bin edges."""
    lower = bins.get("lower") or bins.get("min")
    upper = bins.get("upper") or bins.get("max")
    if lower and upper:
        return str(lower), str(upper)
    if bins.get("column"):
        return f"{bins['column']}_min", f"{bins['column']}_max"
    return "pt_min", "pt_max"


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


def lookup_problems(params: MapNode) -> list[ParamProblem]:
    """What the run would fail on before it looks anything up: an output label without a column in `values`,
    a table that is missing, empty, or lacks (or has non-numeric) columns the params name. The table is read
    relative to the working directory, as the run reads it."""
    out: list[ParamProblem] = []
    values = {k.text: v for k, v in entries(get(params, "values"))}
    for key, _value in entries(get(params, "outputs")):
        if key.text not in values:
            out.append(
                ParamProblem(
                    codes.PARAM_VALUE,
                    key,
                    f"`outputs.{key.text}`: the label has no column in `values`",
                    hint="add it to `values` (label → CSV column), or use one of its labels: "
                    + (", ".join(f"`{v}`" for v in values) or "(none)"),
                )
            )
    path = name_scalar(get(params, "path"))
    if path is None:
        return out
    bins = to_python(get(params, "bins"))
    lower, upper = bin_columns(bins if isinstance(bins, dict) else {})
    columns = [lower, upper] + [v.text for v in values.values() if isinstance(v, ScalarNode) and v.is_string]
    problem = _table_problem(path.text, list(dict.fromkeys(columns)))
    if problem is not None:
        out.append(ParamProblem(codes.INPUT_UNREADABLE, path, problem[0], hint=problem[1]))
    return out


def _table_problem(path: str, columns: list[str]) -> tuple[str, str] | None:
    import csv

    file = Path(path)
    if not file.is_file():
        return (
            f"cannot read '{path}': no such file (tables are read relative to the working directory)",
            "give the path of the table from the folder the run starts in, or an absolute path",
        )
    try:
        with file.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            absent = [c for c in columns if c not in header]
            if absent:
                return f"cannot read '{path}': the table has no column(s) {absent}", f"its columns: {header}"
            if file.stat().st_size > TABLE_CHECK_LIMIT:
                return None
            rows = 0
            for row in reader:
                rows += 1
                for c in columns:
                    try:
                        float(row[c] or "")
                    except ValueError:
                        return (
                            f"cannot read '{path}': column '{c}' holds {row[c]!r} on row {rows}, not a number",
                            "bin edges and looked-up values must be numbers",
                        )
            if rows == 0:
                return f"cannot read '{path}': the table has no rows", "the table needs one row per bin"
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return f"cannot read '{path}': {exc}", "give a UTF-8 CSV file with a header row"
    return None


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
    problems=lookup_problems,
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
