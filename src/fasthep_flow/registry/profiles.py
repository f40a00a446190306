"""Profiles: which ops a workflow sees, plus defaults and presets, chosen with ``use: {profiles: [...]}``.

Built-ins: ``basic`` (core ops only) and ``registry`` (every installed op, no presets; the default), plus
those plugins ship (``hep``, ``hep_debug``). A workflow may also name a profile file: ``./path.yaml``
(relative to the workflow) or ``pkg:name`` (``name.yaml`` inside the installed package ``pkg``). It holds:

```yaml
doc: Our group's settings
profiles: [hep]            # built-in profiles it extends
plugins: [core, hep]       # plugins whose ops are visible (all when neither this nor `profiles` is given)
defaults: {data: {defaults: {eventtype: mc}}}    # merged under the workflow
observers: [{kind: hep.branches}]                # appended to the workflow's observers
registry: [{spec: "mypkg.ops:SPEC", impl: "mypkg.ops:run"}]
```
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Related, error, warning
from fasthep_flow.document.files import UnreadableFile, read_workflow_file
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python
from fasthep_flow.registry.specs import Plugin, Profile
from fasthep_flow.registry.suggest import suggest
from fasthep_flow.registry.trust import UNTRUSTED_HINT, ImportFailed, NotTrusted, check_module, importing

BASIC = Profile(
    "basic", doc="Only the core ops (toy data, Parquet): no HEP, no rendering.", plugins=("core",)
)
REGISTRY = Profile("registry", doc="Every installed op, with no defaults or presets.", plugins=None)
DEFAULT_PROFILE = "registry"
"""Used when a workflow has no ``use.profiles``."""

PROFILE_FILE_KEYS = (
    "doc",
    "profiles",
    "plugins",
    "defaults",
    "observers",
    "registry",
    "includes",
    "execution",
    "execution_hooks",
)

UPSTREAM_PACKAGE_PROFILES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "fasthep_carpenter:registry": ("core", "hep"),
        "fasthep_curator:registry": ("hep",),
        "fasthep_curator:default_context": (),
        "fasthep_curator:runtime_diagnostics": (),
        "fasthep_curator:resource_usage": (),
        "fasthep_render:registry": ("render",),
        "fasthep_toolbench:registry": (),
        "fasthep_distributed:registry": (),
    }
)
"""Upstream's package profiles and the plugins of ours that provide the same ops (the `dataset_*` context
and the diagnostics hooks are always on here, so those profiles add nothing)."""


def upstream_profile(ref: str) -> Profile | None:
    plugins = UPSTREAM_PACKAGE_PROFILES.get(ref)
    if plugins is None:
        return None
    return Profile(
        ref, doc=f"Upstream's `{ref}`: our built-in equivalent.", plugins=plugins, origin="upstream"
    )


def available_profiles(plugins: tuple[Plugin, ...]) -> Mapping[str, Profile]:
    """Built-in profiles by name: ``basic``, ``registry`` and every plugin's (first definition wins)."""
    found: dict[str, Profile] = {BASIC.name: BASIC, REGISTRY.name: REGISTRY}
    for plugin in plugins:
        for profile in plugin.profiles:
            found.setdefault(profile.name, profile)
    return MappingProxyType(found)


@dataclass
class ResolvedProfiles:
    """The active profiles of one workflow, with the registry layers their files bring."""

    profiles: list[Profile] = field(default_factory=list)
    layers: list[Node] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    builtin_only: bool = True
    untrusted: list[ScalarNode] = field(default_factory=list)
    """Module-named profiles not loaded because the workspace is not trusted."""


def profile_refs(root: MapNode | None) -> list[ScalarNode]:
    """The scalars of ``use.profiles`` (one string or a list); other shapes are the schema's to report."""
    use = root.get("use") if isinstance(root, MapNode) else None
    node = use.get("profiles") if isinstance(use, MapNode) else None
    items = node.items if isinstance(node, SeqNode) else [node] if node is not None else []
    return [n for n in items if isinstance(n, ScalarNode) and n.is_string and n.text]


