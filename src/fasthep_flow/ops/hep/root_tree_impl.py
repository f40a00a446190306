"""``root_tree``: read TTrees and RNTuples with uproot, and write the stream as either.

Reading takes only the requested branches of the entry range ``[start, stop)`` of one file; branch names are
matched exactly (uproot's expression language is never used, so a branch name is never evaluated as code).
Per-event branches come out as NumPy arrays, per-object branches as awkward jagged arrays.

Writing goes to a temporary name beside the target and is renamed into place, so a reader never sees half a
file. For a TTree, jagged columns sharing a prefix and a length per event (``Muon_Px``, ``Muon_Py``) are
written as one group with one counter (``nMuon``, or the stream's own ``NMuon``/``nMuon`` when it matches),
like the files they came from.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document.codes import INPUT_ERROR, PARAM_VALUE, RUNTIME_MISSING_FIELD
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core.parquet_impl import kept_columns
from fasthep_flow.ops.failures import OpError, did_you_mean
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan

# -- reading ------------------------------------------------------------------------------------------------


def _tree_name(source: SourcePlan, dataset: DatasetPlan | None) -> str:
    name = source.params.get("tree")
    if not name and dataset is not None:
        name = dataset.meta.get("tree_primary") or dataset.meta.get("tree")
    return str(name or "events")


@dataclass
class _OpenTree:
    """An open file and its tree, with which branches' metadata were read (None: all) and every branch name."""

    handle: Any
    tree: Any
    wanted: frozenset[str] | None
    names: list[str]

    def covers(self, wanted: frozenset[str] | None) -> bool:
        return self.wanted is None or (wanted is not None and wanted <= self.wanted)


def _open_tree(file: str, tree: str, wanted: frozenset[str] | None = None) -> _OpenTree:
    """Open ``file`` and its ``tree``, deserialising only the ``wanted`` branches' metadata (all when None)."""
    import uproot

    from fasthep_flow._root_metadata import open_tree

    try:
        handle = uproot.open(
            file, array_cache=None
        )  # each chunk is read once: caching arrays only costs memory
    except FileNotFoundError:
        raise OpError(INPUT_ERROR, f"input file '{file}' does not exist") from None
    except Exception as exc:  # uproot raises many kinds for a file that is not ROOT
        raise OpError(INPUT_ERROR, f"input file '{file}' cannot be read as ROOT: {exc}") from None
    names = {k.split(";", 1)[0] for k in handle.keys(recursive=True)}
    if tree not in names:
        handle.close()
        raise OpError(
            INPUT_ERROR,
            f"file '{file}' has no tree or RNTuple '{tree}'",
            did_you_mean(tree, names)
            or ("it holds: " + ", ".join(sorted(names)) if names else "it is empty"),
        )
    try:
        obj, branches = open_tree(handle, tree, wanted)
    except Exception as exc:  # a damaged tree header is the user's data, not our bug
        handle.close()
        raise OpError(INPUT_ERROR, f"tree '{tree}' of '{file}' cannot be read: {exc}") from None
    return _OpenTree(handle, obj, wanted, branches)


_OPEN = threading.local()
_OPEN_MAX = 4


def _cached_tree(file: str, tree: str, wanted: frozenset[str] | None) -> _OpenTree:
    """The tree, from a small per-thread cache of open files.

    A file is cut into many partitions and a worker reads them one after another: opening it once (headers,
    streamers, the tree's metadata) instead of once per chunk is most of the gap to a hand-written
    ``uproot.iterate`` loop. Only the metadata of the branches read is deserialised (``_root_metadata.py``): a
    NanoAOD tree has about a thousand branches, and reading all of their headers costs more than the analysis.
    An open tree is reused when it has every branch asked for, else the file is opened again with the union.
    Keyed by size and mtime, so a file rewritten between runs is reopened; per thread, so thread executors
    never share a handle.
    """
    try:
        st = os.stat(file)
    except OSError:
        st = None
    key = (file, tree, st.st_size if st else -1, st.st_mtime_ns if st else -1)
    cache: dict[tuple[object, ...], _OpenTree] = getattr(_OPEN, "files", None) or {}
    _OPEN.files = cache
    found = cache.pop(key, None)
    if found is not None and found.covers(wanted):
        cache[key] = found  # most recently used last
        return found
    if found is not None:
        found.handle.close()
        wanted = None if wanted is None or found.wanted is None else wanted | found.wanted
    opened = _open_tree(file, tree, wanted)
    cache[key] = opened
    while len(cache) > _OPEN_MAX:
        cache.pop(next(iter(cache))).handle.close()
    return opened


