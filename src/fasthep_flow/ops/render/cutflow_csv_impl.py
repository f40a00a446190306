"""``hep.render.cutflow_csv``: a cutflow as a table, one row per dataset, group and step (and eventtype totals).

The columns are those of :data:`fasthep_flow.ops.hep.cutflow_product.COLUMN_DOCS` (the cutflow JSON the
runtime writes has the same ones), so the docs' column table is generated from the same place.
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.cutflow_product import ROW_COLUMNS, Cutflow
from fasthep_flow.ops.totals import is_total, totals_by_eventtype

TABLE_KEYS = ("dataset", "group", "step")
"""The columns every table starts with; the chosen ``ROW_COLUMNS`` follow."""


def _cutflow(product: Any) -> Cutflow:
    if isinstance(product, Cutflow):
        return product
    if isinstance(product, Mapping):
        for value in product.values():
            if isinstance(value, Cutflow):
                return value
    raise OpError(PARAM_VALUE, "the rendered stage has no cutflow", "render a `hep.selection.cutflow` stage")


def rows(products: Mapping[str, Any], style: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every row: ``dataset, group, step`` then the chosen columns, datasets in order and the totals last."""
    chosen = style.get("datasets")
    cutflows = {d: _cutflow(p) for d, p in products.items() if not chosen or d in chosen}
    if style.get("total", True) and len(cutflows) > 1 and not any(is_total(d) for d in cutflows):
        cutflows.update(totals_by_eventtype(cutflows, style.get("_eventtypes") or {}, operator.add))
    groups = style.get("groups")
    columns = [c for c in (style.get("columns") or ROW_COLUMNS) if c in ROW_COLUMNS]
    out = []
    for dataset, cutflow in cutflows.items():
        for row in cutflow.to_rows():
            if groups and row["group"] not in groups:
                continue
            out.append(
                {"dataset": dataset} | {k: row[k] for k in TABLE_KEYS[1:]} | {c: row[c] for c in columns}
            )
    return out


def _cell(value: Any, float_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else float_format % value
    return str(value)


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    out = Path(out)
    table = rows(products, style)
    suffix = out.suffix.lower()
    if suffix == ".json":
        text = json.dumps(table, indent=1) + "\n"
    elif suffix in (".csv", ".tsv", ".txt"):
        buf = io.StringIO()
        delimiter = str(style.get("delimiter", "\t" if suffix == ".tsv" else ","))
        writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        header = list(table[0]) if table else list(TABLE_KEYS)
        writer.writerow(header)
        float_format = str(style.get("float_format", "%.6g"))
        for row in table:
            writer.writerow([_cell(row.get(c), float_format) for c in header])
        text = buf.getvalue()
    else:
        raise OpError(PARAM_VALUE, f"cannot write a cutflow to '{out.name}'", "use a .csv or .json file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return [out]
