"""A systematic variation as a view of the one plan: the nodes it copies, the datasets it reads.

Upstream compiles one plan per variation and runs each on its own; here every variation is a view of one plan,
so one `run` computes them all. A node the variation changes (a `weight_expr` it multiplies, an expression
reading a field it replaces, the anchor stage an inline variation patches), or one reading such a node, gets a
copy `<node id>@<variation>`; every other node is the nominal one, computed once per partition for every
variation. A dataset read in place of another is a plan dataset of its own, `<dataset>@<variation>`, labelled
with the replaced dataset's name.
The checks of the `systematics:` block, which build the declarations used here, are in ``systematics.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.plan import INPUT_NAMES, DatasetPlan, NodeKind, PlanNode, VariationPlan, ViewDataset
from fasthep_flow.plan.model import REPLACEMENT_KEY
from fasthep_flow.registry.specs import OpKind

if TYPE_CHECKING:
    from fasthep_flow.compiler.inline_variations import InlineChange

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
    inline: InlineChange | None = None
    """`mode: inline`: the anchor stage's patched params, and the stages not copied (`stop_before`)."""

    def applies(self, dataset: DatasetPlan) -> bool:
        if self.eventtypes is not None and dataset.eventtype not in self.eventtypes:
            return False
        return self.datasets is None or dataset.name in self.datasets


@dataclass
class SystematicsDecl:
    include_nominal: bool
    variations: list[VariationDecl]


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


def renamed_params(decl: StageDecl, renames: Mapping[str, str]) -> dict[str, Any] | None:
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
    inline = variation.inline
    if decl is not None and inline is not None and decl.id == inline.anchor:
        # the patched params as the plan holds any stage's (the names of its inputs kept)
        return {**inline.params, **{k: v for k, v in node.params.items() if k == INPUT_NAMES}}
    if decl is not None and variation.replace:
        params = renamed_params(decl, variation.replace) or params
    weight = params.get("weight_expr")
    if variation.multiply and isinstance(weight, str) and weight.strip():
        factors = " * ".join(f"({m})" for m in variation.multiply)
        params = {**params, "weight_expr": f"({weight}) * {factors}"}
    return params


_OUTPUT_KEYS = {NodeKind.WRITE: "path", NodeKind.RENDER: "out", NodeKind.INSPECT: "out"}


def _output_key(node: PlanNode, decl: StageDecl | None) -> str | None:
    """The param naming the file a node writes: a write's, render's or inspect's, or a sink stage's `path`."""
    if node.kind is NodeKind.STAGE:
        return (
            "path" if decl is not None and decl.spec is not None and decl.spec.kind is OpKind.SINK else None
        )
    return _OUTPUT_KEYS.get(node.kind)


def _placed_in(node: PlanNode, name: str, key: str) -> Mapping[str, Any]:
    """A copied node that writes a file (its ``key`` param) writes inside the variation's folder, beside the
    nominal's (never over it)."""
    params = dict(node.params)
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
    stop = {f"stage.{s}" for s in v.inline.stop_before} if v.inline is not None else set()
    for node in nodes:
        if node.id in stop:
            continue  # `stop_before`: the stage reads the nominal's stream, and so does what follows it
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
        patched = v.inline is not None and node.id == f"stage.{v.inline.anchor}" and params != node.params
        copy = replace(
            node,
            id=f"{node.id}@{v.name}",
            params=params,
            reads=() if patched else node.reads,  # the patch may read other fields: the cache keeps them all
            inputs=tuple(copies[i].id if i in copies else i for i in node.inputs),
            after=tuple(copies[i].id if i in copies else i for i in node.after),
        )
        key = _output_key(node, decl)
        if key is not None:
            copy = replace(copy, params=_placed_in(copy, v.name, key))
        copies[node.id] = copy
    return copies
