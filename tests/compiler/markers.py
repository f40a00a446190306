"""Reading the expectation markers at the top of a diagnostics fixture (STYLE §4a).

A fixture starts with marker lines, 1-based positions counted in the file they name (marker lines included):

    # expect: 9:31 FF201
    # expect: 4:7 FF002, 12:3 FF303
    # expect-in: _includes/datasets_bad.yaml 4:7 FF002

``expect`` is about the fixture itself, ``expect-in`` about a file it includes (path relative to the fixture).
Marker lines stop at the first line that is not one; a description comment may follow. A malformed marker is
an error in the fixture, raised so the test fails loudly instead of expecting nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from fasthep_flow.document.diagnostics import Diagnostic

Expectation = tuple[Path, int, int, str]
"""(resolved file, 1-based line, 1-based column, code id)."""

_ITEM = re.compile(r"^(\d+):(\d+)\s+(FF\d{3})$")
_LINE = re.compile(r"^#\s*(expect|expect-in):\s*(.*?)\s*$")


class MarkerError(ValueError):
    """A fixture whose markers cannot be read."""


def _items(text: str, where: str) -> list[tuple[int, int, str]]:
    out = []
    for raw in text.split(","):
        m = _ITEM.match(raw.strip())
        if m is None:
            raise MarkerError(f"{where}: cannot read marker item {raw.strip()!r} (want LINE:COL FFnnn)")
        out.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return out


def read_expect_markers(path: Path) -> set[Expectation]:
    """Every (file, line, col, code) the fixture's header promises; an empty set when it has no markers."""
    path = path.resolve()
    found: set[Expectation] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = _LINE.match(line)
        if m is None:
            break
        where = f"{path.name}:{n}"
        kind, rest = m.groups()
        target = path
        if kind == "expect-in":
            rel, _, rest = rest.partition(" ")
            target = (path.parent / rel).resolve()
            if not target.is_file():
                raise MarkerError(f"{where}: expect-in names {rel!r}, which does not exist")
        for line_no, col, code in _items(rest, where):
            found.add((target, line_no, col, code))
    return found


def diagnostic_keys(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> set[Expectation]:
    """The same shape as the markers, from what the compiler reported (renderers add 1; so do we)."""
    return {
        (Path(d.span.file).resolve(), d.span.start.line + 1, d.span.start.col + 1, d.code.id)
        for d in diagnostics
    }


def describe(keys: set[Expectation], base: Path) -> list[str]:
    """Readable, sorted lines for an assertion message: ``_includes/x.yaml:4:7 FF002``."""

    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(base))
        except ValueError:
            return str(p)

    return sorted(f"{rel(f)}:{line}:{col} {code}" for f, line, col, code in keys)
