"""`hep.zip_join`: several streams of one partition as one stream, each input's fields under its prefix.

Upstream inserts it for a top-level `joins:` entry; written as a stage it zips the streams bound by its
`from` entries (`[{node: A, as: l}, ...]`), `inputs: [{name: l, prefix: pa}]` naming them. The output holds
only the prefixed fields (`pa.x`), as upstream's record of records; read them with `hep.project_fields`
aliases or as `pa.x` in expressions.
"""

from __future__ import annotations

from fasthep_flow.document import codes
from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import get, items, name_scalar
from fasthep_flow.registry.specs import ListOf, OpKind, OpSpec, Param, ParamProblem, Port, Str, Struct


def prefixes(params: MapNode | None) -> list[tuple[str, ScalarNode]]:
    """(input name, prefix scalar) of each well-formed `inputs` entry."""
    out: list[tuple[str, ScalarNode]] = []
    for item in items(get(params, "inputs")):
        if not isinstance(item, MapNode):
            continue
        name, prefix = name_scalar(item.get("name")), name_scalar(item.get("prefix"))
        if name is not None and prefix is not None:
            out.append((name.text, prefix))
    return out


def input_problems(params: MapNode | None, bound: tuple[str, ...]) -> list[ParamProblem]:
    """Each entry names a bound input; no two entries share a prefix (their fields would collide)."""
    out: list[ParamProblem] = []
    seen: dict[str, ScalarNode] = {}
    for item in items(get(params, "inputs")):
        if not isinstance(item, MapNode):
            continue
        name = name_scalar(item.get("name"))
        if name is not None and name.text not in bound:
            out.append(
                ParamProblem(
                    codes.UNKNOWN_STAGE_REF,
                    name,
                    f"no input of this stage is bound as '{name.text}'",
                    hint="the stage's inputs: "
                    + (", ".join(f"`{b}`" for b in bound) or "(none)")
                    + " — name one, or bind it with `from: [{node: <stage>, as: "
                    + name.text
                    + "}]`",
                )
            )
        prefix = name_scalar(item.get("prefix"))
        if prefix is not None:
            if prefix.text in seen:
                out.append(
                    ParamProblem(
                        codes.DUPLICATE_NAME,
                        prefix,
                        f"prefix '{prefix.text}' is given twice",
                        hint="each input needs its own prefix, or their fields would collide",
                    )
                )
            seen[prefix.text] = prefix
    return out


INPUT = Struct(
    (
        Param(
            "name", Str, required=True, doc="The input: the `as` name of one of the stage's `from` entries."
        ),
        Param("prefix", Str, required=True, doc="Its fields appear as `<prefix>.<field>`."),
    ),
    name="{name, prefix}",
)

SPEC = OpSpec(
    "hep.zip_join",
    OpKind.TRANSFORM,
    doc="Zip several streams of the same events into one: each input's fields appear under its prefix "
    "(`<prefix>.<field>`), and nothing else does. The inputs must hold the same number of events.",
    params=(
        Param(
            "inputs",
            ListOf(INPUT),
            required=True,
            min_items=1,
            doc="The inputs zipped, each with its prefix.",
        ),
        Param(
            "on_mismatch",
            Str,
            default="error",
            allowed=("error",),
            allowed_docs=("inputs of unequal lengths fail the partition",),
            doc="What unequal lengths do (upstream knows only `error`).",
        ),
    ),
    inputs=(Port("streams", "stream"),),
    outputs=(Port("events", "stream"),),
    impl="fasthep_flow.ops.hep.zip_join_impl:run",
    plugin="hep",
    streams=True,
    input_problems=input_problems,
    stream_prefixes=prefixes,
)
