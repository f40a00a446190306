"""An immutable snapshot of one open workflow: its text, version and (lazily, once) its parse and compile.

Every feature of the language service takes a ``Document``; answering hover, completion and diagnostics for
the same version shares one parse and one compile. A snapshot never changes, so it can be handed to a worker
thread while the editor keeps sending edits.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlparse

from fasthep_flow.document.spans import LineIndex, Pos

if TYPE_CHECKING:
    from fasthep_flow.compiler import CompileResult
    from fasthep_flow.compiler.symbols import SymbolIndex
    from fasthep_flow.document.loader import Loaded
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.cursor import Place


def uri_to_path(uri: str) -> str:
    """The filesystem path of a ``file:`` URI; any other string is returned as it is (untitled buffers)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    path = unquote(parsed.path)
    if parsed.netloc:
        path = f"//{parsed.netloc}{path}"
    if len(path) >= 3 and path[0] == "/" and path[2] == ":":  # file:///C:/x -> C:/x
        return str(PureWindowsPath(path[1:]))
    return path


def path_to_uri(path: str) -> str:
    """The ``file:`` URI of an absolute path (spans name files by path; the editor names them by URI)."""
    if "://" in path or not path:
        return path
    if PureWindowsPath(path).drive:
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe="/:")
    return "file://" + quote(str(PurePosixPath(path)), safe="/")