def is_file_ref(ref: str) -> bool:
    return ref.startswith(("./", "../", "/", "~")) or ref.endswith((".yaml", ".yml"))


def resolve_profiles(
    root: MapNode | None,
    workflow_dir: Path | None,
    known: Mapping[str, Profile],
    plugin_names: tuple[str, ...],
    trust: bool = False,
) -> ResolvedProfiles:
    out = ResolvedProfiles()
    refs = profile_refs(root)
    if not refs:
        out.profiles.append(known[DEFAULT_PROFILE])
        return out
    for node in refs:
        ref = node.text
        if ref in known:
            out.profiles.append(known[ref])
        elif (equivalent := upstream_profile(ref)) is not None:
            out.profiles.append(equivalent)
            out.builtin_only = False  # not among the shared built-in registries
        elif is_file_ref(ref):
            _from_file_ref(out, node, workflow_dir, known, plugin_names)
        elif ":" in ref:
            _from_package_ref(out, node, workflow_dir, known, plugin_names, trust)
        else:
            best = suggest(ref, known)
            out.diagnostics.append(
                error(
                    codes.UNKNOWN_PROFILE,
                    node.span,
                    f"unknown profile '{ref}'",
                    hint=f"did you mean '{best}'?"
                    if best
                    else f"built-in profiles: {', '.join(sorted(known))}; or ./file.yaml, or pkg:name",
                )
            )
    return out


def _from_file_ref(
    out: ResolvedProfiles,
    node: ScalarNode,
    workflow_dir: Path | None,
    known: Mapping[str, Profile],
    plugin_names: tuple[str, ...],
) -> None:
    ref = node.text
    path = Path(ref).expanduser()
    if not path.is_absolute():
        from fasthep_flow.document.input_paths import project_root, resolve_input

        found = resolve_input(ref, project_root(), workflow_dir)
        if found.note is not None:
            out.diagnostics.append(warning(codes.PATH_FALLBACK, node.span, found.note))
        path = Path(found.path)
        if workflow_dir is None and not path.exists():
            out.diagnostics.append(
                error(
                    codes.UNKNOWN_PROFILE,
                    node.span,
                    f"profile '{ref}' is relative, but the workflow has no folder",
                    hint="save the workflow first, or use an absolute path",
                )
            )
            return
    try:
        text = read_workflow_file(path)
    except UnreadableFile as exc:
        out.diagnostics.append(
            error(codes.UNKNOWN_PROFILE, node.span, f"profile '{ref}' cannot be read", hint=f"{path}: {exc}")
        )
        return
    _from_text(out, node, text, str(path), known, plugin_names)


def _from_package_ref(
    out: ResolvedProfiles,
    node: ScalarNode,
    workflow_dir: Path | None,
    known: Mapping[str, Profile],
    plugin_names: tuple[str, ...],
    trust: bool,
) -> None:
    """``pkg:name``: the resource ``name.yaml`` of the package ``pkg``; reading it imports ``pkg``."""
    ref = node.text
    package, _, name = ref.partition(":")
    verdict = check_module(package, workflow_dir)
    if not verdict.found or not name:
        out.diagnostics.append(
            error(
                codes.UNKNOWN_PROFILE,
                node.span,
                f"unknown profile '{ref}': package '{package}' is not installed"
                if name
                else f"unknown profile '{ref}': no profile name after ':'",
                hint="a package profile `package:name` is the file `name.yaml` inside the installed package",
            )
        )
        return
    out.builtin_only = False
    if not trust:
        where = f" (from {verdict.location})" if verdict.location else ""
        out.diagnostics.append(
            warning(
                codes.UNTRUSTED,
                node.span,
                f"profile '{ref}' not loaded: workspace not trusted",
                hint=f"reading it imports the Python package '{package}'{where}; {UNTRUSTED_HINT}",
            )
        )
        out.untrusted.append(node)
        return
    filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    try:
        with importing(package, workflow_dir, trust=True, from_workspace=not verdict.trusted):
            resource = importlib.resources.files(package).joinpath(filename)
            text = resource.read_text(encoding="utf-8")
    except (ImportFailed, NotTrusted) as exc:
        out.diagnostics.append(
            error(
                codes.UNKNOWN_PROFILE,
                node.span,
                f"unknown profile '{ref}': package '{package}' has no {filename}"
                if isinstance(exc.__cause__, FileNotFoundError)
                else f"profile '{ref}' cannot be loaded",
                hint=str(exc),
            )
        )
        return
    _from_text(out, node, text, str(resource), known, plugin_names)


