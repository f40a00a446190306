"""Top-level `joins:`: several sources zipped into one stream, each under its prefix (LANGUAGE.md §7).

`joins: {both: {kind: zip, inputs: [{source: a, prefix: ra}, b], on_mismatch: error}}` makes a stream `both`
whose fields are `ra.<branch of a>` and `b.<branch of b>`, one record per event. A join is a stream like a
source: `primary_stream`, a stage's `from` and a `fields:` alias's `stream` may name it. At compile time it is
a `SourceFields` whose known fields are its inputs' fields under their prefixes; the fields the stages read
from it become the fields each input reads. The plan reads it with one `join.<name>` node (a read node of a
`SourcePlan` of kind `JOIN_KIND`), so a partition is counted once, however many sources the join zips —
upstream runs its whole plan once per declared source and counts events twice (LANGUAGE.md §6.2, row 28).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import SourceFields
from fasthep_flow.compiler.normalise import SourceDecl
from fasthep_flow.compiler.symbols import Definition, FieldOrigin, Reference, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Related, Severity
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.plan import JOIN_KIND, SourcePlan


@dataclass(frozen=True)
class JoinInput:
    source: str
    prefix: str
    node: Node


@dataclass(frozen=True)
class JoinDecl:
    name: str
    inputs: tuple[JoinInput, ...]
    on_mismatch: str
    name_node: ScalarNode
    broken: bool = False
    """An input was reported (unknown source, duplicate prefix...): the join is still a stream, so stages
    reading it are not reported again, but its fields are unknown."""

    def split(self, field: str) -> tuple[JoinInput, str] | None:
        """The input a joined field comes from and its name there (the longest prefix wins)."""
        best: tuple[JoinInput, str] | None = None
        for inp in self.inputs:
            if field.startswith(inp.prefix + ".") and (best is None or len(inp.prefix) > len(best[0].prefix)):
                best = (inp, field[len(inp.prefix) + 1 :])
        return best


def collect_joins(ctx: Context, source_names: list[str]) -> list[JoinDecl]:
    """Each well-formed join (the schema reports the shapes), its inputs checked against the sources."""
    joins = ctx.root.get("joins")
    out: list[JoinDecl] = []
    if not isinstance(joins, MapNode):
        return out
    sources = set(source_names)
    for entry in joins.entries:
        name, body = entry.key.text, entry.value
        if name in sources:
            ctx.report(
                codes.DUPLICATE_NAME,
                entry.key,
                f"duplicate stream '{name}'",
                hint="a join is a stream like a source: give it a name no source has",
            )
            continue
        if not isinstance(body, MapNode):
            continue
        inputs, broken = _inputs(ctx, body.get("inputs"), sorted(sources))
        mismatch = body.get("on_mismatch")
        on_mismatch = mismatch.text if isinstance(mismatch, ScalarNode) and mismatch.is_string else "error"
        if isinstance(mismatch, ScalarNode) and mismatch.is_string and on_mismatch != "error":
            ctx.report(
                codes.PARAM_VALUE,
                mismatch,
                f"`on_mismatch` must be 'error', not {on_mismatch!r}",
                hint="inputs of unequal lengths always fail the partition (upstream too, whatever the value)",
                severity=Severity.WARNING,
            )
        out.append(JoinDecl(name, inputs, on_mismatch, entry.key, broken))
        ctx.index.definitions.append(
            Definition(
                name,
                SymbolKind.SOURCE,
                entry.key.span,
                detail="join of " + ", ".join(i.source for i in inputs),
            )
        )
    return out


def _inputs(ctx: Context, node: Node | None, sources: list[str]) -> tuple[tuple[JoinInput, ...], bool]:
    """The well-formed inputs, and whether any was not (reported here or by the schema)."""
    if not isinstance(node, SeqNode) or not node.items:
        return (), True  # the schema reports a missing or empty `inputs`
    out: list[JoinInput] = []
    seen: dict[str, Node] = {}
    ok = True
    for item in node.items:
        source_node: Node | None = item
        prefix_node: Node | None = None
        if isinstance(item, MapNode):
            source_node, prefix_node = item.get("source"), item.get("prefix")
        if not (isinstance(source_node, ScalarNode) and source_node.is_string and source_node.text):
            ok = False  # the schema reports the shape
            continue
        known = source_node.text in sources
        ctx.index.references.append(
            Reference(source_node.text, SymbolKind.SOURCE, source_node.span, resolved=known)
        )
        if not known:
            ctx.unknown_name(codes.UNKNOWN_STAGE_REF, source_node, "stream", sources)
            ok = False
            continue
        prefix = source_node.text
        anchor: Node = source_node
        if isinstance(prefix_node, ScalarNode) and prefix_node.is_string:
            prefix, anchor = prefix_node.text, prefix_node
        if not prefix:
            ctx.report(codes.PARAM_VALUE, anchor, "`prefix` must not be empty")
            ok = False
            continue
        if prefix in seen:
            ctx.report(
                codes.DUPLICATE_NAME,
                anchor,
                f"duplicate prefix '{prefix}'",
                hint="each input of a join needs its own prefix (`{source, prefix}`)",
                related=(Related(seen[prefix].span, "first used here"),),
            )
            ok = False
            continue
        seen[prefix] = anchor
        out.append(JoinInput(source_node.text, prefix, item))
    return tuple(out), not (ok and out)


def join_fields(ctx: Context, joins: list[JoinDecl], sources: dict[str, SourceFields]) -> None:
    """Give each join its fields: every input's fields under the input's prefix (each also a definition, so
    the editor completes and describes `ra.NMuon` as it does a branch)."""
    for join in joins:
        sf = SourceFields(join.name, closed=not join.broken)
        for inp in join.inputs:
            given = sources.get(inp.source)
            if given is None or not given.closed:
                sf.closed = False  # an input with unknown branches: any `<prefix>.<name>` may exist
                continue
            for name, desc in given.known.items():
                joined = f"{inp.prefix}.{name}"
                sf.known[joined] = desc
                ctx.index.definitions.append(
                    Definition(
                        joined,
                        SymbolKind.FIELD,
                        inp.node.span,
                        origin=FieldOrigin.BRANCH,
                        detail=f"`{name}` of source `{inp.source}` in join `{join.name}`"
                        + (f", `{desc}`" if desc else ""),
                        order=0,
                    )
                )
        sources[join.name] = sf


def pass_needs_to_inputs(
    ctx: Context,
    joins: list[JoinDecl],
    sources: dict[str, SourceFields],
    projected: dict[str, dict[str, str]],
) -> None:
    """The fields read from each join become branches its inputs read (after every use is known); a `fields:`
    alias of the join is made by its projection, not read."""
    for join in joins:
        sf = sources.get(join.name)
        if sf is None or join.broken:
            continue
        aliases = projected.get(join.name, {})
        for field in sf.needed:
            if field in aliases:
                continue
            found = join.split(field)
            if found is None:
                ctx.report(
                    codes.UNKNOWN_SYMBOL,
                    join.name_node,
                    f"unknown field '{field}'",
                    hint="a field of a join is `<prefix>.<branch>`, prefixes: "
                    + ", ".join(f"`{i.prefix}`" for i in join.inputs),
                )
                continue
            inp, branch = found
            target = sources.get(inp.source)
            if target is not None:
                target.need(branch)


def join_plans(
    joins: list[JoinDecl],
    sources: list[SourceDecl],
    fields: dict[str, SourceFields],
    used: list[str],
    projected: dict[str, dict[str, str]],
) -> list[SourcePlan]:
    """A `SourcePlan` of kind `JOIN_KIND` per join a stage reads: its inputs spelled out in full, so that the
    plan (and a cache key made from it) changes when an input's tree or window does."""
    by_name = {s.name: s for s in sources}
    out: list[SourcePlan] = []
    for join in joins:
        if join.name not in used:
            continue
        inputs: list[dict[str, Any]] = []
        for inp in join.inputs:
            decl = by_name[inp.source]
            params = {k: v for k, v in decl.params.items() if k != "branches"}
            inputs.append({"source": inp.source, "prefix": inp.prefix, "kind": decl.kind, "params": params})
        sf = fields.get(join.name)
        aliased = projected.get(join.name, {})
        needed = [f for f in (sf.needed if sf else ()) if f not in aliased]
        needed += [b for b in aliased.values() if b not in needed]
        out.append(
            SourcePlan(
                join.name, JOIN_KIND, {"inputs": inputs, "on_mismatch": join.on_mismatch}, tuple(needed)
            )
        )
    return out
