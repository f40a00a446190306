"""Stages: ids, ops, and how they connect (`needs` orders, `from`/`in` feeds data, otherwise the previous one).

Every problem found here points at the scalar that causes it: the duplicate id, the misspelt op, the `needs`
entry naming no stage. The dependency graph is a networkx DiGraph so cycles come with their members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.symbols import Definition, Reference, StageInfo, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Related, Severity
from fasthep_flow.document.node_memo import NodeMemo
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode

if TYPE_CHECKING:
    from fasthep_flow.registry.specs import OpSpec


@dataclass
class InputRef:
    name: str
    node: ScalarNode
    port: str | None = None
    alias: str | None = None


@dataclass
class StageDecl:
    index: int
    node: MapNode
    id: str
    id_node: ScalarNode | None
    op: str | None
    op_node: ScalarNode | None
    spec: OpSpec | None = None
    untrusted: bool = False
    params: MapNode | None = None
    needs: list[InputRef] = field(default_factory=list)
    needs_given: bool = False
    inputs: list[InputRef] = field(default_factory=list)
    data_input: str | None = None
    """Resolved upstream stream: a stage id or `source:<name>`."""
    more_inputs: list[str] = field(default_factory=list)
    """A stage whose op reads several streams (``OpSpec.streams``): its other resolved inputs, in order, in
    the form of ``data_input``."""
    input_names: list[str] = field(default_factory=list)
    """Such a stage's inputs' names (their `as`, else the stage or source named), ``data_input`` first."""
    role: str = "transform"
    plain_params: dict[str, Any] | None = None
    """Params as plain data with defaults filled (see ``planner.params_with_defaults``)."""

    @property
    def is_sink(self) -> bool:
        return self.role == "sink"


def scalar(node: Node | None) -> ScalarNode | None:
    return node if isinstance(node, ScalarNode) else None


def _refs(value: Node | None) -> list[InputRef]:
    """`needs`/`from` accept a name, a list of names, or a list of `{node, port, as}`."""
    if isinstance(value, ScalarNode) and value.value is not None:
        return [InputRef(value.text, value)]
    out: list[InputRef] = []
    if isinstance(value, SeqNode):
        for item in value.items:
            if isinstance(item, ScalarNode) and item.value is not None:
                out.append(InputRef(item.text, item))
            elif isinstance(item, MapNode):
                target = scalar(item.get("node"))
                if target is not None:
                    port = scalar(item.get("port"))
                    alias = scalar(item.get("as"))
                    out.append(
                        InputRef(
                            target.text, target, port.text if port else None, alias.text if alias else None
                        )
                    )
    return out


def collect_stages(ctx: Context, source_names: list[str], primary: str) -> list[StageDecl]:
    analysis = ctx.root.get("analysis")
    stages_node = analysis.get("stages") if isinstance(analysis, MapNode) else None
    if not isinstance(stages_node, SeqNode) or not stages_node.items:
        where = stages_node if stages_node is not None else analysis
        if where is None:
            anchor = ctx.root.entries[0].key if ctx.root.entries else ctx.root
            ctx.report(
                codes.EMPTY_STAGES,
                anchor,
                "the workflow has no `analysis.stages`: nothing to run",
                hint="add `analysis: {stages: [...]}` with at least one stage",
            )
        elif isinstance(stages_node, SeqNode) or stages_node is None or isinstance(stages_node, ScalarNode):
            ctx.report(
                codes.EMPTY_STAGES,
                where,
                "`analysis.stages` is empty: nothing to run",
                hint="add at least one stage: `- {id: ..., op: ..., params: {...}}`",
            )
        return []

    decls: list[StageDecl] = []
    first_seen: dict[str, StageDecl] = {}
    for i, item in enumerate(stages_node.items):
        if not isinstance(item, MapNode):
            continue  # the schema pass reports a stage that is not a mapping
        id_node = scalar(item.get("id"))
        # (an id that is not a string is the schema's FF106; here: too long, or not usable in a file name)
        if (
            id_node is not None
            and id_node.is_string
            and not ctx.check_name(id_node, "a stage id", file_name=True)
        ):
            id_node = None  # named by position from here on: the bad id is reported once
        op_node = scalar(item.get("op"))
        stage_id = id_node.text if id_node is not None and id_node.value is not None else f"#{i + 1}"
        role_node = scalar(item.get("role"))
        decl = StageDecl(
            index=i,
            node=item,
            id=stage_id,
            id_node=id_node,
            op=op_node.text if op_node is not None and op_node.value is not None else None,
            op_node=op_node,
            params=item.get("params") if isinstance(item.get("params"), MapNode) else None,
            role=role_node.text if role_node is not None else "transform",
        )
        if id_node is not None and stage_id in first_seen:
            first = first_seen[stage_id]
            ctx.report(
                codes.DUPLICATE_STAGE,
                id_node,
                f"duplicate stage id '{stage_id}'",
                hint="stage ids must be unique; rename one of them",
                related=(Related(first.id_node.span, "first defined here"),) if first.id_node else (),
            )
        elif id_node is not None:
            first_seen[stage_id] = decl
        if stage_id in source_names and id_node is not None:
            ctx.report(
                codes.DUPLICATE_NAME,
                id_node,
                f"stage id '{stage_id}' is also the name of a source",
                hint="`from:` could not tell them apart; rename the stage",
            )
        _check_param_keys(ctx, decl.params)
        _resolve_op(ctx, decl)
        needs_node = item.get("needs")
        decl.needs_given = needs_node is not None
        decl.needs = _refs(needs_node)
        decl.inputs = _refs(item.get("from") if item.get("from") is not None else item.get("in"))
        decls.append(decl)
        if id_node is not None:
            ctx.index.definitions.append(
                Definition(
                    stage_id,
                    SymbolKind.STAGE,
                    id_node.span,
                    stage=stage_id,
                    detail=f"{decl.op or '?'}",
                    order=(i + 1) * 1000,
                )
            )
    _connect(ctx, decls, source_names, primary)
    return decls


_ODD_KEYS: NodeMemo[tuple[ScalarNode, ...]] = NodeMemo(8192)
"""Params node -> the keys inside it that are not strings (``document/node_memo.py``)."""


def _check_param_keys(ctx: Context, params: MapNode | None) -> None:
    """Every key inside a stage's params is a name (group, alias, variation...): `3.5:` is an FF124 error."""
    if params is None:
        return
    for key in _ODD_KEYS.get((params,), None, lambda: _odd_keys(params)):
        ctx.check_name(key, "a key")