def _wanted(source: SourcePlan, fields: Sequence[str] = ()) -> frozenset[str] | None:
    """The branches a read of this source takes (None: all of them, when nothing says which)."""
    named = [*fields, *(source.params.get("branches") or ()), *(source.fields or ())]
    return frozenset(named) if named else None


def _window(source: SourcePlan, total: int, dataset: DatasetPlan | None = None) -> tuple[int, int]:
    """The entries of each file this source reads, clipped to the file.

    As upstream (LANGUAGE.md §5, §6.2): a dataset with ``nevents`` reads ``[0, nevents)`` of each of its files
    and the source's ``start``/``stop`` are ignored for it; otherwise the source's ``[start, stop)``.
    """
    if dataset is not None and dataset.nevents is not None:
        return 0, min(max(int(dataset.nevents), 0), total)
    start = min(max(int(source.params.get("start") or 0), 0), total)
    stop = source.params.get("stop")
    stop = total if stop is None else min(max(int(stop), start), total)
    return start, stop


def entries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> int:
    """How many entries of ``file`` this source reads (from metadata: no branch is read)."""
    if file is None:
        raise OpError(INPUT_ERROR, f"dataset '{dataset.name}' lists no files for source '{source.name}'")
    opened = _open_tree(file, _tree_name(source, dataset), frozenset())  # no branch: the count is the tree's
    with opened.handle:
        start, stop = _window(source, int(opened.tree.num_entries), dataset)
    return stop - start


def boundaries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> list[int]:
    """Entries (relative to the source's window) where every branch read starts a new basket.

    The runtime cuts partitions there when it can: a partition boundary inside a basket makes both
    neighbours decompress that basket, which for zlib-compressed files costs as much as the analysis.
    """
    if file is None:
        return []
    tree = _cached_tree(file, _tree_name(source, dataset), _wanted(source)).tree
    if not hasattr(tree, "common_entry_offsets"):
        return []  # RNTuple: clusters are not exposed the same way; plain chunks are fine
    first, last = _window(source, int(tree.num_entries), dataset)
    wanted = set(source.fields or source.params.get("branches") or [])
    try:
        if wanted:
            offsets = tree.common_entry_offsets(filter_name=lambda n: n in wanted)
        else:
            offsets = tree.common_entry_offsets()
    except Exception:  # uproot cannot tell (unusual branches): cut anywhere
        return []
    return [int(o) - first for o in offsets if first < o < last]


def read(source: SourcePlan, part: Partition, fields: Sequence[str], ctx: RunContext) -> Events:
    import awkward as ak

    if part.file is None:
        raise OpError(INPUT_ERROR, f"dataset '{part.dataset}' lists no files for source '{source.name}'")
    tree_name = _tree_name(source, ctx.dataset)
    wanted_fields = _wanted(source, fields)
    opened = _cached_tree(part.file, tree_name, wanted_fields)
    tree = opened.tree
    first, last = _window(source, int(tree.num_entries), ctx.dataset)
    start = min(first + max(int(part.start), 0), last)
    stop = last if part.stop is None else min(first + int(part.stop), last)
    stop = max(stop, start)
    if source.params.get("metadata_only"):
        return Events({}, stop - start)
    available = opened.names
    wanted = list(dict.fromkeys(fields or source.params.get("branches") or source.fields or available))
    present = set(available)
    missing = [b for b in wanted if b not in present]
    if missing and source.params.get("missing_branches", "error") != "ignore":
        raise OpError(
            RUNTIME_MISSING_FIELD,
            f"branch '{missing[0]}' is not in {tree_name} of {part.file}"
            + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else ""),
            did_you_mean(missing[0], available) or "set `missing_branches: ignore` to skip absent branches",
        )
    names = [b for b in wanted if b in present]
    if not names:
        return Events({}, stop - start)
    wanted_set = set(names)
    arrays = tree.arrays(  # a dict of columns: no record array zipped only to be taken apart again
        filter_name=lambda n: n in wanted_set, entry_start=start, entry_stop=stop, library="ak", how=dict
    )
    columns: dict[str, Any] = {}
    for name in names:
        column = arrays[name]
        columns[name] = _to_column(column, ak)
    return Events(columns, stop - start)


def _to_column(column: Any, ak: Any) -> Any:
    """Per-event numbers as NumPy (cheap to filter and compare); anything nested stays awkward."""
    if column.ndim == 1 and not column.layout.is_option and column.fields == []:
        try:
            return ak.to_numpy(column)
        except (ValueError, TypeError):
            return column
    return column


