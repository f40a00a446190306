"""Finding plugins: the built-in three by import string, third-party ones through entry points.

``registry/`` never imports ``ops/`` statically (ops sit later in the layer order); the built-ins are loaded
from strings with importlib, like any plugin. A third-party plugin that fails to import, or whose entry point
is not a ``Plugin``, becomes a ``PluginProblem`` record — the tool keeps working without it.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.registry.specs import OpSpec, Plugin
from fasthep_flow.registry.trust import ImportFailed, isolated

ENTRY_POINT_GROUP = "fasthep_flow.registry"
BUILTIN_PLUGINS = (
    "fasthep_flow.ops.core:PLUGIN",
    "fasthep_flow.ops.hep:PLUGIN",
    "fasthep_flow.ops.render:PLUGIN",
)


@dataclass(frozen=True)
class PluginProblem:
    """A plugin (or one of its ops) that could not be used; shown as a warning, never raised."""

    source: str
    """The entry point (``name = module:attr``) or import string concerned."""
    message: str


@dataclass(frozen=True)
class Installed:
    plugins: tuple[Plugin, ...]
    problems: tuple[PluginProblem, ...] = ()


def import_object(ref: str) -> object:
    """The object named by ``module:attr`` (``attr`` may be dotted). Raises ImportError/AttributeError."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{ref!r} is not of the form 'module:attribute'")
    target: object = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def _check_plugin(obj: object, ref: str) -> Plugin:
    if not isinstance(obj, Plugin):
        raise TypeError(f"{ref} is a {type(obj).__name__}, not a fasthep_flow Plugin")
    for op in obj.ops:
        if not isinstance(op, OpSpec):
            raise TypeError(f"{ref}: plugin {obj.name!r} lists a {type(op).__name__} among its ops")
    return obj


@functools.cache
def builtin_plugins() -> tuple[Plugin, ...]:
    """The plugins shipped with fasthep-flow; failing to load one is a bug, not a user's problem."""
    plugins = []
    for ref in BUILTIN_PLUGINS:
        try:
            plugins.append(_check_plugin(import_object(ref), ref))
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            raise InternalError(f"bug: built-in plugin {ref} cannot be loaded: {exc}") from exc
    return tuple(plugins)


def entry_point_refs() -> list[tuple[str, str]]:
    """``(name, "module:attr")`` of every installed entry point of the group.

    Remembered in the user cache per state of the import path (the distributions found on ``sys.path`` and
    the mtimes of their ``entry_points.txt``: installing, removing or reinstalling one changes it). Importing
    ``importlib.metadata`` and scanning every installed distribution costs more than the rest of a `check`
    start-up; listing the folders of ``sys.path`` costs about a millisecond.
    """
    import hashlib
    import json
    import os
    import sys

    from fasthep_flow._cache import read_json, user_cache_dir, write_json

    state = []
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    stamp = os.stat(os.path.join(folder or ".", name, "entry_points.txt")).st_mtime_ns
                except OSError:
                    stamp = -1
                state.append((folder, name, stamp))
    key = hashlib.sha256(json.dumps([ENTRY_POINT_GROUP, state]).encode()).hexdigest()[:32]
    entry = user_cache_dir() / "entry-points" / f"{key}.json"
    found = read_json(entry)
    if isinstance(found, list) and all(isinstance(e, list) and len(e) == 2 for e in found):
        return [(str(n), str(v)) for n, v in found]

    import importlib.metadata

    refs = sorted({(ep.name, ep.value) for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})
    write_json(entry, [list(r) for r in refs])
    return refs


@functools.cache
def installed_plugins() -> Installed:
    """Built-ins first, then entry points of group ``fasthep_flow.registry`` (deduplicated; first wins)."""
    plugins = list(builtin_plugins())
    problems: list[PluginProblem] = []
    seen_refs = set(BUILTIN_PLUGINS)
    names = {p.name for p in plugins}
    for name, value in sorted(entry_point_refs()):
        ref = value.replace(" ", "")
        if ref in seen_refs:
            continue
        seen_refs.add(ref)
        source = f"{name} = {value}"
        try:
            with isolated(f"entry point {ref}"):  # its prints go to stderr, its SystemExit is contained
                loaded = import_object(ref)
            plugin = _check_plugin(loaded, ref)
        except ImportFailed as exc:
            problems.append(PluginProblem(source, f"plugin could not be loaded: {exc}"))
            continue
        except TypeError as exc:
            problems.append(PluginProblem(source, f"plugin could not be loaded: {type(exc).__name__}: {exc}"))
            continue
        if plugin.name in names:
            problems.append(
                PluginProblem(source, f"a plugin named {plugin.name!r} is already loaded; skipped")
            )
            continue
        names.add(plugin.name)
        plugins.append(plugin)
    return Installed(tuple(plugins), tuple(problems))
