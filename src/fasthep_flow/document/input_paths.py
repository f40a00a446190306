"""Where a relative input path points: the project root first (upstream's rule), then the workflow's folder.

Upstream FAST-HEP resolves dataset files and profile paths against the project root — the working directory
the tool runs in — and falls back, with a deprecation warning, to the entry workflow's folder; ours used the
folder of the file that wrote the path. Both are tried, in that order, and the answer says when the choice is
worth a warning: the path exists only in a fallback folder, or in two folders as different files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Resolved:
    path: str
    """The path used (absolute for local paths; URIs and absolute paths unchanged)."""
    note: str | None = None
    """Why the choice deserves a warning, or None."""


def project_root(given: Path | None = None) -> Path:
    """The project root: the one given (the editor's workspace folder), else the working directory."""
    return (given or Path(os.getcwd())).resolve()


def resolve_input(text: str, root: Path | None, *fallbacks: Path | None) -> Resolved:
    """Resolve ``text`` against ``root``, then each fallback folder in turn."""
    if "://" in text:
        return Resolved(text)
    p = Path(text).expanduser()
    if p.is_absolute():
        return Resolved(str(p))
    bases = [b for b in (root, *fallbacks) if b is not None]
    if not bases:
        return Resolved(text)
    candidates: list[Path] = []
    for base in bases:
        c = (base / p).resolve()
        if c not in candidates:
            candidates.append(c)
    found = [c for c in candidates if c.exists()]
    first = candidates[0]
    if not found:
        # report the missing file where the old rule looked (beside the file that wrote it), unless only
        # the project root was given
        return Resolved(str(candidates[-1] if len(candidates) > 1 and root is not None else first))
    chosen = found[0]
    if chosen != first:
        return Resolved(
            str(chosen),
            f"'{text}' is not under the project root ({root}); using {chosen} "
            "(relative paths resolve against the project root first, as upstream does)",
        )
    if len(found) > 1 and not _same_file(found[0], found[1]):
        return Resolved(
            str(chosen),
            f"'{text}' exists under the project root and beside the workflow; using the project root's {chosen}",
        )
    return Resolved(str(chosen))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
