"""``include:``: read the files a workflow names, deep-merge them under it, and remember every file read.

Each file is parsed on its own, so its nodes keep their own file's spans and line index: a problem inside an
included file is reported in that file, at its real place, and the including file gets one FF005 on its
``include:`` item pointing there. Merging builds new mapping and list nodes and never changes the parsed trees,
so one parse of a file can serve every place that includes it.

Merge rules (the included file is the base, the including file goes on top): mappings merge key by key, lists
concatenate (included items first), and for anything else the including file wins. The root ``include`` entry is
always the including file's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import unquote, urlparse

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Related, Severity, error
from fasthep_flow.document.files import UnreadableFile, prefix_index, read_workflow_file
from fasthep_flow.document.loader import Loaded, parse_yaml
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import LineIndex, Span

INCLUDE_KEY = "include"
MAX_MERGED_ITEMS = 50_000
"""List items merging includes may create: lists concatenate, so a file included many times (directly or
through a diamond of files) multiplies its lists, like nested YAML aliases."""


class FileReader(Protocol):
    def read(self, path: str) -> str | None:
        """The text of ``path``, or None when it is missing or unreadable (the LSP serves open buffers)."""
        ...


class DiskReader:
    """Reads UTF-8 files from disk, keeping line endings as they are so that offsets match the file.

    ``read_checked`` says why a file cannot be read (a FIFO, a device, too large, not UTF-8 and where);
    ``include:`` uses it when a reader has it, so those become diagnostics rather than "cannot be read".
    """

    def read(self, path: str) -> str | None:
        try:
            return read_workflow_file(path)
        except UnreadableFile:
            return None

    def read_checked(self, path: str) -> str:
        return read_workflow_file(path)


@dataclass(frozen=True)
class IncludeRef:
    node: ScalarNode
    """The ``include:`` item in the including file."""
    path: str
    """The resolved absolute path (the file may be missing: the edge is kept for go-to-definition)."""


@dataclass(frozen=True)
class LoadedWorkflow:
    root: MapNode | None
    """The merged tree (None when the main file is empty, unparseable or not a mapping)."""
    diagnostics: tuple[Diagnostic, ...]
    """From every file, each in its own file's spans."""
    files: dict[str, LineIndex]
    """Every file read, the main file first, for rendering source lines."""
    includes: tuple[IncludeRef, ...]
    """Every include edge, the main file's and nested ones."""
    main: Loaded | None = None
    """The main file's own parse (before merging includes): the basis for re-using it after a small edit."""


def load_workflow(
    text: str, file: str, reader: FileReader | None = None, previous: tuple[str, Loaded] | None = None
) -> LoadedWorkflow:
    """Parse ``text`` (the file ``file``) and everything it includes; never raises for a user's mistake.

    ``file`` is the name the spans of the main file carry (a path or an editor's ``file://`` URI); included
    files are named by their absolute paths, and ``reader`` is asked for exactly those paths. ``previous``
    (the main file's last text and parse) lets a one-scalar edit re-use that parse.
    """
    walker = _Includes(reader or DiskReader())
    main = parse_yaml(text, file, previous=previous)
    walker.files[file] = main.index
    walker.diagnostics.extend(main.diagnostics)
    root = walker.resolve(main, file, (_identity(file),))
    loaded = LoadedWorkflow(root, tuple(walker.diagnostics), walker.files, tuple(walker.includes), main)
    summaries = include_errors(loaded, loaded.diagnostics)
    return replace(loaded, diagnostics=(*loaded.diagnostics, *summaries)) if summaries else loaded


