"""Input files' metadata, read lazily with uproot: which branches a tree has and their types.

Only metadata is read (no baskets), the result is cached per (path, size, mtime) in memory and on disk
(``input_cache.py``), and uproot is imported only when a workflow names a ROOT file that exists and was not
read before: checking a toy workflow, or a workflow whose inputs are cached, never pays for it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from functools import lru_cache

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import SourceFields
from fasthep_flow.compiler.normalise import DatasetDecl, SourceDecl
from fasthep_flow.compiler.symbols import Definition, FieldOrigin, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.files import describe_kind
from fasthep_flow.document.nodes import MapNode, ScalarNode, SeqNode


@dataclass(frozen=True)
class TreeInfo:
    branches: dict[str, str] = field(default_factory=dict)
    """Branch name -> type (awkward-like type string when known)."""
    entries: int = 0
    error: str | None = None


_SEEN: set[tuple[str, str, int, int]] = set()
"""Identities ``_read_tree_info`` has answered in this process (its lru_cache cannot be asked)."""


@lru_cache(maxsize=256)
def _read_tree_info(path: str, tree: str, size: int, mtime_ns: int) -> TreeInfo:
    """From the on-disk cache when this file identity was read before, else from the file (then stored)."""
    from fasthep_flow.compiler import input_cache

    _SEEN.add((path, tree, size, mtime_ns))
    stored = input_cache.load(path, tree, size, mtime_ns)
    if stored is not None:
        return TreeInfo(
            branches=dict(stored["branches"]),
            entries=int(stored.get("entries", 0)),
            error=stored.get("error"),
        )
    info = _read_with_uproot(path, tree)
    if info is not None:
        input_cache.store(
            path,
            tree,
            size,
            mtime_ns,
            {"branches": info.branches, "entries": info.entries, "error": info.error},
        )
        return info
    from fasthep_flow.install import install_command

    return TreeInfo(error=f"uproot is not installed; add the hep extra: {install_command(['hep'])}")


def _read_with_uproot(path: str, tree: str) -> TreeInfo | None:
    """The tree's metadata as uproot reads it (an error included); None when uproot is not installed."""
    try:
        import uproot
    except ImportError:
        return None
    try:
        with uproot.open(path) as f:
            if tree not in f:
                found = [k.split(";")[0] for k in f.keys(recursive=False)]
                return TreeInfo(
                    error=f"no tree '{tree}' in the file (it has: {', '.join(found[:10]) or 'nothing'})"
                )
            obj = f[tree]
            branches = _rntuple_fields(obj) if hasattr(obj, "to_akform") else _ttree_branches(obj)
            return TreeInfo(branches=branches, entries=int(obj.num_entries))
    except Exception as exc:
        return TreeInfo(error=f"{type(exc).__name__}: {exc}")


def _ttree_branches(tree: object) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in tree.keys():  # type: ignore[attr-defined]  # noqa: SIM118 — uproot objects are not dicts
        branch = tree[key]  # type: ignore[index]
        try:
            out[key] = str(branch.interpretation.awkward_form(branch.file).type)
        except Exception:  # a branch uproot cannot interpret still exists; show its C++ type
            out[key] = str(getattr(branch, "typename", "unknown"))
    return out


def _rntuple_fields(ntuple: object) -> dict[str, str]:
    form = ntuple.to_akform()  # type: ignore[attr-defined]
    form = form[0] if isinstance(form, tuple) else form
    return {
        name: str(content.type)
        for name, content in zip(form.fields, form.contents, strict=True)
        if not name.startswith("_")
    }


def tree_info(path: str, tree: str) -> TreeInfo | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO or a device would block or never end
        return TreeInfo(error=f"it is {describe_kind(st.st_mode)}, not a regular file")
    return _read_tree_info(path, tree, st.st_size, st.st_mtime_ns)


def check_input_kinds(ctx: Context, datasets: list[DatasetDecl]) -> None:
    """Each local input listed in ``files:`` must be a regular file (or a folder, for Parquet datasets).

    A FIFO would block the run at open and ``/dev/zero`` would never end, so they are errors at their
    ``files:`` entry. Only ``stat`` is called (it never blocks); a missing file is reported elsewhere.
    """
    for ds in datasets:
        for path, node in ds.files:
            if node is None or "://" in path:
                continue
            try:
                mode = os.stat(path).st_mode
            except (OSError, ValueError):
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                ctx.report(
                    codes.INPUT_UNREADABLE,
                    node,
                    f"input '{node.text}' is {describe_kind(mode)}, not a regular file",
                    hint="inputs must be ordinary files: a pipe or a device would block or never end",
                )


