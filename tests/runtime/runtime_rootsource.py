"""A minimal uproot source for the runtime's tests (the real one lives in ``fasthep_flow.ops.hep``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fasthep_flow.document import codes
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan


def entries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> int:
    import uproot

    if file is None or not Path(file).exists():
        raise OpError(codes.INPUT_ERROR, f"input file {file} does not exist")
    with uproot.open(file) as f:
        return int(f[source.params.get("tree", "events")].num_entries)


def read(source: SourcePlan, part: Partition, fields: Sequence[str], ctx: RunContext) -> Events:
    import uproot

    with uproot.open(part.file) as f:
        tree = f[source.params.get("tree", "events")]
        arrays = tree.arrays(list(fields) or None, entry_start=part.start, entry_stop=part.stop, library="ak")
    columns = {}
    for name in arrays.fields:
        column = arrays[name]
        columns[name] = column.to_numpy() if column.ndim == 1 else column
        del column
    return Events(columns, len(arrays) if arrays.fields else (part.stop or 0) - part.start)
