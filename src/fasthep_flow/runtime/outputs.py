"""Output paths and the file formats of products (histograms, cutflows).

Paths from the workflow are checked here at write time too (the compiler checks them statically): absolute
paths, ``..`` and the names the run itself uses are refused with ``FF307 output-path``. How the folder is
locked, staged and replaced is ``output_folder.py``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.ops.failures import OpError
from fasthep_flow.runtime.folder_lock import LOCK_NAME

STAGING_PREFIX = ".fasthep-staging-"
RECORD_NAME = "run.json"
PLAN_NAME = "plan.json"
RESERVED = frozenset({RECORD_NAME, PLAN_NAME, LOCK_NAME})
"""Names the run itself writes at the top of the folder; a workflow output may not take them."""


def safe_relative(path: str | os.PathLike[str], what: str = "output") -> PurePosixPath:
    """The workflow's output path as a clean relative path, or an ``OpError`` (FF307) when it escapes."""
    text = os.fspath(path)
    hint = "output paths are relative to the output directory (--outdir) and stay inside it"
    if not text or not text.strip():
        raise OpError(codes.OUTPUT_PATH, f"{what} path is empty", hint)
    if (
        PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or PureWindowsPath(text).drive
    ):
        raise OpError(codes.OUTPUT_PATH, f"{what} path '{text}' is absolute", hint)
    parts = [p for p in re.split(r"[\\/]", text) if p not in ("", ".")]
    if ".." in parts:
        raise OpError(
            codes.OUTPUT_PATH, f"{what} path '{text}' uses '..' to leave the output directory", hint
        )
    if not parts:
        raise OpError(codes.OUTPUT_PATH, f"{what} path '{text}' names no file", hint)
    rel = PurePosixPath(*parts)
    if rel.as_posix() in RESERVED or parts[0].startswith(STAGING_PREFIX):
        raise OpError(codes.OUTPUT_PATH, f"{what} path '{text}' is reserved for the run itself", hint)
    return rel


def with_tag(rel: PurePosixPath, tag: str | int) -> PurePosixPath:
    """``skim.root`` tagged ``3`` → ``skim.3.root``: one file per partition or per dataset."""
    return rel.with_name(f"{rel.stem}.{tag}{rel.suffix}")


def clean_key(text: str) -> str:
    """A name safe as a file name and a ROOT key."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", text) or "_"


# --- products as files ------------------------------------------------------------------------------------


def is_hist(product: Any) -> bool:
    return hasattr(product, "axes") and hasattr(product, "values") and hasattr(product, "view")


def is_cutflow(product: Any) -> bool:
    return callable(getattr(product, "to_rows", None))


def _finite(values: Any) -> Any:
    """Nested lists with NaN/inf as None: strict JSON has no NaN."""
    if isinstance(values, list):
        return [_finite(v) for v in values]
    if isinstance(values, float) and not math.isfinite(values):
        return None
    return values


def _axis_json(axis: Any) -> dict[str, Any]:
    kind = type(axis).__name__
    out: dict[str, Any] = {"name": axis.name, "label": axis.label, "type": kind.lower()}
    traits = axis.traits
    if kind.endswith("Category"):
        out["categories"] = [c.item() if hasattr(c, "item") else c for c in axis]
    else:
        out["edges"] = [float(e) for e in axis.edges]
    out["underflow"] = bool(traits.underflow)
    out["overflow"] = bool(traits.overflow)
    return out


def hist_to_json(h: Any) -> dict[str, Any]:
    """One histogram as plain data: axes, bin values and variances (without and with flow bins)."""
    out: dict[str, Any] = {
        "axes": [_axis_json(a) for a in h.axes],
        "storage": type(h.storage_type()).__name__.lower(),
        "values": _finite(h.values(flow=False).tolist()),
        "values_flow": _finite(h.values(flow=True).tolist()),
    }
    variances = h.variances(flow=False)
    if variances is not None:
        out["variances"] = _finite(variances.tolist())
        out["variances_flow"] = _finite(h.variances(flow=True).tolist())
    return out


def product_entries(by_dataset: Mapping[str, Mapping[str, Any]], keep: Any) -> dict[str, Any]:
    """``{dataset: {name: product}}`` → ``{entry: product}`` for the products ``keep`` accepts.

    The entry is the dataset name (or ``total``) for a product named like its kind (``hist``, ``cutflow``) or
    the only one of its kind; ``<dataset>:<name>`` otherwise.
    """
    entries: dict[str, Any] = {}
    for dataset, named in by_dataset.items():
        kept = {name: p for name, p in named.items() if keep(p)}
        for name, product in kept.items():
            entries[dataset if len(kept) == 1 else f"{dataset}:{name}"] = product
    return entries


def hists_json(stage: str, entries: Mapping[str, Any]) -> str:
    payload = {"format": 1, "stage": stage, "entries": {k: hist_to_json(h) for k, h in entries.items()}}
    return json.dumps(payload, separators=(",", ":")) + "\n"


def write_hists_root(path: Path, entries: Mapping[str, Any]) -> list[str]:
    """Write histograms with uproot; returns the entries ROOT cannot hold (more than three axes)."""
    import uproot

    skipped = []
    tmp = path.with_name(f".{path.name}.tmp")
    with uproot.recreate(tmp) as f:
        for key, h in entries.items():
            if not 1 <= len(h.axes) <= 3:
                skipped.append(key)
                continue
            f[clean_key(key)] = h
    os.replace(tmp, path)
    return skipped


def cutflow_rows(entries: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, cutflow in entries.items():
        for row in cutflow.to_rows():
            rows.append({"dataset": key, **dict(row)})
    return rows


def cutflows_csv(entries: Mapping[str, Any]) -> str:
    rows = cutflow_rows(entries)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def cutflows_json(stage: str, entries: Mapping[str, Any]) -> str:
    payload = {
        "format": 1,
        "stage": stage,
        "entries": {k: [dict(r) for r in c.to_rows()] for k, c in entries.items()},
    }
    return json.dumps(_finite_tree(payload), separators=(",", ":"), default=_json_default) + "\n"


def _finite_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_tree(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