def source_fields(
    ctx: Context, sources: list[SourceDecl], datasets: list[DatasetDecl]
) -> dict[str, SourceFields]:
    """What each source provides, checking listed branches against the first readable input file."""
    out: dict[str, SourceFields] = {}
    for src in sources:
        sf = SourceFields(src.name)
        out[src.name] = sf
        listed = _listed_branches(src)
        info = (
            _first_info(ctx, src, datasets) if src.kind == "root_tree" and ctx.options.check_inputs else None
        )
        file_branches = info.branches if info is not None and info.error is None else None
        ignore_missing = src.params.get("missing_branches") == "ignore"
        if file_branches is not None:
            ctx.index.branch_types.update(file_branches)
            if ignore_missing:  # upstream drops listed branches a file lacks; a use of one is FF303 later
                listed = [(n, nd) for n, nd in listed if n in file_branches]
            for name, node in listed:
                if name not in file_branches:
                    ctx.unknown_name(
                        codes.MISSING_BRANCH,
                        node,
                        "branch",
                        sorted(file_branches),
                        extra_hint=f"the input file's tree '{src.params.get('tree')}' has no such branch",
                    )
        if listed:
            sf.known = {n: (file_branches or {}).get(n, "listed branch") for n, _ in listed}
            sf.closed = True
        elif file_branches is not None:
            sf.known = dict(file_branches)
            sf.closed = True
        elif src.kind == "toy" and (spec := ctx.registry.source("toy")) is not None:
            from fasthep_flow.registry.dataflow import flow_of

            for step in flow_of(spec, src.node, src.name, anchor=src.kind_node or src.name_node):
                for fd in step.defines:
                    sf.known[fd.name] = fd.doc
            sf.closed = True
        for name, desc in sf.known.items():
            node = next((nd for n, nd in listed if n == name), None)
            anchor = node or src.name_node
            if anchor is not None:
                ctx.index.definitions.append(
                    Definition(
                        name,
                        SymbolKind.FIELD,
                        anchor.span,
                        origin=FieldOrigin.BRANCH,
                        detail=f"branch of {src.kind} `{src.name}`" + (f", `{desc}`" if desc else ""),
                        stage=None,
                        order=0,
                    )
                )
    return out


def _listed_branches(src: SourceDecl) -> list[tuple[str, ScalarNode]]:
    if src.node is None:
        return []
    node = src.node.get("branches")
    if not isinstance(node, SeqNode):
        return []
    return [(i.text, i) for i in node.items if isinstance(i, ScalarNode) and isinstance(i.value, str)]


def _first_info(ctx: Context, src: SourceDecl, datasets: list[DatasetDecl]) -> TreeInfo | None:
    tree = str(src.params.get("tree", "events"))
    for ds in datasets:
        if str(ds.data.get("source", src.name)) != src.name and len(datasets) > 1 and "source" in ds.data:
            continue
        for path, node in ds.files:
            if "://" in path:
                continue
            info = tree_info(path, tree)
            where = node if node is not None else ds.name_node
            if info is None:
                if where is not None:
                    ctx.report(
                        codes.INPUT_UNREADABLE,
                        where,
                        f"input file '{path}' does not exist",
                        severity=Severity.WARNING,
                        hint="branches cannot be checked until it does",
                    )
                continue
            if info.error is not None:
                if where is not None:
                    ctx.report(
                        codes.INPUT_UNREADABLE,
                        where,
                        f"cannot read '{path}': {info.error}",
                        severity=Severity.WARNING,
                    )
                continue
            return info
    return None


def entries_of(path: str, tree: str) -> int | None:
    """How many entries the tree has: from the metadata already read (memory or disk) when there is some,
    else from the tree's header alone — planning a dataset of many files needs only their counts, and reading
    every branch of each (as ``tree_info`` does for the file whose branches are checked) costs half a second
    per NanoAOD file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    identity = (path, tree, st.st_size, st.st_mtime_ns)
    if identity in _SEEN:  # the branches were read (or loaded) in this process: the count came with them
        info = _read_tree_info(*identity)
        return info.entries if info.error is None else None
    from fasthep_flow.compiler import input_cache

    stored = input_cache.load(*identity)
    if stored is not None:
        return None if stored.get("error") else int(stored.get("entries", 0))
    alone = input_cache.load_entries(*identity)
    if alone is not None:
        return alone
    counted = _count_entries(*identity)
    if counted is not None:
        input_cache.store_entries(*identity, counted)
    return counted


@lru_cache(maxsize=1024)
def _count_entries(path: str, tree: str, size: int, mtime_ns: int) -> int | None:
    try:
        import uproot

        from fasthep_flow._root_metadata import open_tree
    except ImportError:
        return None
    try:
        with uproot.open(path) as f:
            if tree not in f:
                return None
            obj, _ = open_tree(f, tree, frozenset())
            return int(obj.num_entries)
    except Exception:  # unreadable: the run reports it, with its position
        return None


__all__ = ["MapNode", "TreeInfo", "check_input_kinds", "entries_of", "source_fields", "tree_info"]
