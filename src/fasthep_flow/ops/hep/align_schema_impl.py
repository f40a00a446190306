"""``hep.align_schema``: build the stream a schema describes.

Target fields come first, in the schema's order, each from its source (cast when a ``dtype`` is given); then
the other fields: exactly ``keep`` (globs matched against the stream), or all but ``drop`` when
``extra: keep``, or none when ``extra: drop``. A schema may live in a YAML/JSON file named by ``schema``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document.codes import INPUT_ERROR, PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError, did_you_mean

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


def load_schema(value: Any) -> Mapping[str, Any]:
    """The schema mapping: given inline, or read from a YAML/JSON file (safe loader: data only)."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str):
        raise OpError(PARAM_VALUE, "`schema` must be a mapping or the path of a YAML/JSON file")
    import yaml

    path = Path(value)
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OpError(INPUT_ERROR, f"schema file '{value}' cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise OpError(INPUT_ERROR, f"schema file '{value}' is not YAML/JSON: {exc}") from None
    if not isinstance(loaded, Mapping):
        raise OpError(PARAM_VALUE, f"schema file '{value}' does not hold a mapping")
    return loaded


def targets(schema: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """(target, source, dtype) per schema field, in order."""
    if schema.get("version", 1) != 1:
        raise OpError(PARAM_VALUE, f"schema version {schema.get('version')!r} is not supported (only 1)")
    fields = schema.get("fields")
    if not isinstance(fields, Mapping) or not fields:
        raise OpError(PARAM_VALUE, "schema `fields` must be a non-empty mapping")
    out = []
    for target, spec in fields.items():
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise OpError(PARAM_VALUE, f"schema field '{target}' must be a mapping or null")
        dtype = spec.get("dtype")
        if dtype is not None and str(dtype) not in DTYPES:
            raise OpError(PARAM_VALUE, f"dtype '{dtype}' of '{target}' is not one of {', '.join(DTYPES)}")
        out.append((str(target), str(spec.get("source") or target), None if dtype is None else str(dtype)))
    return out


def _matching(patterns: Sequence[str], names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for pattern in patterns:
        for name in names:
            if fnmatch.fnmatchcase(name, str(pattern)) and name not in out:
                out.append(name)
    return out


def _cast(value: Any, dtype: str) -> Any:
    if hasattr(value, "layout"):
        import awkward as ak

        return ak.values_astype(value, np.dtype(dtype))
    return np.asarray(value).astype(dtype)


def run(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    keep, drop = params.get("keep"), params.get("drop")
    if keep is not None and drop is not None:
        raise OpError(PARAM_VALUE, "`keep` and `drop` exclude each other", "give one of them")
    ignore_missing = params.get("missing", "error") == "ignore"
    columns: dict[str, Any] = {}
    absent: list[str] = []
    for target, source, dtype in targets(load_schema(params.get("schema"))):
        if source not in events:
            if not ignore_missing:
                absent.append(source)
            continue
        value = events[source]
        columns[target] = _cast(value, dtype) if dtype else value
    if absent:
        raise OpError(
            RUNTIME_MISSING_FIELD,
            f"schema sources not in the stream: {', '.join(absent)}",
            did_you_mean(absent[0], events.columns) or "set `missing: ignore` to skip them",
        )
    names = list(events.columns)
    if keep is not None:
        extras = _matching(keep, names)
    elif params.get("extra", "keep") == "keep":
        dropped = set(_matching(drop or [], names))
        extras = [n for n in names if n not in dropped]
    else:
        extras = []
    for name in extras:
        columns.setdefault(name, events[name])
    return StageResult(Events(columns, len(events)))