def _from_text(
    out: ResolvedProfiles,
    ref_node: ScalarNode,
    text: str,
    file: str,
    known: Mapping[str, Profile],
    plugin_names: tuple[str, ...],
) -> None:
    from fasthep_flow.document.loader import parse_yaml

    out.builtin_only = False
    loaded = parse_yaml(text, file)
    diags = list(loaded.diagnostics)
    root = loaded.root
    if root is not None and not isinstance(root, MapNode):
        diags.append(error(codes.NOT_A_MAPPING, root.span, "a profile file must be a mapping"))
    profile: Profile | None = None
    layers: list[Node] = []
    if isinstance(root, MapNode):
        profile, layers = _read_profile(ref_node.text, file, root, known, plugin_names, diags)
    out.diagnostics.extend(diags)
    errors = [d for d in diags if d.is_error]
    if errors:
        out.diagnostics.append(
            error(
                codes.REGISTRY_LOAD,
                ref_node.span,
                f"profile '{ref_node.text}' has errors",
                related=tuple(Related(d.span, d.message) for d in errors[:5]),
            )
        )
    if profile is not None:
        out.profiles.append(profile)
        out.layers.extend(layers)


def _read_profile(
    name: str,
    file: str,
    root: MapNode,
    known: Mapping[str, Profile],
    plugin_names: tuple[str, ...],
    diags: list[Diagnostic],
) -> tuple[Profile, list[Node]]:
    for entry in root.entries:
        if entry.name not in PROFILE_FILE_KEYS:
            best = suggest(entry.name, PROFILE_FILE_KEYS)
            diags.append(
                error(
                    codes.UNKNOWN_KEY,
                    entry.key.span,
                    f"unknown key '{entry.name}' in a profile file",
                    hint=f"did you mean '{best}'?"
                    if best
                    else f"expected one of: {', '.join(PROFILE_FILE_KEYS)}",
                )
            )
    plugins: set[str] = set()
    everything = False
    bases = _names(root.get("profiles"), diags, "profiles")
    extra_bases: list[Profile] = []
    for node in _include_refs(root.get("includes"), diags):
        # upstream's `includes:` (built-in names and package profiles); its own blocks still apply here,
        # where upstream drops them (docs/compatibility.md)
        equivalent = known.get(node.text) or upstream_profile(node.text)
        if equivalent is None:
            bases.append(node)  # reported below as an unknown profile
        else:
            extra_bases.append(equivalent)
    for base in extra_bases:
        if base.plugins is None:
            everything = True
        else:
            plugins.update(base.plugins)
    for node in bases:
        base = known.get(node.text)
        if base is None:
            best = suggest(node.text, known)
            diags.append(
                error(
                    codes.UNKNOWN_PROFILE,
                    node.span,
                    f"unknown profile '{node.text}' (a profile file may extend built-in profiles only)",
                    hint=f"did you mean '{best}'?"
                    if best
                    else f"built-in profiles: {', '.join(sorted(known))}",
                )
            )
            continue
        if base.plugins is None:
            everything = True
        else:
            plugins.update(base.plugins)
    for node in _names(root.get("plugins"), diags, "plugins"):
        if node.text not in plugin_names:
            best = suggest(node.text, plugin_names)
            diags.append(
                error(
                    codes.REGISTRY_LOAD,
                    node.span,
                    f"plugin '{node.text}' is not installed",
                    hint=f"did you mean '{best}'?"
                    if best
                    else f"installed plugins: {', '.join(plugin_names)}",
                )
            )
        plugins.add(node.text)
    if not extra_bases and not any(b.text in known for b in bases) and root.get("plugins") is None:
        everything = True  # (an unknown base is reported; it does not hide every op behind it)
    defaults: dict[str, object] = {}
    for base_node in bases:
        base = known.get(base_node.text)
        if base is not None:
            defaults = deep_merge(defaults, base.defaults)
    for key in ("execution", "execution_hooks"):  # layered under the workflow's own blocks
        block = root.get(key)
        if block is not None:
            defaults = deep_merge(defaults, {key: to_python(block)})
    defaults_node = root.get("defaults")
    if defaults_node is not None:
        if isinstance(defaults_node, MapNode):
            defaults = deep_merge(defaults, to_python(defaults_node))  # type: ignore[arg-type]
        else:
            diags.append(error(codes.PARAM_TYPE, defaults_node.span, "`defaults` must be a mapping"))
    observers: list[Mapping[str, object]] = [
        o for b in bases if (base := known.get(b.text)) is not None for o in base.observers
    ]
    observers_node = root.get("observers")
    if observers_node is not None:
        if isinstance(observers_node, SeqNode) and all(isinstance(i, MapNode) for i in observers_node):
            observers.extend(MappingProxyType(to_python(i)) for i in observers_node)  # type: ignore[arg-type]
        else:
            diags.append(
                error(codes.PARAM_TYPE, observers_node.span, "`observers` must be a list of mappings")
            )
    layers_node = root.get("registry")
    layers: list[Node] = []
    if layers_node is not None:
        if isinstance(layers_node, SeqNode):
            layers = list(layers_node.items)
        elif isinstance(layers_node, MapNode):
            layers = [layers_node]  # upstream's mapping of sections (registry/sections.py)
        else:
            diags.append(
                error(
                    codes.PARAM_TYPE,
                    layers_node.span,
                    "`registry` must be a mapping of sections or a list of layers",
                )
            )
    doc_node = root.get("doc")
    doc = doc_node.text if isinstance(doc_node, ScalarNode) else ""
    profile = Profile(
        name,
        doc=doc,
        plugins=None if everything else tuple(sorted(plugins)),
        defaults=MappingProxyType(defaults),
        observers=tuple(observers),
        origin=file,
    )
    return profile, layers


