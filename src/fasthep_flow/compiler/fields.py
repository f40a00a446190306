"""Top-level `fields:` aliases: `alias: branch` (ours) or `alias: {stream, branch}` (upstream).

Each alias becomes a field of its stream: the branch is read from the source even when `branches` does not list
it, and the plan projects it under the alias right after the read (a `project.<stream>` node running
`hep.project_fields`, as upstream inserts one; LANGUAGE.md §7). A branch the input file lacks, an alias naming
an existing field, or a stream that is neither a source nor a join are errors at their nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import SourceFields
from fasthep_flow.compiler.symbols import Definition, FieldOrigin, Reference, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode


@dataclass(frozen=True)
class Alias:
    name: str
    stream: str
    branch: str
    key: ScalarNode
    branch_node: ScalarNode


def collect_aliases(ctx: Context, source_names: list[str], primary: str) -> list[Alias]:
    """``source_names`` are the streams: the sources and the joins."""
    fields = ctx.root.get("fields")
    out: list[Alias] = []
    if not isinstance(fields, MapNode):
        return out
    for entry in fields.entries:
        value = entry.value
        stream = primary
        branch_node: ScalarNode | None = None
        if isinstance(value, ScalarNode) and value.is_string:
            branch_node = value
        elif isinstance(value, MapNode):
            stream_node = value.get("stream")
            b = value.get("branch")
            branch_node = b if isinstance(b, ScalarNode) and b.is_string else None
            if isinstance(stream_node, ScalarNode) and stream_node.is_string:
                stream = stream_node.text
                ctx.index.references.append(
                    Reference(stream, SymbolKind.SOURCE, stream_node.span, resolved=stream in source_names)
                )
                if stream not in source_names:
                    ctx.unknown_name(codes.UNKNOWN_STAGE_REF, stream_node, "stream", sorted(source_names))
                    continue
        if branch_node is None or not branch_node.text:
            continue  # the schema reports the shape
        out.append(Alias(entry.key.text, stream, branch_node.text, entry.key, branch_node))
        ctx.index.definitions.append(
            Definition(
                entry.key.text,
                SymbolKind.FIELD,
                entry.key.span,
                origin=FieldOrigin.ALIAS,
                detail=f"alias of `{branch_node.text}` (stream `{stream}`)",
            )
        )
    return out


def bind_aliases(ctx: Context, aliases: list[Alias], sources: dict[str, SourceFields]) -> None:
    """Make each alias a field of its stream and its branch a branch the source reads."""
    for alias in aliases:
        sf = sources.get(alias.stream)
        if sf is None:
            continue
        if alias.name in sf.known:
            ctx.report(
                codes.DUPLICATE_NAME,
                alias.key,
                f"alias '{alias.name}' is already a field of stream '{alias.stream}'",
                hint="choose another alias name",
            )
            continue
        head = alias.branch.split(".", 1)[0]
        if sf.closed and alias.branch not in sf.known and head not in sf.known:
            ctx.unknown_name(
                codes.UNKNOWN_SYMBOL,
                alias.branch_node,
                "branch",
                sorted(sf.known),
                extra_hint=f"stream '{alias.stream}' has no such branch",
            )
            continue
        sf.need(alias.branch)
        sf.known[alias.name] = f"alias of {alias.branch}"


def projections(aliases: list[Alias]) -> dict[str, dict[str, str]]:
    """Stream -> {alias: branch}: what each `project.<stream>` node adds."""
    out: dict[str, dict[str, str]] = {}
    for a in aliases:
        out.setdefault(a.stream, {})[a.name] = a.branch
    return out
