"""Field data-flow: which fields each stage reads and defines, and whether each read is satisfied.

Stages are visited in file order. A field is visible to a stage when it comes from the stage's source, the
globals or the context, or is defined by a stage upstream of it in the data graph (its `from`/previous-stage
chain), or by an earlier step of the same stage. Every expression is parsed by the grammar here, so syntax
errors, unsafe constructs and unknown functions are found in the same walk, at their exact columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.symbols import Definition, FieldOrigin, Reference, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Related, Severity
from fasthep_flow.document.node_memo import NodeMemo
from fasthep_flow.document.nodes import ScalarNode
from fasthep_flow.document.spans import Span
from fasthep_flow.expressions import Expr, ExprError, FunctionSig, check, parse
from fasthep_flow.expressions.types import (
    CONSTANT,
    NUMBER,
    STRING,
    UNKNOWN,
    StaticType,
    TypeProblem,
    check_types,
    type_of_description,
)
from fasthep_flow.registry.dataflow import ExprUse, FieldDef, FlowStep, flow_of

CONTEXT_SYMBOLS = {
    "dataset": "the dataset being processed (its name, in comparisons)",
    "dataset_name": "the name of the dataset being processed",
    "file": "the path of the input file of this partition",
    "entries": "number of entries in this partition",
    "start": "first entry of this partition",
    "stop": "one past the last entry of this partition",
    # upstream's dataset context (the `hep` profile's `hep.dataset_context`, LANGUAGE.md §17.4)
    "dataset_eventtype": "the event type of the dataset (`data` or `mc`)",
    "dataset_group": "the dataset's `group` (its name when it has none)",
    "dataset_is_data": "true for datasets with `eventtype: data`",
    "dataset_nevents": "the dataset's `nevents`, when given",
    "dataset_xs": "the dataset's cross section (`xs`)",
    "dataset_n_unskimmed_events": "the dataset's `n_unskimmed_events`",
    "dataset_filter_efficiency": "the dataset's `filter_efficiency`",
    "xs": "the dataset's cross section (its `xs` key)",
    "n_unskimmed_events": "the dataset's `n_unskimmed_events` key",
    "filter_efficiency": "the dataset's `filter_efficiency` key",
}


@dataclass
class SourceFields:
    """What one source provides: a closed list (branches listed, file metadata read, toy) or open."""

    name: str
    known: dict[str, str] = field(default_factory=dict)
    """Field -> description (type string when read from the file)."""
    closed: bool = False
    needed: list[str] = field(default_factory=list)
    """Fields the plan must read from this source, in first-use order."""

    def need(self, name: str) -> None:
        if name not in self.needed:
            self.needed.append(name)


@dataclass
class StageFlow:
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)


@dataclass
class FlowState:
    sources: dict[str, SourceFields]
    globals: set[str]
    defined_by: dict[str, list[tuple[StageDecl, Definition]]] = field(default_factory=dict)
    per_stage: dict[str, StageFlow] = field(default_factory=dict)
    unloaded: tuple[str, ...] = ()
    """Stages whose op was not loaded (untrusted code): the fields they define are unknown, not missing."""
    through: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(stage, field) -> (source, branch): a field a prefixing stage (``hep.zip_join``) makes of a source branch;
    a use of it downstream reads that branch."""
    opaque: set[str] = field(default_factory=set)
    """Stages whose op is unknown: what they define cannot be known, so fields read downstream of them are not
    reported missing (the unknown op is the one error, not one per field it would have defined)."""


_STEPS: NodeMemo[list[FlowStep]] = NodeMemo(8192)
"""(params node, op node, stage id) -> the stage's data-flow steps, made with the guarding op spec."""
_NAME_SPANS: NodeMemo[tuple[tuple[str, Span], ...]] = NodeMemo(32768)
"""Scalar node -> each symbol an expression in it reads, with its document span."""
_TYPE_PROBLEMS: dict[tuple[str, tuple[tuple[str, StaticType], ...]], tuple[TypeProblem, ...]] = {}
"""(expression text, the known types of its names) -> its type problems (positions relative to the text)."""


@lru_cache(maxsize=16)
def _signatures_of(registry: object) -> dict[str, FunctionSig]:
    functions = registry.functions  # type: ignore[attr-defined]
    return {name: FunctionSig(name, f.min_args, f.max_args, f.doc) for name, f in functions.items()}