def include_errors(workflow: LoadedWorkflow, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One FF005 on each ``include:`` item whose file, or a file below it, has errors among ``diagnostics``.

    ``load_workflow`` adds these for the problems it finds itself (YAML syntax, duplicate keys, includes).
    A later layer that finds more errors in included files (an unknown key, say) drops the FF005s and asks
    again with every diagnostic, so that each include item carries one summary pointing at all of them.
    """
    return _summaries(workflow, [d for d in diagnostics if d.is_error], _summary)


def include_warnings(workflow: LoadedWorkflow, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One warning-level FF005 on each ``include:`` item whose file, or a file below it, has warnings.

    ``check`` prints warnings where they are; an editor shows only the open file, so the language service
    adds these to the including workflow (a wrong tree name in datasets.yaml is visible from workflow.yaml).
    """
    return _summaries(workflow, [d for d in diagnostics if d.severity is Severity.WARNING], _warning_summary)


def _summaries(
    workflow: LoadedWorkflow,
    diagnostics: list[Diagnostic],
    make: Callable[[ScalarNode, list[Diagnostic]], Diagnostic],
) -> list[Diagnostic]:
    errors: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.code is not codes.INCLUDE_ERROR:
            errors.setdefault(d.span.file, []).append(d)
    edges: dict[str, list[IncludeRef]] = {}
    for ref in workflow.includes:
        edges.setdefault(ref.node.span.file, []).append(ref)
    summaries: list[Diagnostic] = []
    below: dict[str, list[Diagnostic]] = {}

    def collect(file: str, chain: tuple[str, ...]) -> list[Diagnostic]:
        """The errors in ``file`` and the files it includes; summaries for its items on the way."""
        if file not in below:
            found = list(errors.get(file, ()))
            below[file] = found
            for ref in edges.get(file, ()):
                identity = _identity(ref.path)
                if identity in chain:
                    continue  # the include closing a loop: FF004 says so
                inner = collect(ref.path, (*chain, identity))
                if inner:
                    summaries.append(make(ref.node, inner))
                found.extend(inner)
        return below[file]

    if workflow.files:
        main = next(iter(workflow.files))
        collect(main, (_identity(main),))
    return summaries


def _summary(item: ScalarNode, problems: list[Diagnostic]) -> Diagnostic:
    count = len(problems)
    return error(
        codes.INCLUDE_ERROR,
        item.span,
        f"included file '{item.text}' has {count} error{'s' if count > 1 else ''}",
        hint="they are reported in that file",
        related=tuple(Related(d.span, f"{d.code.id}: {d.message}") for d in problems),
    )


def _warning_summary(item: ScalarNode, problems: list[Diagnostic]) -> Diagnostic:
    count = len(problems)
    return Diagnostic(
        codes.INCLUDE_ERROR,
        Severity.WARNING,
        item.span,
        f"included file '{item.text}' has {count} warning{'s' if count > 1 else ''}",
        hint="they are reported in that file",
        related=tuple(Related(d.span, f"{d.code.id}: {d.message}") for d in problems),
    )


def _path_of(file: str) -> str:
    """A filesystem path for ``file``, which may be a ``file://`` URI as an editor names it."""
    if file.startswith("file:"):
        return unquote(urlparse(file).path)
    return file


def _identity(path: str) -> str:
    """What makes two names the same file, for cycle detection (symlinks and ``..`` resolved)."""
    return os.path.realpath(_path_of(path))


@dataclass
class _Includes:
    reader: FileReader
    files: dict[str, LineIndex] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    includes: list[IncludeRef] = field(default_factory=list)
    trees: dict[str, MapNode | None] = field(default_factory=dict)
    """Each included file's merged tree: read and resolved once however often it is included."""
    unreadable: set[str] = field(default_factory=set)
    budget: list[int] = field(default_factory=lambda: [MAX_MERGED_ITEMS])
    too_large: bool = False
    """The budget ran out: from then on no file's includes are merged (one FF008, at the first item)."""
    """List items merging may still create (one shared count for the whole workflow)."""
    problems: dict[str, UnreadableFile] = field(default_factory=dict)
    """Why a file could not be read, when the reader could say (reported at the ``include:`` item)."""

    def resolve(self, loaded: Loaded, file: str, chain: tuple[str, ...]) -> MapNode | None:
        """The tree of ``loaded`` with its includes merged under it.

        ``chain`` holds the identities of the files including this one, itself last.
        """
        root = loaded.root
        if not isinstance(root, MapNode):
            return None
        base: MapNode | None = None
        folder = os.path.dirname(os.path.abspath(_path_of(file)))
        for item in self._items(root):
            path = os.path.normpath(os.path.join(folder, item.text.strip()))
            self.includes.append(IncludeRef(item, path))
            tree = self._include(item, path, chain)
            if tree is not None and not self.too_large:
                try:
                    base = tree if base is None else _merge_maps(base, tree, self.budget, root=True)
                except _MergeTooLarge:
                    self._too_large(item)
        if self.too_large:
            return root  # nothing merged: a partial merge would still be huge for every later pass
        try:
            return root if base is None else _merge_maps(base, root, self.budget, root=True)
        except _MergeTooLarge:
            self._too_large(None)
            return root

    def _too_large(self, item: ScalarNode | None) -> None:
        first = not self.too_large
        self.too_large = True
        if not first or item is None:
            return
        self.diagnostics.append(
            error(
                codes.TOO_LARGE,
                item.span,
                f"including '{item.text}' makes the workflow too large: merging includes would build more "
                f"than {MAX_MERGED_ITEMS:,} list items",
                hint="lists of included files are concatenated: a file included many times, directly or "
                "through others, repeats its lists each time; include it once",
            )
        )

    def _items(self, root: MapNode) -> list[ScalarNode]:
        value = root.get(INCLUDE_KEY)
        if value is None or (isinstance(value, ScalarNode) and value.value is None):
            return []
        candidates = value.items if isinstance(value, SeqNode) else [value]
        items: list[ScalarNode] = []
        for node in candidates:
            if isinstance(node, ScalarNode) and isinstance(node.value, str) and node.value.strip():
                items.append(node)
            else:
                self.diagnostics.append(
                    error(
                        codes.PARAM_TYPE,
                        node.span,
                        "`include` takes a file name or a list of file names",
                        hint="write `include: [datasets.yaml, styles.yaml]`, paths relative to this file",
                    )
                )
        return items

    def _include(self, item: ScalarNode, path: str, chain: tuple[str, ...]) -> MapNode | None:
        identity = _identity(path)
        if identity in chain:
            loop = " -> ".join(os.path.basename(p) for p in (*chain[chain.index(identity) :], identity))
            self.diagnostics.append(
                error(
                    codes.INCLUDE_CYCLE,
                    item.span,
                    f"files include each other in a loop: {loop}",
                    hint="remove this include: a file cannot include itself, directly or through others",
                )
            )
            return None
        if identity not in self.trees and identity not in self.unreadable:
            self._read(path, identity, chain)
        problem = self.problems.get(identity)
        if problem is not None:
            self.diagnostics.append(
                error(
                    problem.code,
                    item.span,
                    f"included file '{item.text}': {problem.message}",
                    hint=problem.hint,
                )
            )
            return None
        if identity in self.unreadable:
            self.diagnostics.append(
                error(
                    codes.INCLUDE_MISSING,
                    item.span,
                    f"included file '{item.text}' does not exist or cannot be read",
                    hint=f"looked for {path}",
                )
            )
            return None
        return self.trees[identity]

    def _read(self, path: str, identity: str, chain: tuple[str, ...]) -> None:
        checked = getattr(self.reader, "read_checked", None)
        try:
            text = checked(path) if checked is not None else self.reader.read(path)
        except UnreadableFile as problem:
            if problem.missing:
                text = None
            elif problem.code is codes.NOT_UTF8:  # reported at the first bad byte; FF005 on the item
                self.trees[identity] = None
                self.files.setdefault(path, prefix_index(problem))
                self.diagnostics.append(
                    error(problem.code, Span.point(path, problem.pos), problem.message, hint=problem.hint)
                )
                return
            else:
                self.trees[identity] = None
                self.problems[identity] = problem
                return
        if text is None:
            self.unreadable.add(identity)
            return
        loaded = parse_yaml(text, path)
        self.files.setdefault(path, loaded.index)
        self.diagnostics.extend(loaded.diagnostics)
        self.trees[identity] = self.resolve(loaded, path, (*chain, identity))


class _MergeTooLarge(Exception):
    """Merging includes went over ``MAX_MERGED_ITEMS``."""


def _merge_maps(base: MapNode, top: MapNode, budget: list[int], *, root: bool = False) -> MapNode:
    """``top`` deep-merged over ``base`` as new nodes; both inputs stay as they were.

    ``base``'s keys come first in their order, then ``top``'s new ones; a duplicate key stays where it was
    (only the first of a name is merged, as ``MapNode.get`` reads it). At the ``root`` the ``include`` entry is
    ``top``'s own: ``base``'s includes were already followed.
    """
    first_in_top: dict[str, Entry] = {}
    for entry in top.entries:
        first_in_top.setdefault(entry.name, entry)
    merged: set[str] = set()
    entries: list[Entry] = []
    for entry in base.entries:
        name = entry.name
        if root and name == INCLUDE_KEY:
            continue
        over = first_in_top.get(name)
        if over is None or name in merged:
            entries.append(entry)
        else:
            merged.add(name)
            entries.append(Entry(over.key, _merge_nodes(entry.value, over.value, budget)))
    entries.extend(e for e in top.entries if not (e.name in merged and first_in_top[e.name] is e))
    return MapNode(top.span, top.index, entries)


def _merge_nodes(base: Node, top: Node, budget: list[int]) -> Node:
    """Mappings merge recursively, lists concatenate (``base``'s items first), otherwise ``top`` wins."""
    if isinstance(base, MapNode) and isinstance(top, MapNode):
        return _merge_maps(base, top, budget)
    if isinstance(base, SeqNode) and isinstance(top, SeqNode):
        budget[0] -= len(base.items) + len(top.items)
        if budget[0] < 0:
            raise _MergeTooLarge
        return SeqNode(top.span, top.index, [*base.items, *top.items])
    return top
