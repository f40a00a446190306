"""Which implementation runs each plan node: import strings taken from the registry's specs.

The registry (in the process that calls ``run_plan``) knows each op's ``impl = "module:callable"``. The
runtime copies those strings into ``Bindings`` — plain, picklable data — and every process (a thread pool's, a
process pool's worker, a Dask worker) imports them itself, once, through ``resolve``. There is no second table
of implementations here: an op without ``impl`` is a bug in its plugin and stops the run before it starts.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fasthep_flow.document.diagnostics import InternalError
from fasthep_flow.plan import JOIN_KIND, ExecutionPlan, NodeKind, PlanNode
from fasthep_flow.registry.trust import ImportFailed, isolated

READ_JOIN = "fasthep_flow.runtime.joins:read_join"
"""The reader of every join (a `SourcePlan` of kind ``JOIN_KIND``): it reads the join's inputs."""
MERGE_PRODUCTS = "fasthep_flow.ops.core.products:merge_products"
"""How products of two partitions are merged (histograms add, cutflows add)."""


class SpecLike(Protocol):
    name: str
    kind: Any
    impl: str | None


class RegistryLike(Protocol):
    """The part of ``fasthep_flow.registry.Registry`` the runtime uses."""

    def stage_op(self, name: str) -> SpecLike | None: ...
    def source(self, name: str) -> SpecLike | None: ...
    def render(self, name: str) -> SpecLike | None: ...
    def observer(self, name: str) -> SpecLike | None: ...

    @property
    def functions(self) -> Mapping[str, Any]: ...

    @property
    def constants(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Bindings:
    nodes: Mapping[str, str]
    """Plan node id -> ``module:callable`` (a read node gets its source's ``read``)."""
    sinks: frozenset[str] = frozenset()
    """Stage nodes whose op is a sink: they write their input stream and pass it on unchanged."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Source name -> the ``read`` import string; ``entries`` is looked up beside it."""
    functions: Mapping[str, str] = field(default_factory=dict)
    """Expression function name -> import string (the table handed to ops as ``ctx.functions``)."""
    constants: Mapping[str, Any] = field(default_factory=dict)
    merge: str = MERGE_PRODUCTS
    """Import string of ``merge_products(a, b)``; a registry may name its own (``merge_products``)."""
    once: frozenset[str] = frozenset()
    """Stage nodes whose op runs once per run after the partitions (``OpSpec.once``): never a partition step."""

    @staticmethod
    def from_registry(plan: ExecutionPlan, registry: RegistryLike) -> Bindings:
        nodes: dict[str, str] = {}
        sinks: set[str] = set()
        sources: dict[str, str] = {}
        once: set[str] = set()
        seen: dict[tuple[str, str], tuple[str, bool, bool]] = {}  # one registry lookup per op, not per node
        for source in plan.sources:
            if source.kind == JOIN_KIND:  # read by reading its inputs: no registry op of its own
                sources[source.name] = READ_JOIN
                continue
            sources[source.name] = _impl(_lookup(registry, "source", source.kind), source.kind)
        for node in plan.nodes:
            if node.kind is NodeKind.READ:
                name = read_source_name(node)
                if name not in sources:
                    raise InternalError(f"plan node {node.id!r} reads source {name!r}, which the plan lacks")
                nodes[node.id] = sources[name]
                continue
            key = _group_and_op(plan, node)
            found = seen.get(key)
            if found is None:
                spec = _lookup(registry, *key)
                found = seen[key] = (
                    _impl(spec, key[1]),
                    _kind_name(spec) == "sink",
                    bool(getattr(spec, "once", False)),
                )
            nodes[node.id] = found[0]
            if node.kind is NodeKind.STAGE and found[1]:
                sinks.add(node.id)
            if node.kind is NodeKind.STAGE and found[2]:
                once.add(node.id)
        functions = {name: spec.impl for name, spec in dict(getattr(registry, "functions", {}) or {}).items()}
        constants = dict(getattr(registry, "constants", {}) or {})
        merge = getattr(registry, "merge_products", None)
        merge = merge if isinstance(merge, str) and merge else MERGE_PRODUCTS
        return Bindings(nodes, frozenset(sinks), sources, functions, constants, merge, frozenset(once))


def read_source_name(node: PlanNode) -> str:
    """``read.<source>`` names its source in its id (or in ``params['source']`` when the compiler sets it)."""
    explicit = node.params.get("source") if isinstance(node.params, Mapping) else None
    if isinstance(explicit, str):
        return explicit
    return node.id.split(".", 1)[1] if "." in node.id else node.id


def render_op(plan: ExecutionPlan, node: PlanNode) -> str:
    """A render node draws with its style's ``op`` (the node's own ``op`` when the style names none)."""
    style_name = node.params.get("style")
    style = plan.styles.get(style_name) if isinstance(style_name, str) else None
    if isinstance(style, Mapping) and isinstance(style.get("op"), str):
        return style["op"]
    return node.op


def _group_and_op(plan: ExecutionPlan, node: PlanNode) -> tuple[str, str]:
    if node.kind in (NodeKind.STAGE, NodeKind.WRITE):
        return "stage_op", node.op
    if node.kind is NodeKind.RENDER:
        return "render", render_op(plan, node)
    if node.kind is NodeKind.INSPECT:
        return "observer", node.op
    raise InternalError(f"plan node {node.id!r} has an unknown kind {node.kind!r}")


def _lookup(registry: RegistryLike, group: str, op: str) -> SpecLike:
    try:
        spec = getattr(registry, group)(op)
    except KeyError:
        spec = None
    if spec is None:
        raise InternalError(f"op {op!r} is not in the registry ({group}); the plan and registry disagree")
    return spec


def _impl(spec: SpecLike, op: str) -> str:
    impl = getattr(spec, "impl", None)
    if not impl:
        raise InternalError(f"op {op!r} has no implementation: its spec's `impl` is not set")
    return impl


def _kind_name(spec: SpecLike) -> str:
    kind = spec.kind
    return str(getattr(kind, "value", kind)).lower()


@functools.cache
def resolve(ref: str) -> Callable[..., Any]:
    """Import ``module:callable`` (``module:Class.method`` works too), once per process."""
    module_name, sep, attr_path = ref.partition(":")
    if not sep or not module_name or not attr_path:
        raise InternalError(f"implementation {ref!r} is not of the form 'module:callable'")
    try:
        # isolated: a (trusted) plugin's prints must not reach a language server's stdout, its SystemExit
        # must not end the process that runs the plan
        with isolated(f"importing implementation {ref!r}"):
            target: Any = importlib.import_module(module_name)
            for part in attr_path.split("."):
                target = getattr(target, part)
    except ImportFailed as exc:
        raise InternalError(f"implementation {ref!r} cannot be imported: {exc}") from exc
    if not callable(target):
        raise InternalError(f"implementation {ref!r} is not callable")
    return target


def resolve_beside(ref: str, name: str) -> Callable[..., Any]:
    """A function living in the same module as ``ref`` (a source's ``entries`` beside its ``read``)."""
    module_name = ref.partition(":")[0]
    return resolve(f"{module_name}:{name}")


@functools.cache
def _function_table(items: tuple[tuple[str, str], ...]) -> dict[str, Callable[..., Any]]:
    return {name: resolve(ref) for name, ref in items}


def function_table(bindings: Bindings) -> Mapping[str, Callable[..., Any]]:
    """The expression function table for ``RunContext.functions``, built once per process."""
    return _function_table(tuple(sorted(bindings.functions.items())))
