"""The files every run writes for its products: histograms as uhi JSON and ROOT, cutflows as JSON.

Histograms are written in the scikit-hep standard serialisation (``uhi.io.json``): ``hists/<Stage>.json`` is
a mapping of entry name → histogram, so it reads back with hist or any uhi-aware library::

    with open("hists/MuonPt.json") as f:
        entries = json.load(f, object_hook=uhi.io.json.object_hook)
    h = hist.Hist(entries["toy_dy"])

NaN bin contents (a ``mean`` storage's empty bins, NaN weights) are written as ``NaN``, as Python's ``json``
reads and writes them, rather than turned into ``null``. Entries are named per dataset and per eventtype total
(:mod:`fasthep_flow.ops.totals`); data and simulation are never added into one entry.

Cutflows go to ``cutflows/<Stage>.json`` with every number at full precision; a CSV table is what
``hep.render.cutflow_csv`` is for, so each cutflow is written once per format. The columns of both come from
:func:`cutflow_file_columns` and :data:`fasthep_flow.ops.hep.cutflow_product.COLUMN_DOCS`, which also
generate the tables of docs/outputs.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.ops.hep.cutflow_product import COLUMN_DOCS
from fasthep_flow.runtime.outputs import clean_key

HISTS_FORMAT = "uhi JSON (uhi_schema 1)"
CUTFLOWS_FORMAT = 2
"""Version of the cutflow JSON layout (1 had other column names and a ``total`` summing data and MC)."""

HIST_METADATA: tuple[tuple[str, str], ...] = (
    ("name", "the entry name (dataset, `total_<eventtype>`, or `<dataset>:<product>`)"),
    ("stage", "the stage id"),
    ("dataset", "the dataset name, or `total_<eventtype>` for a sum over datasets"),
    ("eventtype", "`data`, `mc`, ... of the dataset(s) summed"),
)
"""Keys of each histogram's uhi ``metadata`` block, besides the axes' own ``name``/``label``."""


def cutflow_file_columns() -> tuple[tuple[str, str], ...]:
    """(column, meaning) of a row of ``cutflows/<Stage>.json``, in order: the writer and the docs use this."""
    dataset = ("dataset", "dataset name, or `total_<eventtype>` for the sum over one eventtype")
    return (dataset, *COLUMN_DOCS.items())


def is_hist(product: Any) -> bool:
    return hasattr(product, "axes") and hasattr(product, "values") and hasattr(product, "view")


def is_cutflow(product: Any) -> bool:
    return callable(getattr(product, "to_rows", None))


def product_entries(by_dataset: Mapping[str, Mapping[str, Any]], keep: Any) -> dict[str, tuple[str, Any]]:
    """``{dataset: {name: product}}`` → ``{entry: (dataset, product)}`` for the products ``keep`` accepts.

    The entry is the dataset name (or ``total_<eventtype>``) for a stage with one product of that kind, and
    ``<dataset>:<name>`` when it has several.
    """
    entries: dict[str, tuple[str, Any]] = {}
    for dataset, named in by_dataset.items():
        kept = {name: p for name, p in named.items() if keep(p)}
        for name, product in kept.items():
            entries[dataset if len(kept) == 1 else f"{dataset}:{name}"] = (dataset, product)
    return entries


def labelled_hist(h: Any, entry: str, stage: str, dataset: str, eventtype: str) -> Any:
    """A copy of ``h`` carrying the uhi metadata of :data:`HIST_METADATA` (the run's product is left as is)."""
    out = h.copy()
    out.name = entry
    out.stage = stage
    out.dataset = dataset
    out.eventtype = eventtype
    return out


def hists_json(entries: Mapping[str, Any]) -> str:
    """``{entry: hist}`` as one uhi JSON document (a mapping of named histograms); NaN stays NaN."""
    import uhi.io.json

    return json.dumps(dict(entries), default=uhi.io.json.default, separators=(",", ":")) + "\n"


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


def cutflow_rows(entries: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows): ``dataset`` then the product's own row keys in order.

    For ``hep.selection.cutflow`` those are exactly :func:`cutflow_file_columns` (a test holds the product's
    ``to_rows`` to that table, which the docs are generated from); a plugin's cutflow-like product keeps its own.
    """
    rows = []
    columns: list[str] = ["dataset"]
    for key, cutflow in entries.items():
        for row in cutflow.to_rows():
            rows.append({"dataset": key, **dict(row)})
            columns.extend(k for k in row if k not in columns)
    return columns, [{c: row.get(c) for c in columns} for row in rows]


def cutflows_json(stage: str, entries: Mapping[str, Any]) -> str:
    """``{"format", "stage", "columns", "rows"}``: one row per dataset (or total), group and step."""
    columns, rows = cutflow_rows(entries)
    payload = {"format": CUTFLOWS_FORMAT, "stage": stage, "columns": columns, "rows": rows}
    return json.dumps(payload, separators=(",", ":"), default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
