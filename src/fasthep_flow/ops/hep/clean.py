"""`hep.clean`: remove objects of one collection that overlap (in ΔR) any object of other collections."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    get,
    implicit_scalar,
    items,
    name_scalar,
)
from fasthep_flow.registry.specs import (
    Bool,
    Const,
    ListOf,
    Number,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)


def output_name(source: str, output: str | None) -> str:
    return output or f"cleaned_{source}"


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads `<c>_eta`, `<c>_phi` of the source and every target, `<source>_<f>` for `fields` and `sort_by`;
    defines `<output>_<f>`, `n<output>` and, unless switched off, `nremoved_<output>`."""
    source = name_scalar(get(params, "source"))
    if source is None:
        return []
    targets = [t for t in map(name_scalar, items(get(params, "clean_against"))) if t is not None]
    extra = [f for f in map(name_scalar, items(get(params, "fields"))) if f is not None]
    sort_by = name_scalar(get(params, "sort_by"))
    carried = ["eta", "phi", *(f.text for f in extra), *([sort_by.text] if sort_by is not None else [])]
    uses = [
        ExprUse(implicit_scalar(f"{c.text}_{k}", c), "field", implicit=True)
        for c in (source, *targets)
        for k in ("eta", "phi")
    ]
    uses += [
        ExprUse(implicit_scalar(f"{source.text}_{f}", source), "field", implicit=True) for f in carried[2:]
    ]
    out_node = name_scalar(get(params, "output"))
    out = output_name(source.text, out_node.text if out_node is not None else None)
    anchor: ScalarNode = out_node or source
    doc = f"`{source.text}` objects kept by stage `{stage_id}`"
    defines = [
        FieldDef(f"{out}_{f}", implicit_scalar(f"{out}_{f}", anchor), doc=doc, implicit=True)
        for f in dict.fromkeys(carried)
    ]
    defines.append(
        FieldDef(f"n{out}", implicit_scalar(f"n{out}", anchor), doc=f"number of {doc}", implicit=True)
    )
    removed = get(get(params, "diagnostics"), "removed_count")
    removed_name = name_scalar(removed)
    if removed is None or removed_name is not None:
        name = removed_name.text if removed_name is not None else f"nremoved_{out}"
        defines.append(
            FieldDef(
                name,
                removed_name or implicit_scalar(name, anchor),
                doc=f"objects removed by `{stage_id}`",
                implicit=removed_name is None,
            )
        )
    return [FlowStep(tuple(uses), tuple(defines))]


DIAGNOSTICS = Struct(
    (
        Param(
            "removed_count", OneOf(Str, Const(False)), doc="Field counting removed objects (`false`: none)."
        ),
        Param(
            "keep_removed", Bool, default=False, doc="Also write the removed objects as `<output>_removed_*`."
        ),
    ),
    name="{removed_count?, keep_removed?}",
)

SPEC = OpSpec(
    "hep.clean",
    OpKind.TRANSFORM,
    doc="Remove the objects of `source` within ΔR < `min_delta_r` of any object of the `clean_against` "
    "collections (read from `<collection>_eta`/`_phi`); writes `<output>_*`, `n<output>` and "
    "`nremoved_<output>`.",
    params=(
        Param("source", Str, required=True, doc="Prefix of the collection to clean, e.g. `Jet`."),
        Param(
            "clean_against", ListOf(Str), required=True, doc="Prefixes of the collections to clean against."
        ),
        Param("output", Str, doc="Prefix of the cleaned collection (default `cleaned_<source>`)."),
        Param("metric", Str, default="delta_r", allowed=("delta_r",), doc="Overlap metric."),
        Param("min_delta_r", Number, default=0.4, doc="Objects closer than this overlap."),
        Param(
            "mode",
            Str,
            default="remove_source_on_overlap",
            allowed=("remove_source_on_overlap",),
            doc="What an overlap does.",
        ),
        Param("sort_by", Str, doc="Sort the kept objects by this field (relative to the collection)."),
        Param(
            "sort_order", Str, default="descending", allowed=("descending", "ascending"), doc="Sort order."
        ),
        Param("diagnostics", OneOf(DIAGNOSTICS, Const(False)), doc="The removed-object count and list."),
        Param("fields", ListOf(Str), doc="Source fields (relative names) to request from the input."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.clean_impl:run",
    plugin="hep",
)