def _include_refs(node: Node | None, diags: list[Diagnostic]) -> list[ScalarNode]:
    """`includes:` items: a profile name, or `{profile|name, optional, provides}`."""
    if node is None:
        return []
    if not isinstance(node, SeqNode):
        diags.append(error(codes.PARAM_TYPE, node.span, "`includes` must be a list of profiles"))
        return []
    out: list[ScalarNode] = []
    for item in node.items:
        if isinstance(item, MapNode):
            ref = item.get("profile") or item.get("name")
            optional = item.get("optional")
            if isinstance(ref, ScalarNode) and ref.is_string and ref.text:
                skip = isinstance(optional, ScalarNode) and optional.value is True
                if not skip or ref.text in UPSTREAM_PACKAGE_PROFILES:
                    out.append(ref)
                continue
        elif isinstance(item, ScalarNode) and item.is_string and item.text:
            out.append(item)
            continue
        diags.append(
            error(codes.PARAM_TYPE, item.span, "an `includes` item is a profile name or `{profile}`")
        )
    return out


def _names(node: Node | None, diags: list[Diagnostic], key: str) -> list[ScalarNode]:
    if node is None:
        return []
    items = node.items if isinstance(node, SeqNode) else [node]
    out = []
    for item in items:
        if isinstance(item, ScalarNode) and item.is_string and item.text:
            out.append(item)
        else:
            diags.append(error(codes.PARAM_TYPE, item.span, f"`{key}` must list names (strings)"))
    return out


def deep_merge(under: Mapping[str, object], over: Mapping[str, object]) -> dict[str, object]:
    """``over`` merged onto ``under`` like includes: mappings recursively, lists concatenate, else over."""
    out: dict[str, object] = dict(under)
    for key, value in over.items():
        base = out.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(base, value)
        elif isinstance(base, list | tuple) and isinstance(value, list | tuple):
            out[key] = [*base, *value]
        else:
            out[key] = value
    return out
