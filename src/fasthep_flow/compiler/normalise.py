"""Normalisation: both dataset forms, defaults, the default `events` source, globals, styles with inheritance.

The result is plain data the planner and the `compile` command write out; problems found on the way (an
unknown source kind, a style inheriting from a missing style) are reported at their nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.styles import check_nested_uses, check_render_op, expand_nested
from fasthep_flow.compiler.symbols import Definition, FieldOrigin, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Related, Severity
from fasthep_flow.document.input_paths import project_root, resolve_input
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python

DEFAULT_SOURCE = "events"
DEFAULT_TREE = "events"


@dataclass
class SourceDecl:
    name: str
    kind: str
    params: dict[str, Any]
    node: MapNode | None
    name_node: ScalarNode | None
    kind_node: ScalarNode | None
    branches_listed: bool = False


@dataclass
class DatasetDecl:
    name: str
    data: dict[str, Any]
    node: Node | None
    name_node: ScalarNode | None
    files: list[tuple[str, ScalarNode | None]] = field(default_factory=list)


def _scalar(node: Node | None) -> ScalarNode | None:
    return node if isinstance(node, ScalarNode) else None


def collect_sources(ctx: Context) -> list[SourceDecl]:
    sources = ctx.root.get("sources")
    data = ctx.root.get("data")
    defaults = data.get("defaults") if isinstance(data, MapNode) else None
    tree = DEFAULT_TREE
    if isinstance(defaults, MapNode) and isinstance(defaults.get("tree_primary"), ScalarNode):
        tree = defaults.get("tree_primary").text  # type: ignore[union-attr]
    if not isinstance(sources, MapNode) or not sources.entries:
        return [SourceDecl(DEFAULT_SOURCE, "root_tree", {"tree": tree}, None, None, None)]
    out: list[SourceDecl] = []
    seen: dict[str, ScalarNode] = {}
    for entry in sources.entries:
        name = entry.key.text
        if not ctx.check_name(entry.key, "a source name"):
            continue
        if name in seen:
            continue  # duplicate key already reported by the loader
        seen[name] = entry.key
        body = entry.value if isinstance(entry.value, MapNode) else None
        params = to_python(body) if body is not None else {}
        assert isinstance(params, dict)
        kind_node = _scalar(body.get("kind")) if body is not None else None
        kind = str(params.pop("kind", "root_tree") or "root_tree")
        if kind == "root_tree" and "tree" not in params:
            params["tree"] = tree
        decl = SourceDecl(name, kind, params, body, entry.key, kind_node, "branches" in params)
        out.append(decl)
        ctx.index.definitions.append(Definition(name, SymbolKind.SOURCE, entry.key.span, detail=kind))
        if kind_node is not None and ctx.registry.source(kind) is None and not ctx.untrusted_op(kind_node):
            ctx.unknown_name(
                codes.UNKNOWN_SOURCE_KIND, kind_node, "source kind", sorted(ctx.registry.ops_for("sources"))
            )
    return out


DATASET_KEYS = (
    "name",
    "eventtype",
    "files",
    "nevents",
    "tree_primary",
    "label",
    "group",
    "cross_section",
    "source",
    "lumi",
    "sum_weights",
    "generator_weight",
)


def _near_misses(ctx: Context, node: Node | None, where: str) -> None:
    """Dataset entries may carry free metadata, but a key one typo away from a known key is a mistake."""
    from fasthep_flow.document.diagnostics import Edit, Fix
    from fasthep_flow.registry.suggest import suggest

    if not isinstance(node, MapNode):
        return
    for entry in node.entries:
        key = entry.key.text
        if key in DATASET_KEYS:
            continue
        best = suggest(key, list(DATASET_KEYS))
        if best is not None:
            ctx.report(
                codes.UNKNOWN_KEY,
                entry.key,
                f"unknown key '{key}' in {where}",
                hint=f"did you mean '{best}'? (other keys are kept as dataset metadata)",
                fix=Fix(f"Rename to '{best}'", (Edit(entry.key.span, best),)),
            )


def collect_datasets(ctx: Context) -> list[DatasetDecl]:
    data = ctx.root.get("data")
    defaults: dict[str, Any] = {}
    out: list[DatasetDecl] = []
    defaults = dict(profile_defaults(ctx, "data", "defaults"))
    if isinstance(data, MapNode):
        _near_misses(ctx, data.get("defaults"), "`data.defaults`")
        d = to_python(data.get("defaults"))
        if isinstance(d, dict):
            defaults = deep_merge(defaults, d)
        out.extend(_listed(ctx, data.get("datasets"), defaults))
    top = ctx.root.get("datasets")
    first: list[DatasetDecl] = []  # upstream lists top-level `datasets` before `data.datasets`
    if isinstance(top, MapNode):
        for entry in top.entries:
            _near_misses(ctx, entry.value, f"dataset '{entry.key.text}'")
            values = to_python(entry.value) if isinstance(entry.value, MapNode) else {}
            assert isinstance(values, dict)
            first.append(_dataset(ctx, entry.key.text, values, defaults, entry.value, entry.key))
    else:
        first = _listed(ctx, top, defaults)
    out = first + out
    seen: dict[str, DatasetDecl] = {}
    for ds in out:
        if ds.name_node is not None and ds.name_node.value is not None:
            ctx.check_name(ds.name_node, "a dataset name", file_name=True)
        if ds.name in seen and ds.name_node is not None:
            first = seen[ds.name]
            ctx.report(
                codes.DUPLICATE_NAME,
                ds.name_node,
                f"duplicate dataset name '{ds.name}'",
                related=(Related(first.name_node.span, "first defined here"),) if first.name_node else (),
            )
        seen.setdefault(ds.name, ds)
        if ds.name_node is not None:
            ctx.index.definitions.append(
                Definition(
                    ds.name, SymbolKind.DATASET, ds.name_node.span, detail=str(ds.data.get("eventtype"))
                )
            )
    return out


def _listed(ctx: Context, items: Node | None, defaults: dict[str, Any]) -> list[DatasetDecl]:
    """The datasets of a list (``data.datasets``, or a top-level ``datasets`` list), each named by its ``name``."""
    out: list[DatasetDecl] = []
    if not isinstance(items, SeqNode):
        return out
    for item in items.items:
        if isinstance(item, MapNode):
            _near_misses(ctx, item, "a dataset")
            name_node = _scalar(item.get("name"))
            values = to_python(item)
            assert isinstance(values, dict)
            name = str(values.get("name", f"#{len(out) + 1}"))
            out.append(_dataset(ctx, name, values, defaults, item, name_node))
    return out


def _dataset(
    ctx: Context,
    name: str,
    values: dict[str, Any],
    defaults: dict[str, Any],
    node: Node,
    name_node: ScalarNode | None,
) -> DatasetDecl:
    merged = {k: v for k, v in defaults.items() if k not in ("tree_primary",)}
    merged.update(values)
    merged["name"] = name
    merged.setdefault("eventtype", "mc")
    nevents = merged.get("nevents")
    if isinstance(nevents, str) and nevents.strip().isdecimal():
        merged["nevents"] = int(nevents)  # upstream writes `nevents: "2000"`; one meaning from here on
    decl = DatasetDecl(name, merged, node, name_node)
    files_node = node.get("files") if isinstance(node, MapNode) else None
    file_nodes = files_node.items if isinstance(files_node, SeqNode) else ([files_node] if files_node else [])
    base = _base_dir(ctx, node)
    root = project_root(ctx.options.project_root)
    for fn in file_nodes:
        if isinstance(fn, ScalarNode) and isinstance(fn.value, str):
            found = resolve_input(fn.text, root, base, ctx.workflow_dir)
            if found.note is not None:
                ctx.report(codes.PATH_FALLBACK, fn, found.note, severity=Severity.WARNING)
            decl.files.append((found.path, fn))
    if not file_nodes and isinstance(merged.get("files"), list):  # files from defaults
        decl.files = [
            (resolve_input(str(f), root, base, ctx.workflow_dir).path, None) for f in merged["files"]
        ]
    merged["files"] = [f for f, _ in decl.files]
    return decl


def _base_dir(ctx: Context, node: Node) -> Path | None:
    """Paths resolve against the folder of the file that wrote them (an included datasets.yaml's own)."""
    file = node.span.file
    if file and not file.startswith(("untitled:", "<")):
        return Path(file).resolve().parent
    return ctx.workflow_dir


def profile_defaults(ctx: Context, *path: str) -> dict[str, Any]:
    """The part of the active profiles' `defaults` fragment at ``path`` (merged *under* the workflow)."""
    node: Any = getattr(ctx.registry, "defaults", {}) or {}
    for key in path:
        node = node.get(key) if hasattr(node, "get") else None
        if node is None:
            return {}
    return {str(k): v for k, v in node.items()} if hasattr(node, "items") else {}


def collect_globals(ctx: Context) -> dict[str, Any]:
    analysis = ctx.root.get("analysis")
    g = analysis.get("globals") if isinstance(analysis, MapNode) else None
    out: dict[str, Any] = profile_defaults(ctx, "analysis", "globals")
    if isinstance(g, MapNode):
        for entry in g.entries:
            if not ctx.check_name(entry.key, "a global"):
                continue
            value = out[entry.key.text] = to_python(entry.value)
            ctx.index.definitions.append(
                Definition(
                    entry.key.text,
                    SymbolKind.GLOBAL,
                    entry.key.span,
                    origin=FieldOrigin.GLOBAL,
                    detail=f"global = {value!r}",
                )
            )
    return out


def collect_styles(ctx: Context, dataset_names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Styles with `use:` inheritance resolved (deep merge of `with:` over the parent)."""
    styles = ctx.root.get("styles")
    if not isinstance(styles, MapNode):
        return {}
    raw: dict[str, MapNode] = {}
    for entry in styles.entries:
        if not ctx.check_name(entry.key, "a style name"):
            continue
        if isinstance(entry.value, MapNode) and entry.key.text not in raw:
            raw[entry.key.text] = entry.value
            ctx.index.definitions.append(Definition(entry.key.text, SymbolKind.STYLE, entry.key.span))
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        node = raw[name]
        own = to_python(node)
        assert isinstance(own, dict)
        parent_node = _scalar(node.get("use"))
        result: dict[str, Any]
        if parent_node is not None and isinstance(parent_node.value, str):
            parent = parent_node.text
            if not ctx.refer(parent_node, SymbolKind.STYLE, raw, codes.UNKNOWN_STYLE):
                result = {}
            elif parent in chain:
                ctx.report(
                    codes.DEPENDENCY_CYCLE, parent_node, f"style '{name}' inherits from itself via '{parent}'"
                )
                result = {}
            else:
                result = deep_merge(resolve(parent, (*chain, name)), {})
            result = deep_merge(result, {k: v for k, v in own.items() if k not in ("use", "with")})
            if isinstance(own.get("with"), dict):
                result = deep_merge(result, own["with"])
        else:
            result = own
        _check_style_datasets(ctx, node, dataset_names)
        check_render_op(ctx, _scalar(node.get("op")), named_style=True)
        check_nested_uses(ctx, node, raw)
        resolved[name] = result
        return result

    for name in raw:
        resolve(name, ())
    return {name: expand_nested(style, resolved) for name, style in resolved.items()}


def deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base.get(k), v) if k in base else v
        return out
    return over


def _check_style_datasets(ctx: Context, style: MapNode, dataset_names: list[str] | None) -> None:
    """`datasets: [...]` in a style (and in its `with:`) must name datasets of this workflow."""
    if dataset_names is None:
        return
    for holder in (style, style.get("with")):
        node = holder.get("datasets") if isinstance(holder, MapNode) else None
        for item in node.items if isinstance(node, SeqNode) else []:
            if isinstance(item, ScalarNode) and isinstance(item.value, str):
                ctx.refer(item, SymbolKind.DATASET, dataset_names, codes.UNKNOWN_DATASET)
