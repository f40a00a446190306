"""`hep.build_pairs`: two-object candidates (a Z from two leptons) from one or more collections."""

from __future__ import annotations

import re

from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.registry.dataflow import (
    ExprUse,
    FieldDef,
    FlowStep,
    get,
    implicit_scalar,
    items,
    name_scalar,
    scalar,
)
from fasthep_flow.registry.specs import (
    AnyType,
    Choice,
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

VECTOR_FIELDS = ("pt", "eta", "phi", "mass")
_LEPTON = re.compile(r"^lepton_([12])_(\w+)$")


def pair_fields(expressions: list[str]) -> tuple[set[str], set[str]]:
    """The ``lepton_1_<f>``/``lepton_2_<f>`` names the pair cuts read, and the fields ``<f>`` behind them."""
    from fasthep_flow.expressions import ExprError, parse

    names: set[str] = set()
    for text in expressions:
        parsed = parse(text)
        if not isinstance(parsed, ExprError):
            names |= {s for s in parsed.symbols if _LEPTON.match(s)}
    return names, {m.group(2) for s in names if (m := _LEPTON.match(s))}


def flow(params: MapNode | None, stage_id: str) -> list[FlowStep]:
    """Reads `<collection>_<f>` for pt/eta/phi/mass, the kept constituent fields and those the pair cuts use;
    defines `n<output>_Z`, `<output>_Z_<f>` and `<output>_lepton_{1,2}_<f>`."""
    collections = [c for c in map(name_scalar, items(get(params, "collections"))) if c is not None]
    selection = get(params, "selection")
    pair_cuts = [s for s in map(scalar, items(get(selection, "pair"))) if s is not None]
    local, from_cuts = pair_fields([s.text for s in pair_cuts])
    keep = get(params, "keep")
    constituents = [f for f in map(name_scalar, items(get(keep, "constituents"))) if f is not None]
    candidate = [f for f in map(name_scalar, items(get(keep, "candidate"))) if f is not None]
    wanted = dict.fromkeys([*VECTOR_FIELDS, *(f.text for f in constituents), *sorted(from_cuts)])
    uses = [
        ExprUse(implicit_scalar(f"{c.text}_{f}", c), "field", implicit=True)
        for c in collections
        for f in wanted
    ]
    # the cuts and the sort key are evaluated over the pairs' own columns, not the stream's
    uses += [ExprUse(s, "expr", local_names=frozenset(local), local_only=True) for s in pair_cuts]
    vector_names = frozenset(VECTOR_FIELDS)
    uses += [
        ExprUse(s, "expr", local_names=vector_names, local_only=True)
        for s in map(scalar, items(get(selection, "candidate")))
        if s
    ]
    if (by := scalar(get(get(params, "sort"), "by"))) is not None:
        uses.append(ExprUse(by, "expr", local_names=vector_names, local_only=True))
    out = name_scalar(get(params, "output"))
    if out is None:
        return [FlowStep(tuple(uses), ())]
    doc = f"pairs built by stage `{stage_id}`"

    def define(name: str, near: ScalarNode) -> FieldDef:
        return FieldDef(name, implicit_scalar(name, near), doc=doc, implicit=True)

    defines = [define(f"n{out.text}_Z", out)]
    defines += [define(f"{out.text}_Z_{f.text}", f) for f in candidate]
    defines += [define(f"{out.text}_lepton_{i}_{f.text}", f) for i in (1, 2) for f in constituents]
    return [FlowStep(tuple(uses), tuple(defines))]


PAIR = Struct(
    (
        Param("unordered", Const(True), default=True, doc="Each pair once (the only form)."),
        Param(
            "distinct_objects", Const(True), default=True, doc="No object paired with itself (the only form)."
        ),
    ),
    name="{unordered, distinct_objects}",
)
SELECTION = Struct(
    (
        Param("pair", ListOf(Expr), doc="Cuts over `lepton_1_<f>` and `lepton_2_<f>`, ANDed per pair."),
        Param("candidate", ListOf(Expr), doc="Cuts over the pair's `pt`, `eta`, `phi`, `mass`."),
    ),
    name="{pair?, candidate?}",
)
SORT = Struct(
    (
        Param("by", Expr, doc="Expression over `pt`, `eta`, `phi`, `mass` of the candidate."),
        Param("order", Str, default="ascending", allowed=("ascending", "descending"), doc="Sort order."),
    ),
    name="{by, order?}",
)
KEEP = Struct(
    (
        Param("candidate", ListOf(Choice(VECTOR_FIELDS)), required=True, doc="Candidate fields to write."),
        Param("constituents", ListOf(Str), required=True, doc="Fields of both objects to write."),
    ),
    name="{candidate, constituents}",
)

SPEC = OpSpec(
    "hep.build_pairs",
    OpKind.TRANSFORM,
    doc="Every unordered pair of distinct objects of the `collections` (concatenated, in order); pair and "
    "candidate cuts, optional sort; writes `n<output>_Z`, `<output>_Z_<f>` and `<output>_lepton_{1,2}_<f>`. "
    "Needs `<collection>_pt/_eta/_phi/_mass`.",
    params=(
        Param(
            "collections",
            ListOf(Str),
            required=True,
            min_items=1,
            doc="Prefixes of the collections, e.g. `[Muon, Electron]` (at least one: the pairs are made of them).",
        ),
        Param("output", Str, required=True, doc="Prefix of the outputs."),
        Param("pair", PAIR, doc="Pairing rules (only unordered pairs of distinct objects)."),
        Param("selection", SELECTION, doc="`{pair: [...], candidate: [...]}` cuts."),
        Param("sort", OneOf(SORT, Const(False)), doc="Order of the candidates (stored order when absent)."),
        Param("keep", KEEP, required=True, doc="`{candidate: [...], constituents: [...]}`: fields written."),
        Param("legacy", MapOf(AnyType), doc="Accepted for upstream workflows; unused."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("events", "stream"),),
    dataflow=flow,
    impl="fasthep_flow.ops.hep.build_pairs_impl:run",
    plugin="hep",
)
