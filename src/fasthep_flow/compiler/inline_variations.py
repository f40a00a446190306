"""`mode: inline` variations checked: the anchor stage, its patched params, `stop_before` (LANGUAGE.md §13).

Upstream clones the anchor and the event-stream stages below it inside the one plan. Here an inline variation is
an ordinary variation (``variations.py``) whose only change is the anchor's params with `patch` merged in: the
anchor gets a copy `<node>@<variation>`, so does everything reading it, and the rest is shared. The patch is
checked as the anchor's params would be, and reported where it is written: the merged params are built as a
document tree whose patched parts keep the patch's nodes, so every finding outside the patch (the anchor's own
params, already reported at the stage) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.symbols import Reference, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, SeqNode, to_python
from fasthep_flow.document.spans import Span

_STAGE_PREFIX = "stage."


@dataclass(frozen=True)
class InlineChange:
    """What an inline variation changes: the anchor's params (defaults filled, as the plan holds them) and the
    stages whose copies it does not make."""

    anchor: str
    params: dict[str, Any]
    stop_before: frozenset[str]


def check_inline(
    ctx: Context, item: MapNode, name: str, decls: list[StageDecl], fields: Any
) -> InlineChange | None:
    """The inline keys of one variation checked; None when the anchor is missing or unknown (reported)."""
    by_id = {d.id: d for d in decls}
    anchor_node = item.get("anchor") if item.get("anchor") is not None else item.get("stage")
    if anchor_node is None:
        mode = item.entry("mode")
        ctx.report(
            codes.MISSING_KEY,
            mode.key if mode is not None else item,
            f"variation '{name}' is missing required key 'anchor'",
            hint="an inline variation patches one stage: `anchor: <stage id>`",
        )
        return None
    anchor = _stage_ref(ctx, anchor_node, by_id)
    if anchor is None:
        return None
    patch = _patch_node(item)
    params: dict[str, Any] = {}
    if patch is not None:
        merged = merge_nodes(anchor.params, patch)
        _check_patch(ctx, anchor, merged, patch, fields)
        given = to_python(merged)
        params = given if isinstance(given, dict) else {}
    elif anchor.params is not None:
        given = to_python(anchor.params)
        params = given if isinstance(given, dict) else {}
    from fasthep_flow.compiler.planner import params_from

    stop: set[str] = set()
    below = _downstream(anchor, decls)
    stop_node = item.get("stop_before")
    for ref in [stop_node] if isinstance(stop_node, ScalarNode) else _items(stop_node):
        stage = _stage_ref(ctx, ref, by_id)
        if stage is None:
            continue
        if stage.id not in below:
            ctx.report(
                codes.NOT_DOWNSTREAM,
                ref,
                f"stage '{stage.id}' is not below the anchor '{anchor.id}': `stop_before` has no effect there",
                hint="`stop_before` names a stage that reads the anchor's output, directly or through others",
                severity=Severity.WARNING,
            )
            continue
        stop.add(stage.id)
    return InlineChange(anchor.id, params_from(anchor, params), frozenset(stop))


def _items(node: Node | None) -> list[ScalarNode]:
    return [i for i in node.items if isinstance(i, ScalarNode)] if isinstance(node, SeqNode) else []


def _patch_node(item: MapNode) -> MapNode | None:
    """`patch` (or its alias `params`); a patch that is only `{params: {...}}` means its inner mapping (as
    upstream reads it)."""
    patch = item.get("patch") if item.get("patch") is not None else item.get("params")
    if not isinstance(patch, MapNode):
        return None
    inner = patch.get("params")
    if isinstance(inner, MapNode) and patch.keys() == ["params"] and item.get("patch") is patch:
        return inner
    return patch


def _stage_ref(ctx: Context, node: Node, by_id: dict[str, StageDecl]) -> StageDecl | None:
    """A stage named by its id or its plan node (`stage.<id>`, as upstream also accepts); an unknown one is
    FF301 at the name, with a did-you-mean."""
    if not isinstance(node, ScalarNode) or not node.is_string:
        return None  # the schema reports a value that is not a string
    text = node.text.strip()
    start = node.text.index(text) if text else 0
    if text.startswith(_STAGE_PREFIX):
        start, text = start + len(_STAGE_PREFIX), text[len(_STAGE_PREFIX) :]
    span = node.span_of(start, start + len(text))
    decl = by_id.get(text)
    drawing = ctx.index.stage(text) if decl is None else None  # a render stage (not an event-stream stage)
    ctx.index.references.append(
        Reference(text, SymbolKind.STAGE, span, resolved=decl is not None or drawing is not None)
    )
    if drawing is not None:
        drawn = ", ".join(f"'{i}'" for i in drawing.inputs if not i.startswith("source:")) or "its input"
        ctx.report(
            codes.WRONG_OP_KIND,
            span,
            f"stage '{text}' draws ({drawing.op}): a variation patches a stage of the event stream",
            hint=f"patch the stage it draws ({drawn}): the render of a varied stage is copied with it",
        )
    elif decl is None:
        ctx.unknown_name(codes.UNKNOWN_STAGE_REF, node, "stage", sorted(by_id), name=text, span=span)
    return decl


def merge_nodes(base: MapNode | None, patch: MapNode) -> MapNode:
    """``patch`` merged into ``base`` as upstream merges an inline patch: mappings key by key, at any depth;
    anything else (a list, a scalar) replaced whole. The result keeps the patch's own nodes for what it sets."""
    if base is None:
        return patch
    patched = {e.key.text: e for e in patch.entries}
    entries: list[Entry] = []
    for e in base.entries:
        new = patched.pop(e.key.text, None)
        if new is None:
            entries.append(e)
        elif isinstance(new.value, MapNode) and isinstance(e.value, MapNode):
            entries.append(Entry(new.key, merge_nodes(e.value, new.value)))
        else:
            entries.append(new)
    entries += [e for e in patch.entries if patched.get(e.key.text) is e]
    return MapNode(patch.span, patch.index, entries)