def _signatures(ctx: Context) -> dict[str, FunctionSig]:
    return _signatures_of(ctx.registry)


_CHECKED: dict[tuple[str, int], tuple[dict[str, FunctionSig], tuple[ExprError, ...]]] = {}


def _checked(expr: Expr, sigs: dict[str, FunctionSig]) -> tuple[ExprError, ...]:
    """`check` remembered per expression text and function table: most expressions are unchanged between
    two keystrokes, and the parse is already cached the same way. The entry holds the table it was made with
    (so its id is not reused by another table while the entry lives) and a hit must be that very table."""
    key = (expr.text, id(sigs))
    hit = _CHECKED.get(key)
    if hit is not None and hit[0] is sigs:
        return hit[1]
    if len(_CHECKED) > 16384:
        _CHECKED.clear()
    found = tuple(check(expr, sigs))
    _CHECKED[key] = (sigs, found)
    return found


def analyse_flow(ctx: Context, decls: list[StageDecl], state: FlowState) -> None:
    sigs = _signatures(ctx)
    constants = set(getattr(ctx.registry, "constants", {}) or {})
    # every definition first, so a use before its definition can say where the definition is
    steps_of: dict[int, list[FlowStep]] = {}
    for d in decls:
        if d.spec is None:
            state.opaque.add(d.id)
            continue
        spec, params, anchor = d.spec, d.params, d.op_node
        steps = _STEPS.get(
            (params, anchor, d.id),
            spec,
            lambda spec=spec, params=params, sid=d.id, anchor=anchor: flow_of(
                spec, params, sid, anchor=anchor
            ),
        )
        steps_of[d.index] = steps
        for k, step in enumerate(steps):
            for fd in step.defines:
                definition = Definition(
                    fd.name,
                    SymbolKind.FIELD,
                    fd.node.span,
                    stage=d.id,
                    origin=FieldOrigin.DEFINE,
                    detail=fd.doc or (f"`{fd.expr.text}`" if fd.expr is not None else ""),
                    expr=fd.expr,
                    order=(d.index + 1) * 1000 + k + 1,
                )
                state.defined_by.setdefault(fd.name, []).append((d, definition))
                ctx.index.definitions.append(definition)

    state.unloaded = tuple(d.id for d in decls if d.untrusted)
    lineage = _Lineage(decls)
    for d in decls:
        if d.more_inputs and d.spec is not None and d.spec.streams:
            _check_same_source(ctx, d, lineage)
            _check_conflicts(ctx, d, lineage, state)
        if d.spec is not None and d.spec.stream_prefixes is not None and d.index in steps_of:
            _define_prefixed(ctx, d, lineage, state)
    for d in decls:
        steps = steps_of.get(d.index)
        if steps is None:
            continue
        ancestors = lineage.ancestors(d)
        source = lineage.root_source(d)
        src_fields = state.sources.get(source) if source else None
        flow = state.per_stage.setdefault(d.id, StageFlow())
        local: set[str] = set()
        for step in steps:
            for use in step.uses:
                _check_use(ctx, d, use, sigs, constants, ancestors, src_fields, state, local, flow)
            for fd in step.defines:
                _check_redefinition(ctx, d, fd, local, ancestors, state)
                local.add(fd.name)
                if fd.name not in flow.writes:
                    flow.writes.append(fd.name)
        for use in _written_fields(ctx, d):
            _check_use(ctx, d, use, sigs, constants, ancestors, src_fields, state, local, flow)


def _written_fields(ctx: Context, d: StageDecl) -> list[ExprUse]:
    """The field names a stage's writers list (``write: {keep: [...]}``, or the ``keep`` of the output layout
    a writer names): they are read from the stream the stage leaves, so they resolve like any other use (and
    a typo is found by ``check``, not by the run)."""
    from fasthep_flow.document.nodes import MapNode, SeqNode

    node = d.node.get("write")
    items = [node] if isinstance(node, MapNode) else list(node.items) if isinstance(node, SeqNode) else []
    outputs = ctx.root.get("outputs")
    uses: list[ExprUse] = []
    for item in items:
        if not isinstance(item, MapNode):
            continue
        holder: MapNode | None = item
        if item.get("keep") is None:
            name = item.get("output") or item.get("use")
            layout = (
                outputs.get(name.text)
                if isinstance(name, ScalarNode) and isinstance(outputs, MapNode)
                else None
            )
            holder = layout if isinstance(layout, MapNode) else None
        if holder is None:
            continue
        op_node = item.get("op") or item.get("kind") or (holder.get("op") or holder.get("kind"))
        op = op_node.text if isinstance(op_node, ScalarNode) else "root_tree"
        spec = ctx.registry.stage_op(op)
        if spec is None or spec.kind.value != "sink":
            continue
        for step in flow_of(spec, holder, d.id):
            uses.extend(u for u in step.uses if not u.implicit)
    return uses


