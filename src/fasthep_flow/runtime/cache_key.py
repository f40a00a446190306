"""The key of a node's product in one partition, as named ingredients, each hashed on its own.

A key is the hash of its ingredients; keeping them apart is what lets ``--explain`` say *which* changed:

- ``op``: the op's name and the import string of its implementation;
- ``code``: the source of the implementation's module (an edited op recomputes);
- ``params``: the params, ``applies_to`` and ``when`` in canonical JSON (keys sorted; YAML formatting,
  comments, key order and include layout are gone by the time the plan exists);
- ``functions``: for each expression function the params call, the source of the module defining it (a
  changed helper, or a helper of that helper in the same module, changes the key);
- ``inputs``: the keys of the upstream products the node reads (so a change flows downstream);
- ``partition`` (read nodes only): dataset, source, file identity (real path, size, modification time, the
  ROOT file's UUID, optionally a content hash) and entry range;
- ``context``: the workflow's globals and constants that ops and expressions may read, and the names of the
  run's datasets in order (the ``dataset_names`` context symbol: a dataset axis has one bin per dataset, so the
  same partition histogrammed in a run with other datasets is another product);
- ``versions``: fasthep-flow's and the numerical packages' versions.

Nothing from the environment (paths of the cache or output folder, host, time) enters a key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fasthep_flow._version import __version__
from fasthep_flow.plan import DatasetPlan, PlanNode

VERSION_PACKAGES = ("numpy", "awkward", "boost-histogram", "hist", "uproot")


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no whitespace, tuples as lists, non-JSON leaves by ``repr``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr, ensure_ascii=False)


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def key_of(ingredients: Mapping[str, str]) -> str:
    return hash_text(canonical_json(dict(ingredients)))


def changed(old: Mapping[str, str] | None, new: Mapping[str, str]) -> list[str]:
    """The ingredients that differ between two keys' ingredient sets (all of them when nothing is known)."""
    if old is None:
        return []
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


@functools.cache
def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {"fasthep-flow": __version__, "python": sys.version.split()[0]}
    for name in VERSION_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return hash_text(canonical_json(found))


_SOURCES: dict[tuple[str, int, int], str] = {}


def module_source_hash(module_name: str) -> str:
    """The hash of a module's source file (its name when the source cannot be read, e.g. a builtin).

    Memoised by the file's size and modification time, not by module name: a long-lived process (the
    language server) sees an edited helper.
    """
    module = sys.modules.get(module_name)
    if module is None:
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return hash_text(f"missing:{module_name}")
    path = getattr(module, "__file__", None)
    if not path:
        return hash_text(f"builtin:{module_name}")
    try:
        st = os.stat(path)
        memo = (path, st.st_size, st.st_mtime_ns)
        known = _SOURCES.get(memo)
        if known is None:
            known = _SOURCES[memo] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        return known
    except OSError:
        return hash_text(f"unreadable:{module_name}")


def code_hash(import_string: str) -> str:
    """The hash of the module that an import string ``module:callable`` points into."""
    return module_source_hash(import_string.split(":", 1)[0])


def called_functions(params: Any) -> set[str]:
    """Names of the functions the expressions among ``params``' string leaves call."""
    from fasthep_flow.expressions.parsing import Expr, parse

    found: set[str] = set()
    for text in _strings(params):
        expr = parse(text)
        if isinstance(expr, Expr):
            found.update(expr.functions)
    return found


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def functions_hash(params: Any, table: Mapping[str, str]) -> str:
    """The sources of the modules defining every expression function the params call (by the table)."""
    called = sorted(called_functions(params))
    parts = {name: (table[name], code_hash(table[name])) for name in called if name in table}
    return hash_text(canonical_json(parts))


@dataclass(frozen=True)
class FileIdentity:
    path: str
    size: int
    mtime_ns: int
    uuid: str | None
    sha256: str | None


_IDENTITIES: dict[tuple[str, int, int, bool], FileIdentity] = {}


def file_identity(path: str, content_hash: bool = False) -> FileIdentity | None:
    """Who a file is, cheaply: real path, size, modification time and, for ROOT files, the file's UUID."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    memo = (real, st.st_size, st.st_mtime_ns, content_hash)
    known = _IDENTITIES.get(memo)
    if known is not None:
        return known
    uuid = _root_uuid(real) if real.endswith(".root") else None
    sha = None
    if content_hash:
        from fasthep_flow.runtime.record import sha256_of

        sha = sha256_of(Path(real))
    identity = FileIdentity(real, st.st_size, st.st_mtime_ns, uuid, sha)
    _IDENTITIES[memo] = identity
    return identity


def _root_uuid(path: str) -> str | None:
    try:
        import uproot

        with uproot.open(path) as f:
            return str(f.file.uuid)
    except Exception:
        return None


def partition_identity(
    dataset: DatasetPlan, source: Any, file: str | None, start: int, stop: int | None, content_hash: bool
) -> str:
    identity = file_identity(file, content_hash) if file else None
    data = {
        "dataset": [dataset.name, dataset.eventtype, dataset.nevents, dataset.meta],
        "source": [source.name, source.kind, source.params, list(source.fields)],
        "file": identity.__dict__ if identity else file,
        "range": [start, stop],
    }
    return hash_text(canonical_json(data))


def node_ingredients(
    node: PlanNode,
    impl: str,
    inputs: Iterable[str],
    functions: Mapping[str, str],
    context: str,
    partition: str | None = None,
) -> dict[str, str]:
    """The named, separately hashed ingredients of a node's key in one partition."""
    params = {"params": node.params, "applies_to": node.applies_to, "when": node.when}
    out = {
        "op": hash_text(canonical_json([node.kind.value, node.op, impl])),
        "code": code_hash(impl),
        "params": hash_text(canonical_json(params)),
        "functions": functions_hash(node.params, functions),
        "inputs": hash_text(canonical_json(list(inputs))),
        "context": context,
        "versions": versions(),
    }
    if partition is not None:
        out["partition"] = partition
    return out


def context_hash(globals_: Any, constants: Any, dataset_names: Iterable[str] = ()) -> str:
    data = {"globals": globals_, "constants": constants, "dataset_names": list(dataset_names)}
    return hash_text(canonical_json(data))


def slot_of(
    workflow_file: str | None, node_id: str, dataset: str, file: str | None, start: int, stop: Any
) -> str:
    """A place in the plan (node × partition) whose last key ``--explain`` compares against."""
    return hash_text(canonical_json([workflow_file, node_id, dataset, file, start, stop]))
