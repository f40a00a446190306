"""`systematics:`: each variation checked where it is written, then run as a view of the one plan.

A variation (LANGUAGE.md §13) changes a workflow in up to three ways: `weight.multiply` multiplies every
`weight_expr` by more factors, `replace` reads other fields where the stages read the named ones, and
`datasets.replace` reads another dataset in place of one. Upstream compiles one plan per variation and runs
each on its own; here every variation is a view of one plan, so one `run` computes them all. A node the
variation changes, or one reading such a node, gets a copy `<node id>@<variation>`; every other node is the
nominal one, computed once per partition for every variation. A dataset read in place of another is a plan
dataset of its own, `<dataset>@<variation>`, labelled with the replaced dataset's name.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import CONTEXT_SYMBOLS, FlowState
from fasthep_flow.compiler.normalise import DatasetDecl
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.symbols import Reference, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.plan import (
    DatasetPlan,
    NodeKind,
    PlanNode,
    VariationPlan,
    ViewDataset,
)
from fasthep_flow.plan.model import REPLACEMENT_KEY

NOMINAL = "nominal"
_ATTACHED = (NodeKind.WRITE, NodeKind.RENDER, NodeKind.INSPECT)


@dataclass
class VariationDecl:
    """One checked variation of `systematics.variations`."""

    name: str
    group: str | None = None
    direction: str | None = None
    eventtypes: frozenset[str] | None = None
    datasets: frozenset[str] | None = None
    """`applies_to`: the datasets its changes apply to (None = any); the others take nominal products."""
    multiply: tuple[str, ...] = ()
    replace: dict[str, str] = field(default_factory=dict)
    dataset_replace: dict[str, str] = field(default_factory=dict)

    def applies(self, dataset: DatasetPlan) -> bool:
        if self.eventtypes is not None and dataset.eventtype not in self.eventtypes:
            return False
        return self.datasets is None or dataset.name in self.datasets


@dataclass
class SystematicsDecl:
    include_nominal: bool
    variations: list[VariationDecl]


# --- checking --------------------------------------------------------------------------------------------


def _strings(node: Node | None, numbers: bool = False) -> list[ScalarNode]:
    """A string or a list of strings (upstream accepts both wherever a list of names is asked for); with
    ``numbers``, numbers too (a weight factor `2`, or a matrix value put in whole)."""

    def wanted(i: Node) -> bool:
        if not isinstance(i, ScalarNode):
            return False
        if numbers and isinstance(i.value, int | float) and not isinstance(i.value, bool):
            return True
        return i.is_string and bool(i.text.strip())

    items = [node] if isinstance(node, ScalarNode) else node.items if isinstance(node, SeqNode) else []
    return [i for i in items if wanted(i)]


def _text(node: Node | None) -> str | None:
    return (
        node.text.strip() if isinstance(node, ScalarNode) and node.is_string and node.text.strip() else None
    )


class _Fields:
    """The names a variation may read: fields the sources or stages provide, globals and context symbols."""

    def __init__(self, state: FlowState, primary: str) -> None:
        self.state = state
        self.primary = state.sources.get(primary)
        self.defined = set(state.defined_by)
        self.branches = {n for s in state.sources.values() for n in s.known}
        self.closed = (
            all(s.closed for s in state.sources.values()) and not state.opaque and not state.unloaded
        )
        self.others = set(state.globals) | set(CONTEXT_SYMBOLS)

    def known(self, name: str) -> bool:
        return name in self.defined or name in self.branches or name in self.others or not self.closed

    def available(self, name: str, stage: StageDecl) -> bool:
        """Whether ``name`` exists when ``stage`` runs: a branch, global or context symbol, or a field some
        stage up to this one defines (or a name nothing known defines, when the inputs are not all known)."""
        if name in self.branches or name in self.others:
            return True
        defs = self.state.defined_by.get(name)
        if not defs:
            return not self.closed
        return any(d.index <= stage.index for d, _ in defs)

    def candidates(self) -> list[str]:
        return sorted(self.defined | self.branches)

    def need(self, name: str) -> None:
        """A branch only the variation reads is read from the source too (as for any stage's read)."""
        source = self.primary
        if name in self.defined or name in self.others or source is None:
            return
        if name in source.known or not source.closed:
            source.need(name)


def collect_systematics(
    ctx: Context,
    datasets: list[DatasetDecl],
    state: FlowState,
    primary: str,
    targets: set[str],
    decls: list[StageDecl],
) -> SystematicsDecl | None:
    """The `systematics` block checked against the workflow: unknown fields, datasets and plan nodes are
    reported at the name (the schema has reported unknown keys and wrong shapes)."""
    root = ctx.root.get("systematics")
    if not isinstance(root, MapNode):
        return None
    fields = _Fields(state, primary)
    dataset_names = [d.name for d in datasets]
    profiles = root.entry("profiles")
    if profiles is not None:
        ctx.report(
            codes.NOT_SUPPORTED_YET,
            profiles.key,
            "systematics profiles are accepted but not applied yet",
            severity=Severity.WARNING,
        )
    include = root.get("include_nominal")
    out = SystematicsDecl(
        include_nominal=isinstance(include, ScalarNode) and include.value is True, variations=[]
    )
    seen: dict[str, ScalarNode] = {}
    items = root.get("variations")
    for item in items.items if isinstance(items, SeqNode) else []:
        if not isinstance(item, MapNode):
            continue
        for concrete in _matrix(ctx, item):
            variation = _variation(ctx, concrete, fields, dataset_names, targets, seen)
            if variation is not None:
                _check_order(ctx, concrete, variation, decls, fields)
                out.variations.append(variation)
    return out


_TEMPLATED = frozenset(
    {
        *("name", "group", "direction", "metadata", "requires", "weight", "replace", "datasets"),
        *("anchor", "stage", "patch", "params", "stop_before", "export"),
    }
)
"""The keys of a variation whose strings may hold `{axis}` templates of its `matrix` (upstream's list)."""


def _matrix(ctx: Context, item: MapNode) -> list[MapNode]:
    """`matrix: {axis: [values]}`: one variation per combination of values (the first axis varies slowest),
    `{axis}` in the templated keys replaced by the value (a string that is only `{axis}` takes the value as
    it is). Without a matrix, the variation itself."""
    entry = item.entry("matrix")
    if entry is None:
        return [item]
    axes: list[tuple[str, list[ScalarNode]]] = []
    if isinstance(entry.value, MapNode):
        for axis in entry.value.entries:
            values = axis.value.items if isinstance(axis.value, SeqNode) else []
            scalars = [v for v in values if isinstance(v, ScalarNode)]
            if not scalars:
                ctx.report(
                    codes.PARAM_VALUE,
                    axis.key,
                    f"matrix axis '{axis.key.text}' has no values",
                    hint="list the values: `axis: [up, down]`",
                )
                return []
            axes.append((axis.key.text, scalars))
    if not axes:
        ctx.report(codes.PARAM_VALUE, entry.key, "`matrix` has no axes", hint="give `axis: [values]`")
        return []
    body = [e for e in item.entries if e.key.text != "matrix"]
    names = [a for a, _ in axes]
    if not _templates_known(ctx, body, names):
        return []
    out = []
    for combo in itertools.product(*(values for _, values in axes)):
        values = {a: v.value for a, v in zip(names, combo, strict=True)}
        entries = [
            Entry(e.key, _substituted(e.value, values)) if e.key.text in _TEMPLATED else e for e in body
        ]
        out.append(MapNode(item.span, item.index, entries))
    return out


def _fields(text: str) -> list[str] | None:
    """The `{name}` template fields of ``text``; None when it is not a valid template."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return None


def _templates_known(ctx: Context, entries: list[Entry], axes: list[str]) -> bool:
    ok = True
    todo: list[Node] = [e.value for e in entries if e.key.text in _TEMPLATED]
    todo += [e.key for e in entries if e.key.text in _TEMPLATED]
    while todo:
        node = todo.pop()
        if isinstance(node, MapNode):
            todo += [e.key for e in node.entries] + [e.value for e in node.entries]
        elif isinstance(node, SeqNode):
            todo += node.items
        elif isinstance(node, ScalarNode) and node.is_string and "{" in node.text:
            for name in _fields(node.text) or []:
                if name not in axes:
                    ok = False
                    ctx.unknown_name(
                        codes.UNKNOWN_SYMBOL, node, "matrix axis", axes, name=name,
                        extra_hint="`{axis}` in a variation names an axis of its `matrix`",
                    )  # fmt: skip
    return ok


def _substituted(node: Node, values: Mapping[str, Any]) -> Node:
    """A copy of ``node`` with `{axis}` replaced in every string, keys included (at the template's place)."""
    if isinstance(node, MapNode):
        entries = [Entry(_substituted(e.key, values), _substituted(e.value, values)) for e in node.entries]  # type: ignore[arg-type]
        return MapNode(node.span, node.index, entries)
    if isinstance(node, SeqNode):
        return SeqNode(node.span, node.index, [_substituted(i, values) for i in node.items])
    if (
        isinstance(node, ScalarNode)
        and node.is_string
        and "{" in node.text
        and _fields(node.text) is not None
    ):
        whole = node.text.strip()
        for axis, value in values.items():
            if whole == "{" + axis + "}":
                return replace(node, value=value, text=str(value), offsets=())
        text = node.text.format(**values)
        return replace(node, value=text, text=text, offsets=())
    return node


def _variation(
    ctx: Context,
    item: MapNode,
    fields: _Fields,
    dataset_names: list[str],
    targets: set[str],
    seen: dict[str, ScalarNode],
) -> VariationDecl | None:
    name_node = item.get("name")
    if not isinstance(name_node, ScalarNode) or not ctx.check_name(
        name_node, "variation name", file_name=True
    ):
        return None
    name = name_node.text.strip()
    if name in seen or name == NOMINAL:
        ctx.report(
            codes.DUPLICATE_NAME,
            name_node,
            f"duplicate variation '{name}'",
            hint="`nominal` names the unvaried workflow (`include_nominal`)"
            if name == NOMINAL
            else "each variation names its own products: give this one another name",
        )
        return None
    seen[name] = name_node
    mode = item.entry("mode")
    if mode is not None and _text(mode.value) not in (None, "plan"):
        ctx.report(
            codes.NOT_SUPPORTED_YET,
            mode.key,
            f"inline variations are accepted but not run yet: variation '{name}' is skipped",
            severity=Severity.WARNING,
        )
        return None
    out = VariationDecl(name, group=_text(item.get("group")), direction=_text(item.get("direction")))
    _applies_to(ctx, item.get("applies_to"), out, dataset_names)
    for ref in _strings(item.get("requires")):
        if ref.text not in targets:
            ctx.unknown_name(
                codes.UNKNOWN_STAGE_REF,
                ref,
                "plan node",
                sorted(targets),
                extra_hint="`requires` names plan nodes such as `stage.<id>` or `read.<source>`",
            )
    weight = item.get("weight")
    if isinstance(weight, MapNode):
        factors = _strings(weight.get("multiply"), numbers=True)
        for factor in factors:
            _check_expression(ctx, factor, fields)
        out.multiply = tuple(f.text.strip() for f in factors)
    renames = item.get("replace")
    if isinstance(renames, MapNode):
        for entry in renames.entries:
            target = entry.value
            if not isinstance(target, ScalarNode) or not target.is_string:
                continue
            for node in (entry.key, target):
                _check_field(ctx, node, fields)
            out.replace[entry.key.text] = target.text
            fields.need(target.text)
    datasets = item.get("datasets")
    swaps = datasets.get("replace") if isinstance(datasets, MapNode) else None
    if isinstance(swaps, MapNode):
        for entry in swaps.entries:
            known = [
                ctx.refer(n, SymbolKind.DATASET, dataset_names, codes.UNKNOWN_DATASET)
                for n in (entry.key, entry.value)
                if isinstance(n, ScalarNode)
            ]
            if all(known) and isinstance(entry.value, ScalarNode):
                out.dataset_replace[entry.key.text] = entry.value.text
    return out


def _check_order(
    ctx: Context, item: MapNode, v: VariationDecl, decls: list[StageDecl], fields: _Fields
) -> None:
    """FF304: a stage the variation changes must find the fields it then reads — a weight factor or a
    replacement field defined by a later stage would fail the run (upstream fails there at run time)."""
    from fasthep_flow.compiler.planner import params_with_defaults

    weight = item.get("weight")
    factors = _strings(weight.get("multiply"), numbers=True) if isinstance(weight, MapNode) else []
    renames = item.get("replace")
    targets = [e.value for e in renames.entries] if isinstance(renames, MapNode) else []
    reported: set[int] = set()
    for d in decls:
        needed: list[tuple[ScalarNode, str]] = []
        weight_expr = params_with_defaults(d).get("weight_expr") if d.spec is not None else None
        if factors and isinstance(weight_expr, str) and weight_expr.strip():
            needed += [(f, name) for f in factors for name in _symbols(f.text)]
        if v.replace and _renamed_params(d, v.replace) is not None:
            needed += [(t, t.text) for t in targets if isinstance(t, ScalarNode) and t.is_string]
        for node, name in needed:
            if id(node) in reported or not fields.known(name) or fields.available(name, d):
                continue  # an unknown name is FF303 already
            reported.add(id(node))
            ctx.report(
                codes.USED_BEFORE_DEFINED,
                node,
                f"field '{name}' is used before it is defined (variation '{v.name}' changes stage "
                f"'{d.id}', which runs before the stage defining it)",
                hint=f"define '{name}' in a stage before '{d.id}'",
            )


def _symbols(text: str) -> list[str]:
    from fasthep_flow.expressions import ExprError, parse

    parsed = parse(text)
    return [] if isinstance(parsed, ExprError) else sorted(parsed.symbols)


def _applies_to(ctx: Context, node: Node | None, out: VariationDecl, dataset_names: list[str]) -> None:
    if isinstance(node, ScalarNode) and node.is_string:
        out.eventtypes = frozenset({node.text.strip()})
        return
    if not isinstance(node, MapNode):
        return
    eventtypes = node.get("eventtypes") or node.get("eventtype")
    if eventtypes is not None:
        out.eventtypes = frozenset(n.text.strip() for n in _strings(eventtypes))
    names = node.get("datasets") or node.get("dataset")
    if names is not None:
        listed = _strings(names)
        for n in listed:
            ctx.refer(n, SymbolKind.DATASET, dataset_names, codes.UNKNOWN_DATASET)
        out.datasets = frozenset(n.text.strip() for n in listed)


def _check_field(ctx: Context, node: ScalarNode, fields: _Fields) -> None:
    known = fields.known(node.text)
    # a reference like any expression's: rename, find-references and hover see the variation's names too
    ctx.index.references.append(Reference(node.text, SymbolKind.FIELD, node.span, resolved=known))
    if not known:
        ctx.unknown_name(codes.UNKNOWN_SYMBOL, node, "field", fields.candidates())


def _check_expression(ctx: Context, node: ScalarNode, fields: _Fields) -> None:
    """A weight factor is an expression (upstream multiplies `(weight_expr) * (factor)`): parsed and its
    names checked like any expression's."""
    from fasthep_flow.expressions import ExprError, parse

    parsed = parse(node.text)
    if isinstance(parsed, ExprError):
        ctx.diagnostics.append(parsed.to_diagnostic(node))
        return
    for name, start, end in parsed.symbol_spans():
        known = fields.known(name)
        span = node.span_of(start, end)
        ctx.index.references.append(Reference(name, SymbolKind.FIELD, span, resolved=known))
        if not known:
            ctx.unknown_name(
                codes.UNKNOWN_SYMBOL,
                node,
                "field",
                fields.candidates(),
                name=name,
                span=node.span_of(start, end),
            )
        else:
            fields.need(name)


# --- the plan ----------------------------------------------------------------------------------------------


def _renamed_text(text: str, kind: str, renames: Mapping[str, str]) -> str:
    if kind == "field":
        return renames.get(text, text)
    from fasthep_flow.expressions import ExprError, parse

    parsed = parse(text)
    if isinstance(parsed, ExprError):
        return text
    out = text
    for name, start, end in sorted(parsed.symbol_spans(), key=lambda s: -s[1]):
        if name in renames:
            out = out[:start] + renames[name] + out[end:]
    return out


def _plain(node: Node | None, subst: Mapping[int, str]) -> Any:
    """The params as plain data, with the scalars in ``subst`` (by identity) given their new text."""
    if isinstance(node, MapNode):
        out: dict[str, Any] = {}
        for entry in node.entries:
            out.setdefault(entry.key.text, _plain(entry.value, subst))
        return out
    if isinstance(node, SeqNode):
        return [_plain(i, subst) for i in node.items]
    if isinstance(node, ScalarNode):
        return subst.get(id(node), node.value)
    return None


def _renamed_params(decl: StageDecl, renames: Mapping[str, str]) -> dict[str, Any] | None:
    """The stage's params with `replace` applied to every expression and field name the op reads (its
    data-flow uses), or None when none of them names a replaced field."""
    from fasthep_flow.compiler.planner import params_from
    from fasthep_flow.registry.dataflow import flow_of

    if decl.spec is None or decl.params is None:
        return None
    subst: dict[int, str] = {}
    for step in flow_of(decl.spec, decl.params, decl.id):
        for use in step.uses:
            if use.prefix or use.local_only or use.implicit:
                continue  # names relative to a collection or the op's own columns are not stream fields
            new = _renamed_text(use.node.text, use.kind, renames)
            if new != use.node.text:
                subst[id(use.node)] = new
    if not subst:
        return None
    given = _plain(decl.params, subst)
    return params_from(decl, given if isinstance(given, dict) else {})


def _varied_params(node: PlanNode, decl: StageDecl | None, variation: VariationDecl) -> Mapping[str, Any]:
    params: Mapping[str, Any] = node.params
    if decl is not None and variation.replace:
        params = _renamed_params(decl, variation.replace) or params
    weight = params.get("weight_expr")
    if variation.multiply and isinstance(weight, str) and weight.strip():
        factors = " * ".join(f"({m})" for m in variation.multiply)
        params = {**params, "weight_expr": f"({weight}) * {factors}"}
    return params


def _placed_in(node: PlanNode, name: str) -> Mapping[str, Any]:
    """A copied write, render or inspect writes inside the variation's folder, beside the nominal's."""
    params = dict(node.params)
    key = {NodeKind.WRITE: "path", NodeKind.RENDER: "out", NodeKind.INSPECT: "out"}.get(node.kind)
    if key is None:
        return params
    if isinstance(params.get(key), str):
        params[key] = f"{name}/{params[key]}"
    elif node.kind is NodeKind.INSPECT:
        params[key] = f"{name}/inspect/{node.stage or node.id}.json"
    return params


def expand_plan(
    nodes: list[PlanNode],
    datasets: tuple[DatasetPlan, ...],
    decls: Iterable[StageDecl],
    systematics: SystematicsDecl,
) -> tuple[list[PlanNode], tuple[DatasetPlan, ...], tuple[VariationPlan, ...]]:
    """The nominal plan's nodes and datasets plus each variation's copies, and the views naming them."""
    by_stage = {d.id: d for d in decls}
    by_name = {d.name: d for d in datasets}
    all_nodes, all_datasets = list(nodes), list(datasets)
    views: list[VariationPlan] = []
    if systematics.include_nominal:
        views.append(
            VariationPlan(
                NOMINAL, datasets=tuple(ViewDataset(d.name, d.name) for d in datasets), nominal=True
            )
        )
    for v in systematics.variations:
        view_datasets: list[ViewDataset] = []
        stand_ins = set(v.dataset_replace.values())
        for ds in datasets:
            other = v.dataset_replace.get(ds.name)
            if other is not None and other in by_name:
                run = _stand_in(ds, by_name[other], v.name)
                all_datasets.append(run)
                view_datasets.append(ViewDataset(ds.name, run.name, True))
            elif ds.name not in stand_ins:  # the replacement is read in place of another, not as itself
                view_datasets.append(ViewDataset(ds.name, ds.name, v.applies(ds)))
        copies = _copies(nodes, by_stage, v, moved=bool(v.dataset_replace))
        all_nodes.extend(copies.values())
        views.append(
            VariationPlan(
                v.name,
                nodes={nid: copy.id for nid, copy in copies.items()},
                datasets=tuple(view_datasets),
                group=v.group,
                direction=v.direction,
            )
        )
    return all_nodes, tuple(all_datasets), tuple(views)


def _stand_in(replaced: DatasetPlan, other: DatasetPlan, variation: str) -> DatasetPlan:
    """`replaced` as `variation` reads it: `other`'s files, entries and metadata, under `replaced`'s label
    and group (upstream's rewrite of the dataset entry)."""
    meta = dict(other.meta)
    meta["group"] = replaced.meta.get("group", other.meta.get("group", replaced.name))
    meta[REPLACEMENT_KEY] = {"nominal_dataset": replaced.name, "replacement_dataset": other.name}
    return replace(other, name=f"{replaced.name}@{variation}", meta=meta)


def _copies(
    nodes: list[PlanNode], by_stage: Mapping[str, StageDecl], v: VariationDecl, moved: bool
) -> dict[str, PlanNode]:
    """Nominal node id -> its copy in ``v``, in plan order: the nodes whose params ``v`` changes, those
    reading or waiting for a copied node and, when ``v`` reads other datasets (``moved``), every write,
    render and inspect (their files must not mix with the nominal's)."""
    copies: dict[str, PlanNode] = {}
    for node in nodes:
        decl = (
            by_stage.get(node.stage or "")
            if node.kind is NodeKind.STAGE and node.id.startswith("stage.")
            else None
        )
        params = _varied_params(node, decl, v) if node.kind is NodeKind.STAGE else node.params
        deps = (*node.inputs, *node.after)
        if (
            params == node.params
            and not any(d in copies for d in deps)
            and not (moved and node.kind in _ATTACHED)
        ):
            continue
        copy = replace(
            node,
            id=f"{node.id}@{v.name}",
            params=params,
            inputs=tuple(copies[i].id if i in copies else i for i in node.inputs),
            after=tuple(copies[i].id if i in copies else i for i in node.after),
        )
        if node.kind in _ATTACHED:
            copy = replace(copy, params=_placed_in(copy, v.name))
        copies[node.id] = copy
    return copies