def _check_redefinition(
    ctx: Context, d: StageDecl, fd: FieldDef, local: set[str], ancestors: _Ancestry, state: FlowState
) -> None:
    """The same name twice in one stage is an error; hiding an upstream stage's field is worth a warning."""
    earlier = [df for s, df in state.defined_by.get(fd.name, ()) if s is d and df.span != fd.node.span]
    if fd.name in local and earlier:
        ctx.report(
            codes.DUPLICATE_NAME,
            fd.node,
            f"field '{fd.name}' is defined twice in stage '{d.id}'",
            hint="rename one of them; a later definition would silently replace the earlier one",
            related=(Related(earlier[0].span, "first defined here"),),
        )
        return
    upstream = [df for s, df in state.defined_by.get(fd.name, ()) if s.id in ancestors]
    if upstream and not fd.implicit:
        ctx.report(
            codes.REDEFINED_FIELD,
            fd.node,
            f"field '{fd.name}' is defined again, hiding the definition from stage '{upstream[-1].stage}'",
            hint="give the new field another name if both are needed",
            severity=Severity.WARNING,
            related=(Related(upstream[-1].span, "first defined here"),),
        )


def _check_same_source(ctx: Context, d: StageDecl, lineage: _Lineage) -> None:
    """The streams of a several-stream stage are those of one partition: each must come from the source its
    first input reads (streams of two sources are zipped by a top-level `joins:` entry)."""
    first = lineage.root_source(d)
    for ref in d.inputs[1:]:
        other = lineage.source_of(ref.name)
        if first is not None and other is not None and other != first:
            ctx.report(
                codes.PARAM_VALUE,
                ref.node,
                f"'{ref.name}' reads source '{other}', but the first input of stage '{d.id}' reads '{first}'",
                hint="the inputs are streams of one partition: zip two sources with a top-level "
                "`joins: {name: {kind: zip, inputs: [...]}}` and read the join",
            )


def _check_conflicts(ctx: Context, d: StageDecl, lineage: _Lineage, state: FlowState) -> None:
    """With `on_conflict: error`, a field two inputs define in different stages fails every partition: say
    so now (a field both carry from a common stage or the source is the same column, not a conflict)."""
    mode = d.params.get("on_conflict") if d.params is not None else None
    if not (isinstance(mode, ScalarNode) and mode.text == "error"):
        return
    seen: dict[str, tuple[str, str]] = {}  # field -> (input, stage whose definition that input carries)
    for name, ref in zip(d.input_names, [d.data_input, *d.more_inputs], strict=False):
        if ref is None or ref.startswith("source:"):
            continue
        ancestry = _Ancestry(lineage, ref)
        for fname, defs in state.defined_by.items():
            carried = [s for s, _ in defs if s is not d and s.id in ancestry]
            if not carried:
                continue
            stage = max(carried, key=lambda s: s.index).id
            first = seen.setdefault(fname, (name, stage))
            if first[1] != stage:
                ctx.report(
                    codes.PARAM_VALUE,
                    mode,
                    f"field '{fname}' comes from stage '{first[1]}' in input '{first[0]}' and from stage "
                    f"'{stage}' in input '{name}': with `on_conflict: error` every partition fails",
                    hint="rename it on one branch, or choose `keep_first` or `keep_last`",
                )
                return