def _odd_keys(params: MapNode) -> tuple[ScalarNode, ...]:
    found: list[ScalarNode] = []
    stack: list[Node] = [params]
    while stack:
        node = stack.pop()
        if isinstance(node, MapNode):
            for entry in node.entries:
                if not entry.key.is_string:
                    found.append(entry.key)
                stack.append(entry.value)
        elif isinstance(node, SeqNode):
            stack.extend(node.items)
    return tuple(found)


def _resolve_op(ctx: Context, decl: StageDecl) -> None:
    if decl.op_node is None or decl.op is None:
        return  # the schema pass reports a missing `op`
    spec = ctx.registry.stage_op(decl.op)
    if spec is not None:
        decl.spec = spec
        if spec.kind.value == "sink" and decl.role == "transform":
            decl.role = "sink"
        if spec.problems is not None and decl.params is not None:
            # not remembered: some ops look at files (a weights table, a schema file) that may change
            for problem in spec.problems(decl.params):
                severity = Severity.WARNING if problem.warning else Severity.ERROR
                ctx.report(problem.code, problem.node, problem.message, hint=problem.hint, severity=severity)
        return
    other = _other_group(ctx, decl.op)
    if other is None and ctx.untrusted_op(decl.op_node, decl.op):
        decl.untrusted = True
        return
    if other == "render":
        # upstream's render stage: `op: hep.render.*`, `from: [{node: H, port: hist}]`, `params: {style}`,
        # stage-level `out`/`when`; it becomes a render node on the stage it reads (compiler/render_stages.py)
        decl.role = "render"
        decl.spec = ctx.registry.render(decl.op)
        return
    if other:
        ctx.report(
            codes.WRONG_OP_KIND,
            decl.op_node,
            f"'{decl.op}' is a {other} op, not a stage op",
            hint=f"use it as a {'source `kind`' if other == 'source' else other} instead",
        )
        return
    ctx.unknown_name(codes.UNKNOWN_OP, decl.op_node, "op", sorted(ctx.registry.stage_ops()))


def _other_group(ctx: Context, name: str) -> str | None:
    if ctx.registry.source(name) is not None:
        return "source"
    if ctx.registry.render(name) is not None:
        return "render"
    if ctx.registry.observer(name) is not None:
        return "observer"
    return None