# -- writing ------------------------------------------------------------------------------------------------


def _compression(params: Mapping[str, Any]) -> Any:
    import uproot

    kind = str(params.get("compression", "zlib")).lower()
    level = int(params.get("compression_level", 1))
    if kind == "none" or level == 0:
        return None
    makers = {"zlib": uproot.ZLIB, "lz4": uproot.LZ4, "zstd": uproot.ZSTD}
    if kind not in makers:
        raise OpError(PARAM_VALUE, f"compression '{kind}' is not one of zlib, lz4, zstd, none")
    return makers[kind](level)


def _writable(value: Any) -> Any:
    """ROOT has no missing values: None becomes NaN (floats) or 0 (integers, booleans)."""
    import awkward as ak

    if not hasattr(value, "layout"):
        return np.asarray(value)
    if "?" in str(value.type):
        kind = str(ak.type(ak.flatten(value, axis=None)).content)
        value = ak.fill_none(value, np.nan if "float" in kind else 0, axis=-1 if value.ndim > 1 else 0)
        if value.ndim > 1:
            value = ak.fill_none(value, [], axis=0)
    if value.ndim == 1:
        return ak.to_numpy(value)
    return value


def _nested_records(columns: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted names as records, the way upstream writes the flags a cutflow emits: ``Sel.two`` and
    ``Sel.three`` become one record field ``Sel`` with members ``two`` and ``three`` (readers see ``Sel.two``).

    A name whose prefix is itself a column stays flat (two fields may not share a name).
    """
    import awkward as ak

    out: dict[str, Any] = {}
    records: dict[str, dict[str, Any]] = {}
    for name, value in columns.items():
        outer, dot, inner = name.partition(".")
        if dot and outer and inner and outer not in columns:
            records.setdefault(outer, {})[inner] = value
        else:
            out[name] = value
    for outer, members in records.items():
        out[outer] = ak.zip(members, depth_limit=1)
    return out


def _ttree_groups(columns: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Jagged columns grouped by prefix (same counts per event) as records; returns data and counter names."""
    import awkward as ak

    data: dict[str, Any] = {}
    counters: dict[str, str] = {}
    groups: dict[str, dict[str, Any]] = {}
    for name, value in columns.items():
        if hasattr(value, "layout") and value.ndim > 1 and "_" in name:
            prefix, rest = name.split("_", 1)
            groups.setdefault(prefix, {})[rest] = value
        else:
            data[name] = value
    for prefix, members in groups.items():
        counts = [ak.to_numpy(ak.num(v, axis=1)) for v in members.values()]
        if len(members) > 1 and all(np.array_equal(counts[0], c) for c in counts[1:]):
            counter = f"n{prefix}"
            for own in (f"N{prefix}", f"n{prefix}"):
                if own in data and np.array_equal(np.asarray(data[own]), counts[0]):
                    del data[own]  # the stream's own counter: written back under its own name
                    counter = own
                    break
            if counter in data:
                counter = f"n{prefix}_"
            data[prefix] = ak.zip(members)
            counters[prefix] = counter
        else:
            for rest, value in members.items():
                data[f"{prefix}_{rest}"] = value
    return data, counters


def write(events: Events, params: Mapping[str, Any], ctx: RunContext) -> list[Path]:
    import uproot

    target = Path(params["path"])
    if not target.is_absolute():
        target = ctx.outdir / target
    target.parent.mkdir(parents=True, exist_ok=True)
    tree = str(params.get("tree") or "events")
    fmt = str(params.get("format", "rntuple")).lower()
    if fmt not in ("rntuple", "ttree"):
        raise OpError(PARAM_VALUE, f"format '{fmt}' is not rntuple or ttree")
    columns = {k: _writable(v) for k, v in kept_columns(events, params.get("keep")).items()}
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with uproot.recreate(tmp, compression=_compression(params)) as out:
            if fmt == "rntuple":
                out.mkrntuple(tree, _nested_records(columns))
            else:
                data, counters = _ttree_groups(columns)
                types = {k: (v.type.content if hasattr(v, "layout") else v.dtype) for k, v in data.items()}
                handle = out.mktree(
                    tree,
                    types,
                    counter_name=lambda counted: counters.get(counted, f"n{counted}"),
                    field_name=lambda outer, inner: f"{outer}_{inner}" if outer else inner,
                )
                if len(events):
                    handle.extend(data)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return [target]