def _define_prefixed(ctx: Context, d: StageDecl, lineage: _Lineage, state: FlowState) -> None:
    """Every field visible at each prefixed input becomes ``<prefix>.<field>``, defined by the stage."""
    assert d.spec is not None and d.spec.stream_prefixes is not None
    inputs = dict(zip(d.input_names, [d.data_input, *d.more_inputs], strict=False))
    for k, (name, prefix) in enumerate(d.spec.stream_prefixes(d.params)):
        ref = inputs.get(name)
        if ref is None or not prefix.text:
            continue  # reported by the op's input check
        stage_id = None if ref.startswith("source:") else ref
        ancestry = _Ancestry(lineage, stage_id)
        fields: dict[str, str | None] = {}
        for fname, defs in state.defined_by.items():
            if any(s.id in ancestry for s, _ in defs) and not any(s is d for s, _ in defs):
                fields[fname] = None
        source = lineage.source_of(ref.removeprefix("source:")) if stage_id else ref.removeprefix("source:")
        src = state.sources.get(source) if source else None
        if src is not None and not lineage.behind_barrier(stage_id):
            for branch in src.known:
                fields.setdefault(branch, branch)
        for fname, branch in fields.items():
            full = f"{prefix.text}.{fname}"
            definition = Definition(
                full,
                SymbolKind.FIELD,
                prefix.span,
                stage=d.id,
                origin=FieldOrigin.DEFINE,
                detail=f"`{fname}` of input `{name}` (stage `{d.id}`)",
                order=(d.index + 1) * 1000 + k + 1,
            )
            state.defined_by.setdefault(full, []).append((d, definition))
            if branch is not None and source is not None:
                state.through[(d.id, full)] = (source, branch)


class _Lineage:
    """The data lineage of the stages: a forest (each stage has one data input), numbered depth first once
    per compile so that "is X upstream of this stage" is two integer comparisons — no per-stage sets, which
    made a long chain of stages quadratic. A stage reading several streams (``OpSpec.streams``) hangs in the
    tree under its first input; its other inputs are looked up through ``more``. Below a stage whose output
    holds only prefixed copies of its inputs (a ``barrier``), nothing above it is visible."""

    def __init__(self, decls: list[StageDecl]) -> None:
        self.by_id = {d.id: d for d in decls}
        self.more: dict[str, list[str]] = {
            d.id: [m for m in d.more_inputs if not m.startswith("source:")]
            for d in decls
            if d.more_inputs and d.spec is not None and d.spec.streams
        }
        self.barriers = [
            d.id for d in decls if d.spec is not None and d.spec.stream_prefixes is not None and d.id_node
        ]
        parent: dict[str, str | None] = {}
        for sid, d in self.by_id.items():
            up = d.data_input
            parent[sid] = up if up is not None and up in self.by_id else None
        children: dict[str, list[str]] = {}
        for sid, up in parent.items():
            if up is not None:
                children.setdefault(up, []).append(sid)
        self.tin: dict[str, int] = {}
        self.tout: dict[str, int] = {}
        self.roots: dict[str, str | None] = {}
        clock = 0
        for top, up in parent.items():
            if up is not None:
                continue  # not a tree root; stages on a cycle are never reached and have no lineage
            first = self.by_id[top].data_input
            source = first.removeprefix("source:") if first and first.startswith("source:") else None
            stack = [(top, iter(children.get(top, ())))]
            self.tin[top], self.roots[top] = clock, source
            clock += 1
            while stack:
                node, rest = stack[-1]
                child = next(rest, None)
                if child is None:
                    self.tout[node] = clock
                    stack.pop()
                elif child not in self.tin:
                    self.tin[child], self.roots[child] = clock, source
                    clock += 1
                    stack.append((child, iter(children.get(child, ()))))

    def ancestors(self, d: StageDecl) -> _Ancestry:
        """Walked from the stage's own input (not its id: two stages may share an id, FF108)."""
        up = d.data_input
        return _Ancestry(self, up if up is not None and not up.startswith("source:") else None)

    def root_source(self, d: StageDecl) -> str | None:
        up = d.data_input
        if up is None or up.startswith("source:"):
            return up.removeprefix("source:") if up else None
        if self.behind_barrier(up):
            return None
        return self.roots.get(up)

    def source_of(self, name: str) -> str | None:
        """The source a stream descends from (a stage id, or a source's own name)."""
        d = self.by_id.get(name)
        return self.root_source(d) if d is not None else name

    def above(self, stage_id: str, up: str) -> bool:
        """Whether ``stage_id`` is ``up`` or a tree ancestor of it."""
        tin = self.tin
        if stage_id not in tin or up not in tin:
            return stage_id == up
        return tin[stage_id] <= tin[up] < self.tout[stage_id]

    def behind_barrier(self, up: str | None) -> bool:
        """Whether a barrier stage is ``up`` or above it: what its source provides is not visible."""
        return up is not None and any(self.above(b, up) for b in self.barriers)


