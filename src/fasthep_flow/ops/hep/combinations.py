"""`hep.combinations`: every k-object combination of a (masked) collection, with its summed four-vector."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.ops.hep.four_vectors import input_uses, output_names
from fasthep_flow.ops.hep.momenta import DEFAULT_OUTPUTS, INPUTS, inputs_problems, outputs_param
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    entries,
    get,
    implicit_scalar,
    items,
    name_scalar,
)
from fasthep_flow.registry.specs import (
    Field,
    Int,
    ListOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)

REDUCTIONS = ("max", "min", "sum")
MEMBERS = Struct(
    tuple(
        Param(
            r,
            ListOf(Str),
            doc=f"Fields (relative names) whose {r} over the members is written as `<output>_{r}_<field>`.",
        )
        for r in REDUCTIONS
    ),
    name="{max, min, sum}",
)


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads the four-vector fields, the mask and the member fields; defines the candidates' fields."""
    collection = name_scalar(get(params, "collection"))
    output = name_scalar(get(params, "output"))
    if collection is None or output is None:
        return []
    uses = input_uses(params, collection.text, params)
    mask = name_scalar(get(params, "mask"))
    if mask is not None:
        uses.append(ExprUse(mask, "field"))
    origin = f"of the {collection.text} combinations of stage `{stage_id}`"
    defines = [
        FieldDef(
            f"{output.text}_{q}",
            implicit_scalar(f"{output.text}_{q}", node or output),
            doc=f"{q} of the summed four-vector {origin}",
            implicit=True,
        )
        for q, node in output_names(params, DEFAULT_OUTPUTS)
    ]
    for key, value in entries(get(params, "members")):
        for node in map(name_scalar, items(value)):
            if node is None:
                continue
            uses.append(ExprUse(node, "field", f"{collection.text}_"))
            name = f"{output.text}_{key.text}_{node.text}"
            defines.append(
                FieldDef(
                    name,
                    implicit_scalar(name, node),
                    doc=f"{key.text} of `{node.text}` {origin}",
                    implicit=True,
                )
            )
    defines.append(
        FieldDef(
            f"n{output.text}",
            implicit_scalar(f"n{output.text}", output),
            doc=f"number {origin}",
            implicit=True,
        )
    )
    return [FlowStep(tuple(uses), tuple(defines))]


SPEC = OpSpec(
    "hep.combinations",
    OpKind.TRANSFORM,
    doc="A new jagged collection `<output>_*` holding, per event, every combination of `k` distinct objects "
    "of `collection` (those passing `mask`), in the stored order: the summed four-vector's `outputs` and, "
    "per `members` reduction, e.g. `<output>_max_btagCSVV2`; plus the count `n<output>`.",
    params=(
        Param("collection", Str, required=True, doc="Prefix of the collection's fields, e.g. `Jet`."),
        Param(
            "k", Int, required=True, minimum=2, doc="Objects per combination (2 for pairs, 3 for trijets)."
        ),
        Param("output", Str, required=True, doc="Prefix of the combinations' fields, e.g. `Trijet`."),
        Param("mask", Field, doc="Boolean jagged field choosing which objects take part (all when absent)."),
        INPUTS,
        outputs_param(DEFAULT_OUTPUTS),
        Param("members", MEMBERS, doc="Per-member fields reduced over each combination."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    problems=inputs_problems,
    impl="fasthep_flow.ops.hep.combinations_impl:run",
    plugin="hep",
)
