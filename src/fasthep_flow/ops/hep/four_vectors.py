"""`hep.four_vectors`: quantities of a collection's four-vectors (px from pt/eta/phi/mass, mass from px/py/pz/E…)."""

from __future__ import annotations

from fasthep_flow.document.nodes import MapNode
from fasthep_flow.ops.hep.momenta import DEFAULT_INPUTS, INPUTS, inputs_problems, outputs_param
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
from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Port, Str

DEFAULT_OUTPUTS = ("px", "py", "pz", "E")


def input_uses(params: MapNode | None, collection_text: str, anchor: MapNode | None) -> list[ExprUse]:
    """The fields a four-vector of ``collection`` reads: ``<collection>_<input>`` for each coordinate."""
    given = [(k, v) for k, v in entries(get(params, "inputs"))]
    if given:
        return [
            ExprUse(implicit_scalar(f"{collection_text}_{node.text}", node), "field", implicit=True)
            for _, value in given
            if (node := name_scalar(value)) is not None
        ]
    near = name_scalar(get(params, "collection")) or anchor
    return [
        ExprUse(implicit_scalar(f"{collection_text}_{name}", near), "field", implicit=True)
        for name in DEFAULT_INPUTS.values()
    ]


def output_names(params: MapNode | None, default: tuple[str, ...]) -> list[tuple[str, object]]:
    """``outputs`` (or the default) as (quantity, node to locate it on)."""
    listed = [(n.text, n) for n in map(name_scalar, items(get(params, "outputs"))) if n is not None]
    return listed or [(q, None) for q in default]


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads the collection's coordinate fields; defines `<output>_<quantity>` for each output."""
    collection = name_scalar(get(params, "collection"))
    if collection is None:
        return []
    uses = input_uses(params, collection.text, params)
    output = name_scalar(get(params, "output")) or collection
    defines = []
    for q, node in output_names(params, DEFAULT_OUTPUTS):
        where = node if node is not None else output
        doc = f"{q} of the `{collection.text}` four-vectors (stage `{stage_id}`)"
        defines.append(
            FieldDef(
                f"{output.text}_{q}", implicit_scalar(f"{output.text}_{q}", where), doc=doc, implicit=True
            )
        )
    return [FlowStep(tuple(uses), tuple(defines))]


SPEC = OpSpec(
    "hep.four_vectors",
    OpKind.TRANSFORM,
    doc="Four-vectors of each object of a collection, built by `vector` from the fields named in `inputs`; "
    "writes the quantities in `outputs` as `<output>_<quantity>`, e.g. `Jet_px` from `Jet_pt/eta/phi/mass`, "
    "or `Muon_mass` from `Muon_Px/Py/Pz/E`.",
    params=(
        Param("collection", Str, required=True, doc="Prefix of the collection's fields, e.g. `Jet`."),
        Param("output", Str, default_doc="<collection>", doc="Prefix of the new fields."),
        INPUTS,
        outputs_param(DEFAULT_OUTPUTS),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    problems=inputs_problems,
    impl="fasthep_flow.ops.hep.four_vectors_impl:run",
    plugin="hep",
)