def _inside(outer: Span) -> Any:
    def test(span: Span) -> bool:
        return span.file == outer.file and outer.start <= span.start and span.end <= outer.end

    return test


def _check_patch(ctx: Context, anchor: StageDecl, merged: MapNode, patch: MapNode, fields: Any) -> None:
    """The merged params checked as the anchor's params are (schema, the op's own checks, the names its
    expressions read), keeping only what is found inside the patch."""
    from fasthep_flow.compiler.structure import check_params_tree

    if anchor.spec is None or anchor.op is None:
        return
    inside = _inside(patch.span)
    before = len(ctx.diagnostics)
    check_params_tree(ctx, anchor.op, merged, anchor.index)
    if anchor.spec.problems is not None:
        for problem in anchor.spec.problems(merged):
            severity = Severity.WARNING if problem.warning else Severity.ERROR
            ctx.report(problem.code, problem.node, problem.message, hint=problem.hint, severity=severity)
    ctx.diagnostics[before:] = [d for d in ctx.diagnostics[before:] if inside(d.span)]
    _check_names(ctx, anchor, merged, fields, inside)


def _check_names(ctx: Context, anchor: StageDecl, merged: MapNode, fields: Any, inside: Any) -> None:
    """The fields and expressions the patch makes the anchor read: each known, and defined before the anchor
    runs (FF304), as for any stage; names the anchor defines itself count as known."""
    from fasthep_flow.compiler.systematics import check_expression, check_field
    from fasthep_flow.registry.dataflow import flow_of

    assert anchor.spec is not None
    steps = flow_of(anchor.spec, merged, anchor.id)
    local = frozenset(fd.name for step in steps for fd in step.defines)
    for step in steps:
        for use in step.uses:
            if use.prefix or use.local_only or use.implicit or not inside(use.node.span):
                continue
            if use.kind == "field":
                check_field(ctx, use.node, fields, local, anchor)
                if use.text not in local:
                    fields.need(use.text)
            else:
                check_expression(ctx, use.node, fields, local | use.local_names, anchor)


def _downstream(anchor: StageDecl, decls: list[StageDecl]) -> set[str]:
    """The stages that read the anchor's output or wait for it, directly or through others (the ones its
    variation copies)."""
    reached = {anchor.id}
    grew = True
    while grew:
        grew = False
        for d in decls:
            deps = {d.data_input, *d.more_inputs, *(r.name for r in d.needs)}
            if d.id not in reached and deps & reached:
                reached.add(d.id)
                grew = True
    return reached - {anchor.id}
