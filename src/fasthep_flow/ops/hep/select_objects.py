"""`hep.select_objects`: a new collection from an existing one: selected, derived, sorted, renamed."""

from __future__ import annotations

from types import MappingProxyType

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    entries,
    get,
    implicit_scalar,
    items,
    name_scalar,
    scalar,
)
from fasthep_flow.registry.specs import (
    Const,
    Expr,
    ListOf,
    MapOf,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)

SORT = Struct(
    (
        Param("by", Str, default="pt", doc="Field (relative to the collection) to sort by."),
        Param(
            "order",
            Str,
            default="descending",
            allowed=("descending", "ascending"),
            allowed_docs=("largest first", "smallest first"),
            doc="Sort order.",
        ),
    ),
    name="{by, order}",
)


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Names inside are relative to the collection (`pt` is `<collection>_pt`); outputs are `<output>_<f>`."""
    collection = name_scalar(get(params, "collection"))
    if collection is None:
        return []
    prefix = f"{collection.text}_"
    derived = [(key, value) for key, value in entries(get(params, "derived")) if key.text]
    local = frozenset(key.text for key, _ in derived)
    uses: list[ExprUse] = []
    seen: set[str] = set()
    for key, value in derived:
        node = scalar(value)
        if node is not None:
            uses.append(ExprUse(node, "expr", prefix, frozenset(seen)))
        seen.add(key.text)
    for node in items(get(params, "selection")):
        if (expr := scalar(node)) is not None:
            uses.append(ExprUse(expr, "expr", prefix, local))
    keep = [k for k in map(name_scalar, items(get(params, "keep"))) if k is not None]
    uses.extend(ExprUse(k, "field", prefix, local) for k in keep)
    sort = get(params, "sort")
    by = name_scalar(get(sort, "by"))
    if by is not None:
        uses.append(ExprUse(by, "field", prefix, local))
    elif "pt" not in local and (sort is None or (isinstance(sort, MapNode) and sort.entries)):
        # the default sort key `pt` is read too (`<collection>_pt`) unless `derived` makes `pt`;
        # `sort: {}` and `sort: false` do not sort
        uses.append(ExprUse(implicit_scalar(f"{prefix}pt", collection), "field", implicit=True))
    output = name_scalar(get(params, "output"))
    defines: list[FieldDef] = []
    if output is not None:
        out = output.text
        origin = f"selected from `{collection.text}` by stage `{stage_id}`"
        defines.extend(
            FieldDef(f"{out}_{k.text}", k, doc=f"`{prefix}{k.text}` {origin}", implicit=True) for k in keep
        )
        defines.extend(
            FieldDef(f"{out}_{key.text}", key, expr=scalar(value), doc=f"derived, {origin}", implicit=True)
            for key, value in derived
            if key.text not in {k.text for k in keep}
        )
        defines.append(FieldDef(f"n{out}", output, doc=f"number of objects {origin}", implicit=True))
    return [FlowStep(tuple(uses), tuple(defines))] if uses or defines else []


SPEC = OpSpec(
    "hep.select_objects",
    OpKind.TRANSFORM,
    doc="Make a new collection `<output>_<field>` (and its count `n<output>`) from the objects of "
    "`collection` passing `selection`. Names in `keep`, `selection`, `derived` and `sort` are relative to "
    "the collection: `pt > 30` means `<collection>_pt > 30`.",
    params=(
        Param("collection", Str, required=True, doc="Prefix of the input collection's fields, e.g. `Muon`."),
        Param("output", Str, required=True, doc="Prefix of the new collection's fields, e.g. `GoodMuon`."),
        Param(
            "keep",
            ListOf(Str),
            required=True,
            min_items=1,
            doc="Fields (relative names) copied to the new collection (at least one: the count needs them).",
        ),
        Param(
            "selection", ListOf(Expr), default=(), doc="Cuts per object (relative names), combined with AND."
        ),
        Param(
            "derived", MapOf(Expr), doc="New per-object fields: relative name → expression (relative names)."
        ),
        Param(
            "sort",
            OneOf(SORT, Const(False)),
            default=MappingProxyType({"by": "pt", "order": "descending"}),
            doc="Sort the selected objects, or `false` to keep the stored order.",
        ),
        Param("missing_fields", Str, default="error", doc="What to do when a kept field is absent."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.select_objects_impl:run",
    plugin="hep",
)
