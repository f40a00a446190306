"""``parquet``: a tabular source (the dataset's Parquet files) and a sink, with awkward/pyarrow.

Reading an entry range loads only the row groups that overlap it, and only the requested columns (the
projection), then trims to ``[start, stop)``. Top-level columns become the stream's fields: flat as NumPy,
nested as awkward. Writing goes to a temporary name, then renames into place.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import INPUT_ERROR, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan


def _metadata(file: str) -> dict[str, Any]:
    import awkward as ak

    if not Path(file).exists():
        raise OpError(INPUT_ERROR, f"input file '{file}' does not exist")
    try:
        return dict(ak.metadata_from_parquet(file))
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise OpError(INPUT_ERROR, f"input file '{file}' cannot be read as Parquet: {exc}") from None


def entries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> int:
    if file is None:
        raise OpError(INPUT_ERROR, f"dataset '{dataset.name}' lists no files for source '{source.name}'")
    return int(_metadata(file)["num_rows"])


def read(source: SourcePlan, part: Partition, fields: Sequence[str], ctx: RunContext) -> Events:
    import awkward as ak
    import numpy as np

    if part.file is None:
        raise OpError(INPUT_ERROR, f"dataset '{part.dataset}' lists no files for source '{source.name}'")
    meta = _metadata(part.file)
    total = int(meta["num_rows"])
    start = min(max(int(part.start), 0), total)
    stop = total if part.stop is None else min(int(part.stop), total)
    stop = max(stop, start)
    available = list(meta["form"].fields)
    wanted = list(dict.fromkeys(fields or source.params.get("columns") or source.fields or available))
    missing = [c for c in wanted if c not in available]
    if missing:
        raise OpError(
            RUNTIME_MISSING_FIELD,
            f"column '{missing[0]}' is not in {part.file}",
            did_you_mean(missing[0], available),
        )
    if stop == start:
        return Events({c: np.zeros(0) for c in wanted}, 0)
    sizes = list(meta.get("col_counts") or [total])
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    groups = [i for i in range(len(sizes)) if bounds[i] < stop and bounds[i + 1] > start]
    table = ak.from_parquet(part.file, columns=wanted, row_groups=groups)
    offset = int(bounds[groups[0]])
    table = table[start - offset : stop - offset]
    columns: dict[str, Any] = {}
    for name in wanted:
        column = table[name]
        if column.ndim == 1 and not column.layout.is_option and not column.fields:
            with contextlib.suppress(ValueError, TypeError):  # e.g. strings stay awkward
                column = ak.to_numpy(column)
        columns[name] = column
    return Events(columns, stop - start)


def kept_columns(events: Events, keep: Sequence[str] | None) -> dict[str, Any]:
    """The columns a sink writes: ``keep`` (in its order) or every column."""
    if not keep:
        return dict(events.columns)
    missing = [k for k in keep if k not in events]
    if missing:
        raise OpError(
            RUNTIME_MISSING_FIELD,
            f"`keep` names field '{missing[0]}', which is not in the stream",
            did_you_mean(missing[0], events.columns),
        )
    return {k: events[k] for k in keep}


def write(events: Events, params: Mapping[str, Any], ctx: RunContext) -> list[Path]:
    import awkward as ak

    target = Path(params["path"])
    if not target.is_absolute():
        target = ctx.outdir / target
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = kept_columns(events, params.get("keep"))
    table = ak.zip(
        {k: ak.Array(v) if not hasattr(v, "layout") else v for k, v in columns.items()}, depth_limit=1
    )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        ak.to_parquet(table, tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return [target]
