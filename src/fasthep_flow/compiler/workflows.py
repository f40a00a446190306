"""Several workflows in one configuration: the top-level ``workflows:`` mapping.

```yaml
workflows:
  control: {stages: [ControlMass]}                  # runs ControlMass and every stage it needs
  signal: {extends: control, stages: [SignalMass]}  # control's stages too
```

A workflow names stages of ``analysis.stages`` by id: the stages are defined once, in one list, so ids stay
unique, every editor feature for stages works unchanged, and a stage two workflows use is one plan node,
computed once per partition when they run together. Running a workflow runs its stages, those of the
workflows it ``extends``, and everything they need (``plan/workflows.py`` cuts the plan down).

This pass checks the names (FF301 for a stage, FF309 for a workflow, FF302 for an ``extends`` loop, each at
the scalar that names it, with a did-you-mean) and records definitions and references for the editor.
"""

from __future__ import annotations

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.symbols import Definition, Reference, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode


def _names(node: Node | None) -> list[ScalarNode]:
    """``stages``/``extends`` take one name or a list of names (other shapes are the schema's to report)."""
    if isinstance(node, ScalarNode) and node.value is not None:
        return [node]
    if isinstance(node, SeqNode):
        return [item for item in node.items if isinstance(item, ScalarNode) and item.value is not None]
    return []


def collect_workflows(ctx: Context, decls: list[StageDecl]) -> dict[str, tuple[str, ...]]:
    """Workflow name -> the stage ids it runs (its own, then those of what it extends), in stage order."""
    node = ctx.root.get("workflows")
    if not isinstance(node, MapNode):
        return {}
    stage_ids = [d.id for d in decls if d.id_node is not None]
    order = {sid: i for i, sid in enumerate(stage_ids)}
    own: dict[str, list[str]] = {}
    parents: dict[str, list[ScalarNode]] = {}
    keys: dict[str, ScalarNode] = {}
    docs: dict[str, str] = {}
    for entry in node.entries:
        key = entry.key
        if not key.is_string or not ctx.check_name(key, "a workflow name"):
            continue
        name = key.text
        keys[name] = key
        body = entry.value if isinstance(entry.value, MapNode) else None
        doc = body.get("doc") if body is not None else None
        docs[name] = doc.text.strip() if isinstance(doc, ScalarNode) and doc.is_string else ""
        own[name] = []
        for ref in _names(body.get("stages") if body is not None else None):
            known = ref.text in order
            ctx.index.references.append(Reference(ref.text, SymbolKind.STAGE, ref.span, resolved=known))
            if known:
                own[name].append(ref.text)
            else:
                ctx.unknown_name(codes.UNKNOWN_STAGE_REF, ref, "stage", stage_ids)
        parents[name] = _names(body.get("extends") if body is not None else None)
    workflow_names = list(own)
    for name, refs in parents.items():
        for ref in refs:
            known = ref.text in own
            ctx.index.references.append(Reference(ref.text, SymbolKind.WORKFLOW, ref.span, resolved=known))
            if not known:
                ctx.unknown_name(codes.UNKNOWN_WORKFLOW, ref, "workflow", workflow_names)
            elif ref.text == name:
                ctx.report(codes.DEPENDENCY_CYCLE, ref, f"workflow '{name}' extends itself")
    _report_loops(ctx, parents)
    out: dict[str, tuple[str, ...]] = {}
    for name in own:
        stages: set[str] = set()
        seen: set[str] = set()
        todo = [name]
        while todo:  # this workflow and, transitively, the ones it extends (a loop is reported above)
            current = todo.pop()
            if current in seen or current not in own:
                continue
            seen.add(current)
            stages.update(own[current])
            todo.extend(p.text for p in parents.get(current, ()))
        out[name] = tuple(sorted(stages, key=order.__getitem__))
        shown = ", ".join(f"`{s}`" for s in out[name]) or "none"
        detail = "\n\n".join(x for x in (docs[name], f"stages: {shown}") if x)
        ctx.index.definitions.append(Definition(name, SymbolKind.WORKFLOW, keys[name].span, detail=detail))
    return out


def _report_loops(ctx: Context, parents: dict[str, list[ScalarNode]]) -> None:
    """``a extends b``, ``b extends a``: reported once, at the ``extends`` entry that closes the loop."""
    from fasthep_flow.compiler.stages import find_cycles

    names = list(parents)
    edges = [(p.text, name) for name, refs in parents.items() for p in refs if p.text != name]
    for cycle in find_cycles(names, edges):
        members = set(cycle)
        last = max(cycle, key=names.index)
        ref = next((p for p in parents[last] if p.text in members), None)
        if ref is not None:
            loop = " -> ".join([*cycle, cycle[0]])
            ctx.report(
                codes.DEPENDENCY_CYCLE,
                ref,
                f"workflows extend each other in a loop: {loop}",
                hint="remove one of the `extends` entries of the loop",
            )


def check_selection(ctx: Context, workflows: dict[str, tuple[str, ...]], wanted: tuple[str, ...]) -> None:
    """Names asked for on the command line (``run --workflow NAME``) or in the Python API: each must exist.

    Reported at the ``workflows:`` key (or the file's first key when there is none), since the name itself is
    not in the file."""
    if not wanted:
        return
    entry = ctx.root.entry("workflows")
    anchor = entry.key if entry is not None else (ctx.root.entries[0].key if ctx.root.entries else ctx.root)
    for name in wanted:
        if name in workflows:
            continue
        from fasthep_flow.registry.suggest import suggest

        best = suggest(name, list(workflows))
        if best:
            hint = f"did you mean '{best}'?"
        elif workflows:
            hint = "this configuration defines: " + ", ".join(workflows)
        else:
            hint = "this file has no `workflows:`; run it without --workflow"
        ctx.report(
            codes.UNKNOWN_WORKFLOW,
            anchor,
            f"unknown workflow '{name}' (asked for with --workflow)",
            hint=hint,
        )