def _connect(ctx: Context, decls: list[StageDecl], source_names: list[str], primary: str) -> None:
    ids = {d.id for d in decls if d.id_node is not None}
    known = sorted(ids | set(source_names))
    edges: list[tuple[str, str]] = []
    previous_stream: str | None = f"source:{primary}" if primary else None
    for d in decls:
        for ref in (*d.needs, *d.inputs):
            is_stage = ref.name in ids
            is_source = ref.name in source_names
            ctx.index.references.append(
                Reference(
                    ref.name,
                    SymbolKind.STAGE if is_stage or not is_source else SymbolKind.SOURCE,
                    ref.node.span,
                    stage=d.id,
                    resolved=is_stage or is_source,
                )
            )
            if not is_stage and not is_source:
                ctx.unknown_name(codes.UNKNOWN_STAGE_REF, ref.node, "stage or source", known)
            elif ref.name == d.id:
                ctx.report(codes.DEPENDENCY_CYCLE, ref.node, f"stage '{d.id}' depends on itself")
            elif is_stage:
                edges.append((ref.name, d.id))
        resolved_inputs = [r for r in d.inputs if r.name in ids or r.name in source_names]
        if d.spec is not None and d.spec.once:
            _bind_products(ctx, d, resolved_inputs, {x.id: x for x in decls})
            _add_stage_info(ctx, d)
            continue
        if not resolved_inputs and not d.inputs and len(d.needs) == 1:
            # upstream: exactly one need and no `from` reads that stage's stream (LANGUAGE.md §8.2); several
            # needs or `needs: []` order only, and the stage reads the previous stream (our extension)
            # (a need on a later stage is a cycle or a forward reference, reported on its own: keep the
            # previous stream so the fields still resolve)
            earlier = {x.id for x in decls[: decls.index(d)]}
            resolved_inputs = [r for r in d.needs if r.name in earlier or r.name in source_names]
        if resolved_inputs:
            first = resolved_inputs[0].name
            d.data_input = first if first in ids else f"source:{first}"
            if d.spec is not None and d.spec.streams:
                _bind_streams(ctx, d, resolved_inputs, ids)
        else:
            d.data_input = previous_stream
            if previous_stream and not previous_stream.startswith("source:"):
                edges.append((previous_stream, d.id))
            if d.spec is not None and d.spec.streams and previous_stream:
                d.input_names = [previous_stream.removeprefix("source:")]
        if d.spec is not None and d.spec.input_problems is not None:
            for problem in d.spec.input_problems(d.params, tuple(d.input_names)):
                severity = Severity.WARNING if problem.warning else Severity.ERROR
                ctx.report(problem.code, problem.node, problem.message, hint=problem.hint, severity=severity)
        if _leads_stream(d):
            previous_stream = d.id
        _add_stage_info(ctx, d)
    if any(d.needs or d.inputs for d in decls):
        # only explicit `needs`/`from` can point backwards; without them there is no cycle to look for
        _report_cycles(ctx, decls, edges)


def _add_stage_info(ctx: Context, d: StageDecl) -> None:
    ctx.index.stages.append(
        StageInfo(
            id=d.id,
            index=d.index,
            node=d.node,
            id_span=d.id_node.span if d.id_node else None,
            op=d.op,
            op_span=d.op_node.span if d.op_node else None,
            inputs=((d.data_input,) if d.data_input else ()) + tuple(d.more_inputs),
            needs=tuple(r.name for r in d.needs),
        )
    )


def _bind_products(ctx: Context, d: StageDecl, refs: list[InputRef], by_id: dict[str, StageDecl]) -> None:
    """A once-per-run stage reads no stream: its `from` entries bind the products of other once-per-run
    stages (a schema) under their `as` names; an event stream there is an error."""
    d.data_input = None
    seen: dict[str, InputRef] = {}
    for ref in refs:
        other = by_id.get(ref.name)
        if other is None or other.spec is None or not other.spec.once:
            if other is None or other.spec is not None:  # an unknown op is reported on its own
                ctx.report(
                    codes.PARAM_VALUE,
                    ref.node,
                    f"stage '{d.id}' ({d.op}) reads the product of a once-per-run stage, and '{ref.name}' is "
                    + ("a source" if other is None else f"a '{other.op}' stage"),
                    hint="bind the stages whose products it takes, e.g. "
                    "`from: [{node: <schema stage>, port: schema, as: reference}, ...]`",
                )
            continue
        if _bind_name(ctx, d, ref, seen) is None:
            continue
        d.more_inputs.append(ref.name)
    if d.spec is not None and d.spec.any_inputs:
        if not seen:
            ctx.report(
                codes.PARAM_VALUE,
                d.node.get("from") or d.op_node or d.node,
                f"stage '{d.id}' ({d.op}) reads the products of other stages, and none is bound",
                hint="`from: [{node: <stage>, as: <name>}, ...]`",
            )
        return
    ports = [p.name for p in d.spec.inputs] if d.spec is not None else []
    for name, ref in seen.items():
        if name not in ports:
            ctx.report(
                codes.PARAM_VALUE,
                ref.node,
                f"stage '{d.id}' ({d.op}) has no input '{name}'"
                + (f"; its inputs: {', '.join(ports)}" if ports else ": it reads none"),
                hint=f"bind it with `as: {ports[0]}`" if ports else "remove the `from` entry",
            )
    missing = [p for p in ports if p not in seen]
    if missing:
        anchor = d.node.get("from") or d.node.get("in") or d.op_node or d.node
        ctx.report(
            codes.PARAM_VALUE,
            anchor,
            f"stage '{d.id}' ({d.op}) needs its input(s) {', '.join(repr(m) for m in missing)} bound",
            hint="`from: [" + ", ".join(f"{{node: <stage>, as: {p}}}" for p in ports) + "]`",
        )
    if d.spec is not None and d.spec.input_problems is not None:
        for problem in d.spec.input_problems(d.params, tuple(d.input_names)):
            severity = Severity.WARNING if problem.warning else Severity.ERROR
            ctx.report(problem.code, problem.node, problem.message, hint=problem.hint, severity=severity)


