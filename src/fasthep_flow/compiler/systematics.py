"""`systematics:`: each variation checked where it is written (fields, datasets, plan nodes, the order of the
stages it changes), giving the declarations ``variations.py`` turns into views of the one plan (LANGUAGE.md §13).

A variation changes a workflow in up to three ways: `weight.multiply` multiplies every `weight_expr` by more
factors, `replace` reads other fields where the stages read the named ones, and `datasets.replace` reads
another dataset in place of one; an inline variation (`mode: inline`, checked in ``inline_variations.py``)
changes one stage's params instead. The schema has already reported unknown keys and wrong shapes.
"""

from __future__ import annotations

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import CONTEXT_SYMBOLS, FlowState
from fasthep_flow.compiler.normalise import DatasetDecl
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.symbols import Reference, SymbolKind
from fasthep_flow.compiler.variation_matrix import expand_matrix
from fasthep_flow.compiler.variations import NOMINAL, SystematicsDecl, VariationDecl, renamed_params
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.spans import Span

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
        for concrete in expand_matrix(ctx, item):
            variation = _variation(ctx, concrete, fields, dataset_names, targets, seen, decls)
            if variation is None:
                continue
            if variation.inline is None:
                _check_order(ctx, concrete, variation, decls, fields)
            out.variations.append(variation)
    return out


def _variation(
    ctx: Context,
    item: MapNode,
    fields: _Fields,
    dataset_names: list[str],
    targets: set[str],
    seen: dict[str, ScalarNode],
    decls: list[StageDecl],
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
    out = VariationDecl(name, group=_text(item.get("group")), direction=_text(item.get("direction")))
    _applies_to(ctx, item.get("applies_to"), out, dataset_names)
    if _text(item.get("mode")) == "inline":
        return _inline(ctx, item, out, decls, fields)
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
            check_expression(ctx, factor, fields)
        out.multiply = tuple(f.text.strip() for f in factors)
    renames = item.get("replace")
    if isinstance(renames, MapNode):
        for entry in renames.entries:
            target = entry.value
            if not isinstance(target, ScalarNode) or not target.is_string:
                continue
            for node in (entry.key, target):
                check_field(ctx, node, fields)
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


_PLAN_ONLY = ("weight", "replace", "datasets", "requires")
"""Keys upstream reads only for plan-mode variations; an inline variation's are ignored there."""


def _inline(
    ctx: Context, item: MapNode, out: VariationDecl, decls: list[StageDecl], fields: _Fields
) -> VariationDecl | None:
    """An inline variation: the anchor's params patched (``inline_variations.py``); `export` and the plan-mode
    keys have no effect, said where they are written."""
    from fasthep_flow.compiler.inline_variations import check_inline

    for key in _PLAN_ONLY:
        entry = item.entry(key)
        if entry is not None:
            ctx.report(
                codes.NOT_SUPPORTED_YET,
                entry.key,
                f"`{key}` is accepted but has no effect in an inline variation (upstream ignores it there)",
                hint="an inline variation changes the anchor's params only; use a plan-mode variation for this",
                severity=Severity.WARNING,
            )
    export = item.entry("export")
    if export is not None:
        ctx.report(
            codes.NOT_SUPPORTED_YET,
            export.key,
            "`export` is accepted but not run yet: the variation's fields are not merged into the nominal "
            "stream (its copied stages still run)",
            hint="histogram the varied fields in the stages the anchor feeds: their copies fill them",
            severity=Severity.WARNING,
        )
    change = check_inline(ctx, item, out.name, decls, fields)
    if change is None:
        return None
    out.inline = change
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
        if v.replace and renamed_params(d, v.replace) is not None:
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


def check_field(
    ctx: Context,
    node: ScalarNode,
    fields: _Fields,
    local: frozenset[str] = frozenset(),
    stage: StageDecl | None = None,
) -> None:
    """A field name a variation reads; ``local`` names (defined by the stage reading it) are known, and with
    ``stage`` the field must exist when that stage runs."""
    if node.text in local:
        return
    known = fields.known(node.text)
    # a reference like any expression's: rename, find-references and hover see the variation's names too
    ctx.index.references.append(Reference(node.text, SymbolKind.FIELD, node.span, resolved=known))
    if not known:
        ctx.unknown_name(codes.UNKNOWN_SYMBOL, node, "field", fields.candidates())
        return
    _check_available(ctx, node.text, node.span, fields, stage)


def _check_available(ctx: Context, name: str, span: Span, fields: _Fields, stage: StageDecl | None) -> None:
    if stage is not None and not fields.available(name, stage):
        ctx.report(
            codes.USED_BEFORE_DEFINED,
            span,
            f"field '{name}' is used before it is defined (the patch makes stage '{stage.id}' read it, "
            "and it runs before the stage defining it)",
            hint=f"define '{name}' in a stage before '{stage.id}'",
        )


def check_expression(
    ctx: Context,
    node: ScalarNode,
    fields: _Fields,
    local: frozenset[str] = frozenset(),
    stage: StageDecl | None = None,
) -> None:
    """A weight factor is an expression (upstream multiplies `(weight_expr) * (factor)`), and so is what an
    inline patch makes a stage read: parsed and its names checked like any expression's (``local`` and
    ``stage`` as for ``check_field``)."""
    from fasthep_flow.expressions import ExprError, parse

    parsed = parse(node.text)
    if isinstance(parsed, ExprError):
        ctx.diagnostics.append(parsed.to_diagnostic(node))
        return
    for name, start, end in parsed.symbol_spans():
        if name in local:
            continue
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
            _check_available(ctx, name, node.span_of(start, end), fields, stage)
            fields.need(name)
