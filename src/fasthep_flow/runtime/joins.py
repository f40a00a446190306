"""Reading a join (a top-level `joins:` entry): each input source read for the partition, zipped under prefixes.

The plan gives a join one read node, `join.<name>`, of a `SourcePlan` of kind `JOIN_KIND` whose params spell
out each input (`source`, `prefix`, `kind`, `params`) and whose fields are `<prefix>.<branch>`. Each input is
read with its own source's reader over the same partition (the same file and entry range), asked only for the
branches the plan needs from it; the columns come back under `<prefix>.`. Inputs of unequal lengths cannot be
zipped into one record per event: the partition fails with a message naming both lengths, as upstream's
`on_mismatch: error`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import JOIN_KIND, Partition, SourcePlan


def is_join(source: SourcePlan) -> bool:
    return source.kind == JOIN_KIND


def input_names(source: SourcePlan) -> list[str]:
    return [str(i["source"]) for i in source.params.get("inputs", ())]


def entry_source(source: SourcePlan) -> SourcePlan:
    """The source whose entries a join's partitions count: its first input (the others must match it)."""
    first = source.params["inputs"][0]
    return SourcePlan(str(first["source"]), str(first["kind"]), dict(first.get("params") or {}), ())


def read_join(
    source: SourcePlan,
    part: Partition,
    fields: Sequence[str],
    ctx: RunContext,
    readers: Mapping[str, Callable[..., Any]],
) -> Events:
    """The join's events for one partition: the inputs' columns under their prefixes, one record per event."""
    inputs = list(source.params.get("inputs", ()))
    wanted: dict[str, list[str]] = {str(i["source"]): [] for i in inputs}
    for name in fields:
        found = _split(inputs, name)
        if found is None:
            raise OpError(
                codes.RUNTIME_MISSING_FIELD,
                f"field '{name}' of join '{source.name}' names no input: fields of a join are `<prefix>.<branch>`",
                "prefixes: " + ", ".join(f"`{i['prefix']}`" for i in inputs),
            )
        input_name, branch = found
        if branch not in wanted[input_name]:
            wanted[input_name].append(branch)
    columns: dict[str, Any] = {}
    lengths: list[tuple[str, int]] = []
    for inp in inputs:
        name, prefix = str(inp["source"]), str(inp["prefix"])
        branches = tuple(wanted[name])
        params = dict(inp.get("params") or {})
        if not branches:  # nothing read from it, but its length still has to match: ask for entries only
            params["metadata_only"] = True
        plan = SourcePlan(name, str(inp["kind"]), params, branches)
        events = readers[name](plan, part, branches, ctx)
        lengths.append((name, len(events)))
        for column in branches:
            if column in events:
                columns[f"{prefix}.{column}"] = events[column]
    if len({n for _, n in lengths}) > 1:
        described = ", ".join(f"'{name}' has {n}" for name, n in lengths)
        raise OpError(
            codes.INPUT_ERROR,
            f"join '{source.name}' cannot zip inputs of different lengths: {described} events",
            "a zip join needs the same events in every input (trees of one file, or files written together)",
        )
    return Events(columns, lengths[0][1] if lengths else 0)


def _split(inputs: list[Mapping[str, Any]], name: str) -> tuple[str, str] | None:
    """The input a joined field comes from and its branch there (the longest matching prefix)."""
    best: tuple[str, str] | None = None
    best_len = -1
    for inp in inputs:
        prefix = str(inp["prefix"])
        if name.startswith(prefix + ".") and len(prefix) > best_len:
            best, best_len = (str(inp["source"]), name[len(prefix) + 1 :]), len(prefix)
    return best