def _bind_name(ctx: Context, d: StageDecl, ref: InputRef, seen: dict[str, InputRef]) -> str | None:
    """Bind ``ref`` under its ``as`` name (else its stage's); None, reported, when the name is taken."""
    name = ref.alias or ref.name
    if name in seen:
        ctx.report(
            codes.DUPLICATE_NAME,
            ref.node,
            f"two inputs of stage '{d.id}' are bound as '{name}'",
            hint="give each `from` entry its own `as:` name",
            related=(Related(seen[name].node.span, "first bound here"),),
        )
        return None
    seen[name] = ref
    d.input_names.append(name)
    return name


def _bind_streams(ctx: Context, d: StageDecl, refs: list[InputRef], ids: set[str]) -> None:
    """A several-stream stage's inputs under their names; two inputs under one name are an error (upstream
    fails at run time: "duplicate bound input name")."""
    seen: dict[str, InputRef] = {}
    for ref in refs:
        if _bind_name(ctx, d, ref, seen) is None:
            continue
        if ref is not refs[0]:
            d.more_inputs.append(ref.name if ref.name in ids else f"source:{ref.name}")


def _leads_stream(d: StageDecl) -> bool:
    """Whether the next stage without `needs`/`from` reads this one: a transform whose op outputs a stream
    for later stages (not a sink, not a render stage, not a histogram's pass-through)."""
    if d.is_sink or d.role == "render" or d.id_node is None:
        return False
    return d.spec is None or (d.spec.leads_stream and not d.spec.once)


def find_cycles(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """One cycle (stage ids along the edges) per strongly connected component of two or more stages.

    Tarjan's algorithm, iterative, then a breadth-first walk inside the component back to its first node;
    pure Python so that `check` does not import networkx (a sixth of its start-up).
    """
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        if a in succ and b in succ:
            succ[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, rest = work[-1]
            nxt = next(rest, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    components.append(comp)
    cycles = []
    order = {n: i for i, n in enumerate(nodes)}
    for comp in components:
        members = set(comp)
        start = min(comp, key=order.__getitem__)
        parent: dict[str, str] = {}
        queue = [start]
        found = None
        while queue and found is None:
            node = queue.pop(0)
            for nxt in succ[node]:
                if nxt == start:
                    found = node
                    break
                if nxt in members and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        path = [found] if found is not None else []
        while path and path[-1] != start:
            path.append(parent[path[-1]])
        cycles.append(path[::-1])
    return cycles


def _report_cycles(ctx: Context, decls: list[StageDecl], edges: list[tuple[str, str]]) -> None:
    by_id = {d.id: d for d in decls}
    reported: set[frozenset[str]] = set()
    for cycle in find_cycles(list(by_id), edges):
        key = frozenset(cycle)
        if key in reported or len(cycle) < 2:
            continue
        reported.add(key)
        # point at the `needs`/`from` entry of the cycle's last stage in file order that names a member
        members = sorted(cycle, key=lambda s: by_id[s].index)
        last = by_id[members[-1]]
        ref = next((r for r in (*last.needs, *last.inputs) if r.name in key), None)
        where = ref.node if ref else (last.id_node or last.node)
        loop = " -> ".join([*cycle, cycle[0]])
        ctx.report(
            codes.DEPENDENCY_CYCLE,
            where,
            f"dependency cycle: {loop}",
            hint="remove one of the `needs`/`from` entries in the loop",
            related=tuple(
                Related(by_id[s].id_node.span, f"stage '{s}' is in the cycle")
                for s in members[:-1]
                if by_id[s].id_node is not None
            ),
        )
        if len(reported) > 20:
            break
