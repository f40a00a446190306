"""What the runtime hands an operation and what it gets back: the one contract between ``ops/`` and ``runtime/``.

Every implementation named by a spec's ``impl`` ("module:callable") has one of these shapes, by op kind:

- source:    ``read(source: SourcePlan, part: Partition, fields: Sequence[str], ctx: RunContext) -> Events``
             and ``entries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> int`` (module-level
             function named ``entries`` beside ``read``), used to cut files into partitions;
- transform: ``run(events: Events, params: Mapping, ctx: RunContext) -> StageResult``;
- sink:      ``write(events: Events, params: Mapping, ctx: RunContext) -> list[Path]`` (writes inside ctx.outdir);
- render:    ``render(products: Mapping[str, Any], style: Mapping, out: Path, ctx: RunContext) -> list[Path]``.

Products (histograms, cutflows) must be mergeable with ``merge_products(a, b)`` — histograms add, cutflows add —
and picklable, so that process pools and Dask can move them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthep_flow.plan import DatasetPlan, Partition


class Events:
    """A stream of events as named columns (NumPy or awkward arrays of equal length).

    A dict of columns rather than one awkward record array: adding a derived column is a dict insert, and a
    filter only touches the columns that exist. A filter is lazy (``FilteredColumns``): a column is cut to the
    kept events when something first reads it, so columns no later stage reads are never copied.
    """

    __slots__ = ("columns", "length")

    def __init__(self, columns: Mapping[str, Any], length: int | None = None) -> None:
        self.columns: Mapping[str, Any] = columns if isinstance(columns, FilteredColumns) else dict(columns)
        if length is None:
            length = len(next(iter(self.columns.values()))) if self.columns else 0
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, name: str) -> Any:
        return self.columns[name]

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __reduce__(self) -> tuple[Any, ...]:
        # moved between processes or cached as the columns it has, never as the unfiltered ones behind a filter
        return (Events, (dict(self.columns), self.length))

    def with_columns(self, new: Mapping[str, Any]) -> Events:
        if isinstance(self.columns, FilteredColumns):
            return Events(self.columns.with_columns(new), self.length)
        cols = dict(self.columns)
        cols.update(new)
        return Events(cols, self.length)

    def filter(self, mask: Any) -> Events:
        """Keep the events where ``mask`` is true (a boolean NumPy/awkward array of this stream's length)."""
        import numpy as np

        keep = np.flatnonzero(np.asarray(mask, dtype=bool))
        return Events(FilteredColumns(self.columns, keep), len(keep))


class FilteredColumns(Mapping[str, Any]):
    """The columns of a filtered stream: each is cut to the kept events (``index``) when first read, then kept.

    Columns added after the filter (``with_columns``) are stored as they are; a stream and the streams derived
    from it by adding columns share the cut columns, so no column is cut twice.
    """

    __slots__ = ("_added", "_cut", "_index", "_source")

    def __init__(
        self,
        source: Mapping[str, Any],
        index: Any,
        cut: dict[str, Any] | None = None,
        added: dict[str, Any] | None = None,
    ) -> None:
        self._source = source
        self._index = index
        self._cut: dict[str, Any] = {} if cut is None else cut
        self._added: dict[str, Any] = {} if added is None else added

    def __getitem__(self, name: str) -> Any:
        if name in self._added:
            return self._added[name]
        if name in self._cut:
            return self._cut[name]
        value = self._source[name][self._index]
        self._cut[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._added or name in self._source

    def __iter__(self) -> Iterator[str]:
        yield from self._source
        yield from (name for name in self._added if name not in self._source)

    def __len__(self) -> int:
        return len(self._source) + sum(1 for name in self._added if name not in self._source)

    def with_columns(self, new: Mapping[str, Any]) -> FilteredColumns:
        return FilteredColumns(self._source, self._index, self._cut, {**self._added, **new})


DATASETS_SYMBOL = "__datasets__"
"""The ``RunContext.symbols`` entry a once-per-run stage (``OpSpec.once``) receives: every dataset of the plan,
name -> ``{files, eventtype, meta}`` (``curator.root_tree_schema`` reads a dataset's first file)."""


@dataclass(frozen=True)
class RunContext:
    stage: str
    dataset: DatasetPlan
    partition: Partition
    outdir: Path
    globals: Mapping[str, Any] = field(default_factory=dict)
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """The expression function table (name -> callable), built from the registry's FunctionSpecs."""
    symbols: Mapping[str, Any] = field(default_factory=dict)
    """Context symbols usable in expressions: dataset, dataset_name, file, entries, start, stop."""


@dataclass
class StageResult:
    events: Events | None
    """The stream passed downstream (None: unchanged input stream)."""
    products: dict[str, Any] = field(default_factory=dict)
    """Named mergeable products, e.g. {"hist": hist.Hist} or {"cutflow": Cutflow}."""