class _Ancestry:
    """The stages upstream of one stage, answering ``stage_id in ancestors``."""

    __slots__ = ("lineage", "up")

    def __init__(self, lineage: _Lineage, up: str | None) -> None:
        self.lineage = lineage
        self.up = up

    def __contains__(self, stage_id: object) -> bool:
        up = self.up
        if up is None:
            return False
        if stage_id == up:
            return True
        lineage = self.lineage
        if not lineage.more and not lineage.barriers:
            tin = lineage.tin
            if stage_id not in tin or up not in tin:
                return False
            return tin[stage_id] <= tin[up] < lineage.tout[stage_id]  # type: ignore[index]
        return isinstance(stage_id, str) and self._reaches(stage_id, up, set())

    def _reaches(self, stage_id: str, up: str, seen: set[str]) -> bool:
        """Tree ancestry, unless a barrier lies between; then through the other inputs of several-stream
        stages on the way (``seen`` guards against a cycle, which is reported elsewhere)."""
        lineage = self.lineage
        if any(
            b != stage_id and lineage.above(b, up) and lineage.above(stage_id, b) for b in lineage.barriers
        ):
            return False
        if stage_id == up or lineage.above(stage_id, up):
            return True
        for m, extras in lineage.more.items():
            if m in seen or m in lineage.barriers or not lineage.above(m, up):
                continue
            seen.add(m)
            if any(self._reaches(stage_id, e, seen) for e in extras):
                return True
        return False


def parse_use(ctx: Context, use: ExprUse, sigs: dict[str, FunctionSig]) -> Expr | None:
    """Parse one expression string and report its syntax/safety problems at their document columns."""
    node = use.node
    if not isinstance(node.value, str):
        return None  # `weight_expr: 1` is a constant, nothing to resolve
    result = parse(node.text)
    if isinstance(result, ExprError):
        _report_expr_error(ctx, node, result, use.implicit)
        return None
    for err in _checked(result, sigs):
        _report_expr_error(ctx, node, err, use.implicit, sigs)
    return result


def _report_expr_error(
    ctx: Context, node: ScalarNode, err: ExprError, implicit: bool, sigs: dict[str, FunctionSig] | None = None
) -> None:
    span = node.span if implicit else node.span_of(err.start, err.end)
    if err.code is codes.UNKNOWN_FUNCTION and sigs is not None and not implicit:
        name = node.text[err.start : err.end]
        ctx.unknown_name(codes.UNKNOWN_FUNCTION, node, "function", sorted(sigs), name=name, span=span)
        return
    ctx.report(err.code, span, err.message, hint=err.hint)


def _check_use(
    ctx: Context,
    d: StageDecl,
    use: ExprUse,
    sigs: dict[str, FunctionSig],
    constants: set[str],
    ancestors: _Ancestry,
    src_fields: SourceFields | None,
    state: FlowState,
    local: set[str],
    flow: StageFlow,
) -> None:
    expr: Expr | None = None
    node = use.node
    if use.kind == "field" and isinstance(node.value, str):
        if not node.text.strip():
            return
        names = _NAME_SPANS.get(
            (node, "field", use.implicit),
            None,
            lambda: ((node.text, node.span if use.implicit else node.span_of(0, len(node.text))),),
        )
    else:
        expr = parse_use(ctx, use, sigs)
        if expr is None:
            return
        found = expr
        names = _NAME_SPANS.get(
            (node, use.implicit),
            None,
            lambda: tuple(
                (name, node.span if use.implicit else node.span_of(start, end))
                for name, start, end in found.symbol_spans()
            ),
        )
    typed: dict[str, StaticType] = {}
    for name, span in names:
        if name in use.local_names:
            continue
        resolved = _resolve(name, use, d, ancestors, src_fields, state, local, constants)
        if resolved is None and use.local_only:
            _unresolved_local(ctx, d, use, name, span)
            continue
        if resolved is not None:
            kind = SymbolKind.GLOBAL if resolved in state.globals else SymbolKind.FIELD
            if resolved in CONTEXT_SYMBOLS:
                kind = SymbolKind.CONTEXT
            ctx.index.references.append(Reference(resolved, kind, span, stage=d.id))
            if resolved not in flow.reads:
                flow.reads.append(resolved)
            if expr is not None and (
                found_type := _static_type(resolved, ancestors, src_fields, state, local)
            ):
                typed[name] = found_type
            continue
        full = use.prefix + name if use.prefix else name
        _unresolved(ctx, d, use, name, full, span, ancestors, src_fields, state, local)
    if expr is not None and typed and not use.local_only and not use.implicit:
        for problem in _type_problems(expr, typed):
            ctx.report(
                codes.EXPR_TYPE, node.span_of(problem.start, problem.end), problem.message, hint=problem.hint
            )


