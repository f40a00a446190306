"""The registry a workflow compiles against: ops by namespace, functions, constants, profiles, layers.

``load_registry`` is called by the compiler for every compile — the LSP compiles on each keystroke — so the
part that depends only on installed plugins and built-in profiles is built once per process and shared (the
same ``Registry`` object comes back, which also lets callers cache per registry). Only workflows with profile
files or ``registry:`` layers get a registry of their own.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, InternalError, error, warning
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.registry.plugins import PluginProblem, installed_plugins
from fasthep_flow.registry.profiles import available_profiles, deep_merge, resolve_profiles
from fasthep_flow.registry.sections import SECTIONS, ReportTemplate, read_sections
from fasthep_flow.registry.specs import FunctionSpec, KindGroup, OpSpec, Plugin, Profile
from fasthep_flow.registry.suggest import suggest as _suggest
from fasthep_flow.registry.trust import (
    UNTRUSTED_HINT,
    ImportFailed,
    NotTrusted,
    check_module,
    import_module,
    isolated,
)


@dataclass(frozen=True, eq=False)
class RegistryLayer:
    """One ``registry:`` entry: ``{spec: "module:ATTR", impl: "module:callable", name?: op name}``.

    ``loaded`` is the spec it provided, or None when it was not imported: ``untrusted`` (no trust given: a
    layer names Python code, so it is never imported without trust) or ``error`` (import failed, not a
    spec...). The compiler uses ``names`` to say "op X is untrusted" rather than "unknown op X".
    """

    node: Node
    spec_ref: str
    impl_ref: str | None
    loaded: OpSpec | None
    untrusted: bool
    error: str | None
    name: str | None = None
    code_path: str | None = None
    """A folder to put on ``sys.path`` to import this layer's code (the workflow's, when trusted)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Op names this layer provides (or would provide: ``name:``, else the attribute name)."""
        if self.loaded is not None:
            return (self.loaded.name,)
        if self.name:
            return (self.name,)
        attr = self.spec_ref.partition(":")[2]
        return (attr.rsplit(".", 1)[-1],) if attr else ()

    @property
    def module(self) -> str:
        return self.spec_ref.partition(":")[0]

    @property
    def ref_span(self) -> Span:
        """Where the layer names its code: the ``spec`` value (the whole entry when it has no ``spec`` key)."""
        spec = self.node.get("spec") if isinstance(self.node, MapNode) else None
        return spec.span if spec is not None else self.node.span


@dataclass(frozen=True)
class UntrustedCode:
    """Something a workflow names that would import Python code, left unloaded because trust was not given.

    ``run`` refuses a workflow with any of these (naming each); ``check`` reports them as FF112 warnings.
    """

    what: str
    """``registry layer``, ``profile``, ``registry function`` or ``registry constant``."""
    ref: str
    """As written: ``venv.__main__:x``."""
    span: Span


def _frozen(d: Mapping[str, OpSpec]) -> Mapping[str, OpSpec]:
    return MappingProxyType(dict(d))


class Registry:
    """Immutable view of the ops, functions and profiles one workflow may use.

    ``functions``/``constants``: what expressions may call and name. ``profiles``: every built-in profile
    (completion, docs); ``active_profiles``: those this workflow uses. ``defaults``: a document fragment from
    the active profiles, merged *under* the workflow; ``observer_presets``: observer entries they add.
    ``layers``: the ``registry:`` entries (loaded or not); ``problems``: plugins or ops that could not be
    used (broken third-party entry points, clashing names); ``plugins``: the plugins whose ops are visible.
    """

    _ops: Mapping[KindGroup, Mapping[str, OpSpec]]
    functions: Mapping[str, FunctionSpec]
    constants: Mapping[str, float]
    profiles: Mapping[str, Profile]
    active_profiles: tuple[Profile, ...]
    defaults: Mapping[str, object]
    observer_presets: tuple[Mapping[str, object], ...]
    layers: tuple[RegistryLayer, ...]
    problems: tuple[PluginProblem, ...]
    plugins: tuple[str, ...]
    untrusted_profiles: tuple[UntrustedCode, ...]
    report_templates: Mapping[str, ReportTemplate]
    """`registry.report_templates`: report templates by name (a later layer's entry replaces an earlier one)."""

    __slots__ = (
        "_ops",
        "active_profiles",
        "constants",
        "defaults",
        "functions",
        "layers",
        "observer_presets",
        "plugins",
        "problems",
        "profiles",
        "report_templates",
        "untrusted_profiles",
    )

    def __init__(
        self,
        *,
        ops: Mapping[KindGroup, Mapping[str, OpSpec]],
        functions: Mapping[str, FunctionSpec],
        constants: Mapping[str, float],
        profiles: Mapping[str, Profile],
        active_profiles: tuple[Profile, ...] = (),
        defaults: Mapping[str, object] | None = None,
        observer_presets: tuple[Mapping[str, object], ...] = (),
        layers: tuple[RegistryLayer, ...] = (),
        problems: tuple[PluginProblem, ...] = (),
        plugins: tuple[str, ...] = (),
        untrusted_profiles: tuple[UntrustedCode, ...] = (),
        report_templates: Mapping[str, ReportTemplate] | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_ops", MappingProxyType({g: _frozen(ops.get(g, {})) for g in KindGroup}))
        setattr_(self, "functions", MappingProxyType(dict(functions)))
        setattr_(self, "constants", MappingProxyType(dict(constants)))
        setattr_(self, "profiles", profiles)
        setattr_(self, "active_profiles", active_profiles)
        setattr_(self, "defaults", MappingProxyType(dict(defaults or {})))
        setattr_(self, "observer_presets", observer_presets)
        setattr_(self, "layers", layers)
        setattr_(self, "problems", problems)
        setattr_(self, "plugins", plugins)
        setattr_(self, "untrusted_profiles", untrusted_profiles)
        setattr_(self, "report_templates", MappingProxyType(dict(report_templates or {})))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Registry is immutable")

    def __repr__(self) -> str:
        counts = ", ".join(f"{g.value}={len(self._ops[g])}" for g in KindGroup)
        return f"<Registry {counts} profiles={[p.name for p in self.active_profiles]}>"

    # --- lookups -------------------------------------------------------------------------------------------

    def ops_for(self, group: KindGroup | str) -> Mapping[str, OpSpec]:
        try:
            return self._ops[KindGroup(group)]
        except ValueError:
            raise InternalError(f"bug: unknown kind group {group!r}") from None

    def stage_op(self, name: str) -> OpSpec | None:
        """A stage's ``op:`` — a transform or a sink."""
        return self._ops[KindGroup.STAGES].get(name)

    def source(self, name: str) -> OpSpec | None:
        """A source's ``kind:``."""
        return self._ops[KindGroup.SOURCES].get(name)

    def render(self, name: str) -> OpSpec | None:
        """A style's ``op:``."""
        return self._ops[KindGroup.RENDERS].get(name)

    def observer(self, name: str) -> OpSpec | None:
        """An observer's (or ``inspect:``) ``kind:``."""
        return self._ops[KindGroup.OBSERVERS].get(name)

    def stage_ops(self) -> Mapping[str, OpSpec]:
        return self._ops[KindGroup.STAGES]

    def sinks(self) -> Mapping[str, OpSpec]:
        return MappingProxyType(
            {n: s for n, s in self._ops[KindGroup.STAGES].items() if s.kind.value == "sink"}
        )

    def lookup(self, name: str) -> tuple[OpSpec, ...]:
        """Every op of that name in any namespace (to say "a source, not a stage op")."""
        return tuple(ops[name] for ops in self._ops.values() if name in ops)

    def all_ops(self) -> Iterator[OpSpec]:
        for group in KindGroup:
            yield from self._ops[group].values()

    def untrusted_ops(self) -> Mapping[str, str]:
        """Op name → where it would come from, for every layer not loaded because it is untrusted."""
        return MappingProxyType(
            {
                name: f"registry layer '{layer.spec_ref}'"
                for layer in self.layers
                if layer.untrusted
                for name in layer.names
            }
        )

    def untrusted_code(self) -> tuple[UntrustedCode, ...]:
        """Every layer and profile not loaded for want of trust, in the order the workflow names them."""
        layers = tuple(
            UntrustedCode("registry layer", layer.spec_ref, layer.ref_span)
            for layer in self.layers
            if layer.untrusted
        )
        return self.untrusted_profiles + layers

    def layer_for(self, name: str) -> RegistryLayer | None:
        for layer in reversed(self.layers):
            if name in layer.names:
                return layer
        return None

    @property
    def code_paths(self) -> tuple[str, ...]:
        """Folders the runtime must put on ``sys.path`` to import the implementations of trusted layers."""
        return tuple(dict.fromkeys(layer.code_path for layer in self.layers if layer.code_path))

    @staticmethod
    def suggest(name: str, candidates: Mapping[str, object] | list[str] | tuple[str, ...]) -> str | None:
        return _suggest(name, candidates)

    def with_functions(
        self, functions: Mapping[str, FunctionSpec], constants: Mapping[str, float]
    ) -> Registry:
        """This registry plus expression functions and constants from a `registry:` mapping (later wins)."""
        return self._replaced(
            functions={**self.functions, **functions}, constants={**self.constants, **constants}
        )

    def with_layers(self, layers: tuple[RegistryLayer, ...]) -> Registry:
        """This registry plus the ops of loaded layers (a layer's op replaces a same-named one)."""
        ops = {g: dict(self._ops[g]) for g in KindGroup}
        for layer in layers:
            if layer.loaded is not None:
                ops[layer.loaded.group][layer.loaded.name] = layer.loaded
        return self._replaced(ops=ops, layers=self.layers + layers)

    def with_ops(self, specs: tuple[OpSpec, ...]) -> Registry:
        """This registry plus ops handed over by the calling program (``fasthep_flow.load(..., ops=[...])``):
        code already running, so no trust question; an op replaces a same-named one, as a layer's does."""
        if not specs:
            return self
        ops = {g: dict(self._ops[g]) for g in KindGroup}
        for spec in specs:
            ops[spec.group][spec.name] = spec
        return self._replaced(ops=ops)

    def with_untrusted_profiles(self, profiles: tuple[UntrustedCode, ...]) -> Registry:
        """This registry, noting module-named profiles that were not loaded (no trust)."""
        if not profiles:
            return self
        return self._replaced(untrusted_profiles=self.untrusted_profiles + profiles)

    def _replaced(self, **changes: Any) -> Registry:
        """A copy with ``changes``; every other field is carried over, so a new field cannot be forgotten here."""
        fields: dict[str, Any] = {name.lstrip("_"): getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Registry(**fields)


# --- building -----------------------------------------------------------------------------------------------


def build_registry(
    plugins: tuple[Plugin, ...],
    active: tuple[Profile, ...],
    known_profiles: Mapping[str, Profile],
    problems: tuple[PluginProblem, ...] = (),
) -> Registry:
    """Combine the plugins the active profiles allow; the first plugin to define a name keeps it."""
    everything = any(p.plugins is None for p in active) or not active
    allowed = {name for p in active for name in (p.plugins or ())}
    ops: dict[KindGroup, dict[str, OpSpec]] = {g: {} for g in KindGroup}
    functions: dict[str, FunctionSpec] = {}
    constants: dict[str, float] = {}
    clashes: list[PluginProblem] = []
    used: list[str] = []
    for plugin in plugins:
        if not everything and plugin.name not in allowed:
            continue
        used.append(plugin.name)
        for spec in plugin.ops:
            group = ops[spec.group]
            if spec.name in group:
                clashes.append(
                    PluginProblem(
                        f"plugin {plugin.name}",
                        f"{spec.kind.value} op {spec.name!r} is already provided by plugin "
                        f"{group[spec.name].plugin!r}; this one is ignored",
                    )
                )
                continue
            group[spec.name] = spec if spec.plugin else replace(spec, plugin=plugin.name)
        for fn in plugin.functions:
            functions.setdefault(fn.name, fn)
        for name, value in plugin.constants.items():
            constants.setdefault(name, value)
    defaults: dict[str, object] = {}
    observers: list[Mapping[str, object]] = []
    for profile in active:
        defaults = deep_merge(defaults, profile.defaults)
        observers.extend(profile.observers)
    return Registry(
        ops=ops,
        functions=functions,
        constants=constants,
        profiles=known_profiles,
        active_profiles=active,
        defaults=copy.deepcopy(defaults),
        observer_presets=tuple(observers),
        problems=problems + tuple(clashes),
        plugins=tuple(used),
    )


@functools.cache
def _known_profiles() -> Mapping[str, Profile]:
    return available_profiles(installed_plugins().plugins)


@functools.cache
def _registry_for(profile_names: tuple[str, ...]) -> Registry:
    """Shared registry for a list of built-in profiles (the common case: no `use`, or `use: [hep]`)."""
    installed = installed_plugins()
    known = _known_profiles()
    active = tuple(known[n] for n in profile_names)
    return build_registry(installed.plugins, active, known, installed.problems)


_WITH_FILES: dict[str, tuple[tuple[Profile, ...], Registry]] = {}
_WITH_FILES_MAX = 16


def _profile_key(profiles: tuple[Profile, ...]) -> str:
    """Everything a registry is built from, as text: profiles compare equal without their ``defaults`` and
    ``observers``, which a profile file's edit may change."""
    import json

    return json.dumps(
        [[p.name, p.plugins, p.origin, p.defaults, list(p.observers)] for p in profiles],
        sort_keys=True,
        default=lambda o: dict(o) if isinstance(o, Mapping) else repr(o),
    )


def _registry_with_files(profiles: tuple[Profile, ...]) -> Registry:
    """The registry for profiles that include files (``./local.yaml``), shared while their content is the
    same: the editor compiles on every keystroke, and a new registry would rebuild its schema and validators
    each time. Bounded; an edited profile file gives a new key."""
    key = _profile_key(profiles)
    hit = _WITH_FILES.get(key)
    if hit is not None:
        return hit[1]
    installed = installed_plugins()
    registry = build_registry(installed.plugins, profiles, _known_profiles(), installed.problems)
    if len(_WITH_FILES) >= _WITH_FILES_MAX:
        _WITH_FILES.pop(next(iter(_WITH_FILES)))
    _WITH_FILES[key] = (profiles, registry)
    return registry


def default_registry() -> Registry:
    """Every installed op under the default profile: what an editor offers before a workflow says more."""
    from fasthep_flow.registry.profiles import DEFAULT_PROFILE

    return _registry_for((DEFAULT_PROFILE,))


@functools.cache
def builtin_registry() -> Registry:
    """Only the ops shipped with fasthep-flow (no third-party plugins): the source of the committed schema."""
    from fasthep_flow.registry.plugins import builtin_plugins

    plugins = builtin_plugins()
    known = available_profiles(plugins)
    return build_registry(plugins, (known["registry"],), known)


def load_registry(
    root: MapNode | None,
    workflow_dir: Path | None = None,
    trust: bool = False,
    ops: tuple[OpSpec, ...] = (),
) -> tuple[Registry, list[Diagnostic]]:
    """The registry for one workflow: its ``use.profiles`` and ``registry:`` layers over installed plugins.

    Never raises for a user's mistake: unknown profiles (FF111), broken layers (FF113) and untrusted code
    (FF112, nothing imported) come back as diagnostics.
    """
    installed = installed_plugins()
    known = _known_profiles()
    names = tuple(p.name for p in installed.plugins)
    resolved = resolve_profiles(root, workflow_dir, known, names, trust)
    diagnostics = list(resolved.diagnostics)
    layer_nodes = list(resolved.layers) + _workflow_layer_nodes(root)
    if resolved.builtin_only:
        registry = _registry_for(tuple(p.name for p in resolved.profiles))
    else:
        registry = _registry_with_files(tuple(resolved.profiles))
    if layer_nodes:
        named: list[tuple[Node, str | None]] = []
        functions: dict[str, FunctionSpec] = {}
        constants: dict[str, float] = {}
        refused: list[UntrustedCode] = []
        templates: dict[str, ReportTemplate] = {}
        for n in layer_nodes:
            if _is_sections(n):  # upstream's mapping of sections (registry/sections.py)
                found = read_sections(n, workflow_dir, trust, diagnostics)  # type: ignore[arg-type]
                named.extend(found.layers)
                functions.update(found.functions)
                constants.update(found.constants)
                templates.update(found.report_templates)
                refused.extend(UntrustedCode(what, ref, span) for what, ref, span in found.untrusted)
            else:
                named.append((n, None))
        layers = tuple(_load_layer(n, workflow_dir, trust, diagnostics, name) for n, name in named)
        registry = registry.with_layers(tuple(layer for layer in layers if layer is not None))
        if functions or constants:
            registry = registry.with_functions(functions, constants)
        if templates:
            registry = registry._replaced(report_templates={**registry.report_templates, **templates})
        if refused:  # `run` refuses these by name, as it does untrusted profiles
            registry = registry.with_untrusted_profiles(tuple(refused))
    registry = registry.with_untrusted_profiles(
        tuple(UntrustedCode("profile", n.text, n.span) for n in resolved.untrusted)
    ).with_ops(ops)
    if root is not None and registry.problems:
        diagnostics.extend(_problem_diagnostics(root, registry.problems))
    return registry, diagnostics


def _workflow_layer_nodes(root: MapNode | None) -> list[Node]:
    node = root.get("registry") if isinstance(root, MapNode) else None
    if isinstance(node, MapNode):
        return [node]
    return list(node.items) if isinstance(node, SeqNode) else []


def _is_sections(node: Node) -> bool:
    """A mapping of registry sections (`functions:`, `transforms:`...) rather than one `{spec, impl}` layer."""
    return (
        isinstance(node, MapNode) and "spec" not in node and any(e.key.text in SECTIONS for e in node.entries)
    )


def _problem_diagnostics(root: MapNode, problems: tuple[PluginProblem, ...]) -> list[Diagnostic]:
    entry = root.entry("use")
    span = entry.key.span if entry is not None else Span.point(root.span.file, Pos(0, 0))
    return [
        warning(
            codes.REGISTRY_LOAD, span, f"{p.source}: {p.message}", hint="the workflow is checked without it"
        )
        for p in problems
    ]


def _ref_scalar(node: Node | None) -> ScalarNode | None:
    return node if isinstance(node, ScalarNode) and node.is_string and node.text.strip() else None


def _valid_ref(ref: str) -> bool:
    module, sep, attr = ref.partition(":")
    return (
        bool(sep)
        and all(p.isidentifier() for p in module.split("."))
        and all(p.isidentifier() for p in attr.split("."))
    )


def _load_layer(
    node: Node,
    workflow_dir: Path | None,
    trust: bool,
    diagnostics: list[Diagnostic],
    given_name: str | None = None,
) -> RegistryLayer | None:
    """Check trust, then import the spec; every failure is a diagnostic on the layer, never an exception."""
    if not isinstance(node, MapNode):
        return None  # the schema reports the shape
    spec_node = _ref_scalar(node.get("spec"))
    if spec_node is None:
        return None  # missing/empty `spec`: reported by the schema
    spec_ref = spec_node.text.strip()
    impl_node = _ref_scalar(node.get("impl"))
    impl_ref = impl_node.text.strip() if impl_node is not None else None
    name_node = _ref_scalar(node.get("name"))
    name = name_node.text.strip() if name_node is not None else given_name

    def failed(message: str, at: ScalarNode, hint: str | None = None) -> RegistryLayer:
        diagnostics.append(error(codes.REGISTRY_LOAD, at.span, message, hint=hint))
        return RegistryLayer(node, spec_ref, impl_ref, None, False, message, name)

    for ref, at in ((spec_ref, spec_node), (impl_ref, impl_node)):
        if ref is not None and at is not None and not _valid_ref(ref):
            return failed(
                f"'{ref}' is not of the form 'module:attribute'", at, hint="e.g. `mypkg.ops:MY_SPEC`"
            )
    verdicts = [(check_module(spec_ref.partition(":")[0], workflow_dir), spec_node)]
    if impl_ref is not None and impl_node is not None:
        verdicts.append((check_module(impl_ref.partition(":")[0], workflow_dir), impl_node))
    for verdict, at in verdicts:
        if not verdict.found:
            return failed(f"module '{verdict.module}' cannot be found", at, hint="is it installed?")
    workspace = [v for v, _ in verdicts if not v.trusted]
    if not trust:
        named = f"registry layer '{spec_ref}'" + (f" (impl '{impl_ref}')" if impl_ref else "")
        where = ", ".join(
            dict.fromkeys(f"{v.module.split('.')[0]} from {v.location}" for v, _ in verdicts if v.location)
        )
        diagnostics.append(
            warning(
                codes.UNTRUSTED,
                spec_node.span,
                f"{named} not loaded: workspace not trusted",
                hint=f"{UNTRUSTED_HINT}; loading it imports Python code: {where}"
                if where
                else UNTRUSTED_HINT,
            )
        )
        return RegistryLayer(node, spec_ref, impl_ref, None, True, None, name)
    module, _, attr = spec_ref.partition(":")
    try:
        target: object = import_module(module, workflow_dir, trust=True, from_workspace=bool(workspace))
        with isolated(f"'{spec_ref}'"):
            for part in attr.split("."):
                target = getattr(target, part)
    except (ImportFailed, NotTrusted) as exc:
        return failed(f"registry layer '{spec_ref}' cannot be loaded: {exc}", spec_node)
    decorated = getattr(
        target, "spec", None
    )  # an `@fasthep_flow.op` function (ops/custom.py) carries its spec
    if not isinstance(target, OpSpec) and isinstance(decorated, OpSpec):
        target = decorated
    if not isinstance(target, OpSpec):
        return failed(
            f"'{spec_ref}' is a {type(target).__name__}, not an OpSpec",
            spec_node,
            hint="name an OpSpec, or a function decorated with @fasthep_flow.op",
        )
    spec = target
    if name is not None and name != spec.name:
        spec = replace(spec, name=name)
    spec = replace(spec, impl=impl_ref or spec.impl, plugin=spec.plugin or "registry")
    code_path = str(workflow_dir) if workspace and workflow_dir is not None else None
    return RegistryLayer(node, spec_ref, impl_ref, spec, False, None, name, code_path)
