"""Workspace trust: opening a workflow must never run code the workflow names.

A workflow names Python code in two ways: ``registry:`` layers (``spec: "module:ATTR"``, ``impl:``) and
module-named profiles (``use: {profiles: ["pkg:name"]}``, a resource of the package ``pkg``). Importing a
module runs it — ``venv.__main__`` creates a virtualenv, ``this`` prints to stdout — so *any* module a workflow
names counts, installed or not, standard library included. The rule, like an editor's workspace trust:
without ``trust=True`` nothing a workflow names is imported; only fasthep-flow's built-in ops and the plugins
installed packages register through the ``fasthep_flow.registry`` entry point are loaded (the user chose to
install those).

Every import of a name that came from a workflow goes through ``importing()`` (the single gate): it refuses
without trust (``NotTrusted``), and with trust it isolates the import — ``print`` output goes to stderr (so it
can never reach a language server's JSON-RPC stream on stdout), and any ``BaseException`` the module raises
(``SystemExit`` included; only ``KeyboardInterrupt`` passes) becomes ``ImportFailed``, which callers turn
into a diagnostic.

``check_module`` decides where a module *would* come from without importing it: ``PathFinder.find_spec`` on
the top-level name only reads directories. Installed modules are imported with the workspace entries removed
from ``sys.path``, so that a same-named file in the workspace cannot shadow them.
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


UNTRUSTED_HINT = (
    "trust the workspace to load it: `--trust` on the command line, workspace trust in the editor"
)

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


class NotTrusted(Exception):
    """A module named by a workflow may not be imported: the workspace is not trusted."""

    def __init__(self, module: str) -> None:
        super().__init__(f"module '{module}' not imported: workspace not trusted")
        self.module = module


class ImportFailed(Exception):
    """Importing a module named by a workflow raised (anything, ``SystemExit`` included)."""


@contextlib.contextmanager
def _sys_path(entries: list[str]) -> Iterator[None]:
    saved = sys.path[:]
    sys.path[:] = entries
    try:
        yield
    finally:
        sys.path[:] = saved


@contextlib.contextmanager
def isolated(what: str) -> Iterator[None]:
    """Run third-party import-time code with its ``print`` output on stderr and its exceptions contained.

    Used for trusted workflow code and for installed plugins' entry points alike: a language server speaks
    JSON-RPC on stdout, so a stray ``print`` there would corrupt the stream, and a ``SystemExit`` raised by
    an import would end the server. ``KeyboardInterrupt`` is the user's and is not swallowed.
    """
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except KeyboardInterrupt:
        raise
    except ImportFailed:
        raise
    except BaseException as exc:  # SystemExit & co. from imported code become a diagnostic
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ImportFailed(f"{what} raised {detail}") from exc


@contextlib.contextmanager
def importing(
    module: str, workflow_dir: Path | None, *, trust: bool, from_workspace: bool = False
) -> Iterator[None]:
    """The gate around any import of a module a workflow names (the module itself, or its resources).

    Raises ``NotTrusted`` without trust, before anything is imported. With trust, the import sees installed
    locations only, or (``from_workspace``) the workflow's folder first; it holds a lock (``sys.path`` is
    process-wide) and is ``isolated``.
    """
    if not trust:
        raise NotTrusted(module)
    with _IMPORT_LOCK:
        if from_workspace:
            extra = [str(workflow_dir)] if workflow_dir is not None else []
            entries = extra + [e for e in sys.path if e not in extra]
        else:
            entries = installed_path(workflow_dir)
        with _sys_path(entries), isolated(f"importing '{module}'"):
            yield


def import_module(
    module: str, workflow_dir: Path | None, *, trust: bool, from_workspace: bool = False
) -> Any:
    """Import ``module`` through the gate (see ``importing``).

    Raises ``NotTrusted`` (no trust given), ``ImportFailed`` (the import raised) or ImportError.
    """
    with importing(module, workflow_dir, trust=trust, from_workspace=from_workspace):
        return importlib.import_module(module)