def _type_problems(expr: Expr, typed: dict[str, StaticType]) -> tuple[TypeProblem, ...]:
    """``check_types`` remembered by the expression's text and the types it was given (an unchanged stage
    reads the same types from the same source, keystroke after keystroke)."""
    key = (expr.text, tuple(sorted(typed.items())))
    found = _TYPE_PROBLEMS.get(key)
    if found is None:
        if len(_TYPE_PROBLEMS) > 16384:
            _TYPE_PROBLEMS.clear()
        found = _TYPE_PROBLEMS[key] = tuple(check_types(expr.tree, typed.get))
    return found


_STRING_CONTEXT = frozenset({"dataset", "dataset_name", "file", "dataset_eventtype", "dataset_group"})


def _static_type(
    resolved: str, ancestors: _Ancestry, src_fields: SourceFields | None, state: FlowState, local: set[str]
) -> StaticType | None:
    """What is known of a resolved name's type: a context symbol, or a field read from the input as it is
    (a define, an alias or a global is not typed here: unknown, never reported)."""
    if resolved in CONTEXT_SYMBOLS:
        return StaticType(CONSTANT, STRING if resolved in _STRING_CONTEXT else NUMBER)
    if resolved in local or resolved in state.globals:
        return None
    if any(stage.id in ancestors for stage, _ in state.defined_by.get(resolved, ())):
        return None
    if src_fields is not None and resolved in src_fields.known:
        found = type_of_description(src_fields.known[resolved])
        return found if found.shape != UNKNOWN else None
    return None


def _resolve(
    name: str,
    use: ExprUse,
    d: StageDecl,
    ancestors: _Ancestry,
    src_fields: SourceFields | None,
    state: FlowState,
    local: set[str],
    constants: set[str],
) -> str | None:
    prefix = use.prefix
    candidates = ([prefix + name] if use.relative_only else [prefix + name, name]) if prefix else [name]
    # `Muon.pt` may be a record field of `Muon`: accept the head when the dotted name is not a field itself
    if "." in name:
        candidates.append(name.split(".", 1)[0])
    for cand in candidates:
        if cand in state.globals or cand in CONTEXT_SYMBOLS or cand in constants:
            return cand
        if use.local_only and not (prefix and cand == prefix + name):
            continue  # evaluated over the op's own columns: a field of the stream is not visible
        if cand in local:
            return cand
        for stage, _definition in state.defined_by.get(cand, ()):
            if stage.id in ancestors:
                through = state.through.get((stage.id, cand))
                if through is not None and (source := state.sources.get(through[0])) is not None:
                    source.need(through[1])
                return cand
        if src_fields is not None and cand in src_fields.known:
            src_fields.need(cand)
            return cand
    return None


def _unresolved_local(ctx: Context, d: StageDecl, use: ExprUse, name: str, span: object) -> None:
    """A name an op's own-columns expression cannot see (a stream field in a pair cut, a typo)."""
    full = use.prefix + name if use.prefix else name
    ctx.index.references.append(Reference(full, SymbolKind.FIELD, span, stage=d.id, resolved=False))  # type: ignore[arg-type]
    own = sorted(use.local_names) or ([f"{use.prefix}<name>"] if use.prefix else [])
    hint = (
        "this expression is evaluated over the op's own columns"
        + (f" ({', '.join(f'`{n}`' for n in own)})" if own else "")
        + ", globals and context symbols: a field of the stream is not visible here"
    )
    if use.implicit:
        ctx.report(codes.UNKNOWN_SYMBOL, use.node, f"unknown field '{full}'", hint=hint)
        return
    ctx.report(codes.UNKNOWN_SYMBOL, span, f"unknown field '{name}'", hint=hint)  # type: ignore[arg-type]


