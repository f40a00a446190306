"""Workspace trust: opening a workflow must never run code that came with it.

A `registry:` layer names Python code (``module:ATTR``). Importing it runs that module, so an editor that
merely opened a cloned repository would execute whatever the repository ships. The rule: a module is imported
only when it is importable *without* the workflow's folder on ``sys.path`` (``''`` counts when the current
directory is inside it) and its files are not inside the workflow's folder — i.e. it was installed — or when
the user said ``trust=True``.

Deciding needs no import: ``PathFinder.find_spec`` on the top-level name only reads directories. Importing an
installed module then happens with the workspace entries removed from ``sys.path``, so that a same-named file
in the workspace cannot shadow it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Verdict:
    module: str
    trusted: bool
    """Importable from installed locations only (no workspace code involved)."""
    found: bool
    """Importable at all (from installed locations or the workspace)."""
    location: str | None = None
    """Where the module was found (a file or package folder), for messages."""

    @property
    def in_workspace(self) -> bool:
        return self.found and not self.trusted


_IMPORT_LOCK = threading.Lock()


def _resolved(entry: str) -> Path | None:
    try:
        return Path(entry or os.curdir).resolve()
    except (OSError, RuntimeError):
        return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _workspace_roots(workflow_dir: Path | None) -> list[Path]:
    """The folder whose code counts as the workspace's (none for an unsaved document)."""
    root = _resolved(str(workflow_dir)) if workflow_dir is not None else None
    return [root] if root is not None else []


def installed_path(workflow_dir: Path | None) -> list[str]:
    """``sys.path`` without entries that are, or lie inside, the workflow's folder (``''`` is the cwd)."""
    roots = _workspace_roots(workflow_dir)
    out = []
    for entry in sys.path:
        r = _resolved(entry)
        if r is None or not any(_inside(r, root) for root in roots):
            out.append(entry)
    return out


def _locations(origin: str | None, search: Any) -> list[Path]:
    locs = [Path(origin)] if origin and origin not in ("built-in", "frozen") else []
    locs.extend(Path(p) for p in (search or ()))
    return [r for loc in locs if (r := _resolved(str(loc))) is not None]


def check_module(module: str, workflow_dir: Path | None) -> Verdict:
    """Whether ``module`` may be imported without the user trusting the workspace; imports nothing."""
    top = module.split(".", 1)[0]
    roots = _workspace_roots(workflow_dir)
    if not top.isidentifier():
        return Verdict(module, trusted=False, found=False)
    if top in sys.builtin_module_names:
        return Verdict(module, trusted=True, found=True, location="built-in")
    loaded = sys.modules.get(top)
    if loaded is not None:
        locs = _locations(getattr(loaded, "__file__", None), getattr(loaded, "__path__", None))
    else:
        installed = installed_path(workflow_dir)
        spec = PathFinder.find_spec(top, installed)
        if spec is None:
            # the workflow's folder, and sys.path entries inside it (an editable install of workspace code)
            workspace = [str(r) for r in roots] + [e for e in sys.path if e not in installed]
            local = PathFinder.find_spec(top, workspace)
            if local is None:
                return Verdict(module, trusted=False, found=False)
            where = _locations(local.origin, local.submodule_search_locations)
            return Verdict(module, trusted=False, found=True, location=str(where[0]) if where else None)
        locs = _locations(spec.origin, spec.submodule_search_locations)
    location = str(locs[0]) if locs else None
    if any(_inside(loc, root) for loc in locs for root in roots):
        return Verdict(module, trusted=False, found=True, location=location)
    return Verdict(module, trusted=True, found=True, location=location)


@contextlib.contextmanager
def _sys_path(entries: list[str]) -> Iterator[None]:
    saved = sys.path[:]
    sys.path[:] = entries
    try:
        yield
    finally:
        sys.path[:] = saved


def import_module(module: str, workflow_dir: Path | None, trusted_workspace: bool) -> Any:
    """Import ``module``: from installed locations only, or also from the workflow's folder when trusted.

    Raises ImportError (or whatever the module raises while importing); callers turn it into a diagnostic.
    """
    with _IMPORT_LOCK:
        if trusted_workspace:
            extra = [str(workflow_dir)] if workflow_dir is not None else []
            entries = extra + [e for e in sys.path if e not in extra]
        else:
            entries = installed_path(workflow_dir)
        with _sys_path(entries):
            return importlib.import_module(module)