@dataclass(frozen=True, eq=False)
class Document:
    uri: str
    text: str
    version: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _compiling: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _compiled: dict[Context, CompileResult] = field(default_factory=dict, repr=False, compare=False)
    _variants: dict[int, Document] = field(default_factory=dict, repr=False, compare=False)
    _basis: list[Document] = field(default_factory=list, repr=False, compare=False)
    _places: dict[Pos, Place] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def path(self) -> str:
        """The file name spans carry for this document (a path for ``file:`` URIs, the URI otherwise)."""
        return uri_to_path(self.uri)

    @cached_property
    def directory(self) -> Path | None:
        path = Path(self.path)
        return path.parent if path.is_absolute() else None

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    @property
    def parsed(self) -> Loaded:
        """This file alone as a node tree (no includes): locating the cursor needs only this file's nodes.

        The compile of this text already parsed it (``loaded.main``): that tree is the one used when it
        exists, so symbols, tokens and links after an edit do not read the YAML a second time.
        """
        own = self.own_compile()
        if own is not None and own.loaded.main is not None:
            return own.loaded.main
        return self._parsed_alone

    @cached_property
    def _parsed_alone(self) -> Loaded:
        """Before this version is compiled (symbols or tokens asked right after a keystroke): typing inside
        one scalar re-uses the parse of the version it follows, as the compile will."""
        from fasthep_flow.document.loader import parse_yaml

        return parse_yaml(self.text, self.path, previous=self._previous_parse())

    def compiled(self, ctx: Context) -> CompileResult:
        """The full compile (includes, registry, data-flow, plan) — once per version and workspace snapshot.

        One compile at a time per snapshot (a second caller waits for the first and shares its result); the
        cache itself is guarded separately, so ``own_compile``/``names`` never wait for a compile to finish.
        """
        with self._lock:
            found = self._compiled.get(ctx)
        if found is not None:
            return found
        with self._compiling:
            with self._lock:
                found = self._compiled.get(ctx)
            if found is None:
                from fasthep_flow.compiler import CompileOptions, compile_text

                options = CompileOptions(
                    trust=ctx.trust,
                    check_inputs=ctx.settings.check_inputs,
                    reader=ctx.reader,
                    project_root=ctx.project_root,
                    previous=self._own_parse() or self._previous_parse(),
                )
                found = compile_text(self.text, self.path, options)
                with self._lock:
                    if len(self._compiled) > 2:  # keep only recent workspace snapshots
                        self._compiled.pop(next(iter(self._compiled)))
                    self._compiled[ctx] = found
                    self._basis.clear()  # no chain of old snapshots stays alive behind this one
            return found

    @property
    def has_tree(self) -> bool:
        """True when this text's tree is at hand without parsing."""
        own = self.own_compile()
        return "_parsed_alone" in self.__dict__ or (own is not None and own.loaded.main is not None)

    def _own_parse(self) -> tuple[str, Loaded] | None:
        """This text's tree when a feature already asked for it before the compile (the loader takes the same
        text's tree as it is: one parse per version)."""
        parsed = self.__dict__.get("_parsed_alone")
        return (self.text, parsed) if parsed is not None else None

    def _previous_parse(self) -> tuple[str, Loaded] | None:
        """The parse of the snapshot this one follows, when it has been compiled: typing inside one scalar
        then re-uses it instead of parsing the whole file again (``document/reparse.py``)."""
        basis = next(iter(self._basis), None)
        older = basis.own_compile() if basis is not None else None
        if basis is None or older is None or older.loaded.main is None:
            return None
        return basis.text, older.loaded.main

    def own_compile(self) -> CompileResult | None:
        """The latest compile of this very text, if one has run (for any workspace snapshot)."""
        with self._lock:
            return next(reversed(self._compiled.values()), None) if self._compiled else None

    def follows(self, previous: Document | None) -> Document:
        """Remember the snapshot this one replaces: completion can take names from its compile meanwhile.

        While the user types, a completion request usually arrives before this version has been compiled
        (diagnostics wait for a pause). The stages, fields, styles and registry of the version one keystroke
        older are as good for offering names, and cost nothing; positions always come from this text.
        """
        if previous is not None and previous is not self:
            basis = previous if previous.own_compile() is not None else next(iter(previous._basis), None)
            if basis is not None:
                self._basis[:] = [basis]
        return self

    def names(self, ctx: Context, near: Pos | None = None) -> CompileResult:
        """A compile to take names from: this version's if it has one (or there is nothing older), else the
        one this snapshot follows; while the text does not parse, that of the text mended around the cursor."""
        own = self.own_compile()
        if own is not None and (own.loaded.root is not None or near is None):
            return own
        basis = next(iter(self._basis), None)
        older = basis.own_compile() if basis is not None else None
        if older is not None and older.loaded.root is not None:
            return older
        result = self.compiled(ctx)
        if result.loaded.root is not None or near is None:
            return result
        return self.mended(near.line).compiled(ctx)

    def index(self, ctx: Context, near: Pos | None = None) -> SymbolIndex:
        """The symbol index for names (see ``names``): completion must work while typing ``needs: [Bas``."""
        return self.names(ctx, near).index

    def place(self, pos: Pos) -> Place:
        """Which node of this file's tree is at ``pos`` (``service/cursor.py``): every editor feature asks this.

        Kept for a few positions (hover, completion and highlights often ask about the same one)."""
        with self._lock:
            found = self._places.get(pos)
        if found is None:
            from fasthep_flow.service.cursor import place_at, place_in_stage

            previous = self._previous_parse()
            if not self.has_tree and previous is not None:
                # typed a moment ago, not parsed yet: the stage being typed in is enough (the compile that
                # follows parses the whole text once, for diagnostics)
                found = place_in_stage(self.text, pos, self.path, previous, self.lines)
            if found is None:
                parsed = self.parsed
                reference = (self.text, parsed) if parsed.root is not None else previous
                found = place_at(self.text, pos, self.path, parsed, reference)
            with self._lock:
                if len(self._places) >= 8:
                    self._places.pop(next(iter(self._places)))
                self._places[pos] = found
        return found

    def mended(self, line: int) -> Document:
        """This document with the cursor's line blanked and any other line the loader stops at closed or
        blanked (``cursor.tolerant_text``): what a half-typed workflow says so far."""
        with self._lock:
            doc = self._variants.get(line)
        if doc is None:
            from fasthep_flow.service.cursor import tolerant_text

            doc = Document(self.uri, tolerant_text(self.text, self.path, blank=line), self.version)
            with self._lock:
                if len(self._variants) >= 4:
                    self._variants.pop(next(iter(self._variants)))
                doc = self._variants.setdefault(line, doc)
        return doc

    def offset(self, pos: Pos) -> int:
        return self.lines.offset(pos)