def _unresolved(
    ctx: Context,
    d: StageDecl,
    use: ExprUse,
    name: str,
    full: str,
    span: object,
    ancestors: _Ancestry,
    src_fields: SourceFields | None,
    state: FlowState,
    local: set[str],
) -> None:
    defs = state.defined_by.get(full) or state.defined_by.get(name) or []
    later = [(s, df) for s, df in defs if s.index >= d.index and s.id not in ancestors]
    if later:
        stage, definition = later[0]
        where = "later in this stage" if stage is d else f"by stage '{stage.id}', which runs after '{d.id}'"
        ctx.report(
            codes.USED_BEFORE_DEFINED,
            span,  # type: ignore[arg-type]
            f"field '{full}' is used before it is defined (it is defined {where})",
            hint=f"move this use after stage '{stage.id}', or add `needs: [{stage.id}]`"
            if stage is not d
            else "define it before its first use",
            related=(Related(definition.span, f"'{full}' is defined here"),),
        )
        return
    if any(stage_id in ancestors for stage_id in state.unloaded):
        # an upstream op was not loaded (untrusted): it may define this field; FF112 already says why
        unresolved = Reference(full, SymbolKind.FIELD, span, stage=d.id, resolved=False)  # type: ignore[arg-type]
        ctx.index.references.append(unresolved)
        return
    if src_fields is not None and not src_fields.closed:
        # branches not listed and the file could not be inspected: assume a branch, read it
        src_fields.need(full)
        ctx.index.references.append(Reference(full, SymbolKind.FIELD, span, stage=d.id))  # type: ignore[arg-type]
        return
    if any(stage in ancestors for stage in state.opaque):
        ctx.index.references.append(Reference(full, SymbolKind.FIELD, span, stage=d.id, resolved=False))  # type: ignore[arg-type]
        return
    visible = set(local) | state.globals | set(CONTEXT_SYMBOLS)
    if src_fields is not None:
        visible |= set(src_fields.known)
    for other, items in state.defined_by.items():
        if any(s.id in ancestors for s, _ in items):
            visible.add(other)
    if use.relative_only and use.prefix:  # only `<prefix><name>` would do: suggest relative names
        visible = {v.removeprefix(use.prefix) for v in visible if v.startswith(use.prefix)}
    elsewhere = [s for s, _ in defs if s.id not in ancestors]
    extra = (
        f"'{full}' is defined by stage '{elsewhere[0].id}', which is not upstream of '{d.id}'"
        if elsewhere
        else None
    )
    ctx.index.references.append(Reference(full, SymbolKind.FIELD, span, stage=d.id, resolved=False))  # type: ignore[arg-type]
    node = use.node
    if use.implicit:
        ctx.report(codes.UNKNOWN_SYMBOL, node, f"unknown field '{full}'", hint=extra)
        return
    ctx.unknown_name(
        codes.UNKNOWN_SYMBOL,
        node,
        "field",
        sorted(visible),
        name=name,
        span=span,  # type: ignore[arg-type]
        extra_hint=extra
        or (f"names here are relative: '{full}' does not exist" if use.relative_only else None)
        or _source_hint(src_fields),
    )


def _source_hint(src: SourceFields | None) -> str | None:
    if src is None:
        return None
    return f"no source branch, earlier define, alias, global or context symbol is called that (source '{src.name}')"


def analyse_write_fields(
    ctx: Context, decls: list[StageDecl], writes: list[tuple[str, list[ScalarNode]]], state: FlowState
) -> None:
    """A writer's `keep` names fields of the stage it writes (or of its `outputs:` layout): each must exist
    there, and source branches among them are read (LANGUAGE.md §9.20: `keep` is also requested from the
    source), so a clean check never meets "not in the stream" at run time."""
    if not writes:
        return
    sigs = _signatures(ctx)
    constants = set(getattr(ctx.registry, "constants", {}) or {})
    lineage = _Lineage(decls)
    by_id = {d.id: d for d in decls}
    for stage_id, nodes in writes:
        d = by_id.get(stage_id)
        if d is None:
            continue
        flow = state.per_stage.setdefault(d.id, StageFlow())
        ancestors = lineage.ancestors(d)
        source = lineage.root_source(d)
        src_fields = state.sources.get(source) if source else None
        local = set(flow.writes)
        for node in nodes:
            use = ExprUse(node, "field")
            _check_use(ctx, d, use, sigs, constants, ancestors, src_fields, state, local, flow)
