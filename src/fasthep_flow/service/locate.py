"""Classify the cursor: what the user is pointing at, so each feature can dispatch on it.

``locate(doc, pos, ctx)`` asks the document tree which node is at the cursor (``cursor.py``; works on broken
text by patching the cursor's line), then names the place: a top-level key, a stage key, an op name, a param
key or value of the op at hand, a stage reference in ``needs``/``from``, a style/dataset/profile/output
reference, an include path, or a position inside an expression string. Keys and values are what the language's types allow at that path
(``registry/type_paths.py`` walks the document's types and the op's params, the source the JSON Schema is
rendered from), so the service keeps no copy of the language and no schema interpreter of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler.symbols import Reference, SymbolKind
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.registry import type_paths
from fasthep_flow.registry.specs import KindGroup, OpSpec, Param, ParamType, ScalarType, Struct
from fasthep_flow.registry.type_paths import KeyInfo
from fasthep_flow.service.cursor import PathPart, Place

if TYPE_CHECKING:
    from fasthep_flow.registry import Registry
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


# --- what the cursor can be on ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    place: Place
    span: Span
    """The word at the cursor: what a completion replaces, what hover highlights."""

    @property
    def prefix(self) -> str:
        return self.place.prefix


@dataclass(frozen=True)
class DocKey(Located):
    """A key of a block of the document (``data.defaults``, a dataset, a source, a style...): ``keys`` are
    those the document's types allow there (``registry/type_paths.py``)."""

    keys: Mapping[str, KeyInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class TopKey(DocKey):
    pass


@dataclass(frozen=True)
class StageKey(DocKey):
    stage_index: int = 0


@dataclass(frozen=True)
class DocValue(Located):
    """A scalar value of the document (choices such as ``when`` and ``eventtype``, booleans)."""

    key: str = ""
    values: tuple[tuple[object, str], ...] = ()
    """The values the language allows, each with its documentation."""


@dataclass(frozen=True)
class OpValue(Located):
    group: KindGroup = KindGroup.STAGES


@dataclass(frozen=True)
class ParamKey(Located):
    op: OpSpec | None = None
    types: tuple[ParamType, ...] = ()
    """The types of the mapping whose key is typed (the op's params struct at the top)."""


@dataclass(frozen=True)
class ParamValue(Located):
    op: OpSpec | None = None
    param: Param | None = None
    types: tuple[ParamType, ...] = ()


@dataclass(frozen=True)
class StageRef(Located):
    """A stage (or source) id in ``needs``/``from``; ``stage_index`` is the stage the reference is written in."""

    stage_index: int = 0
    allow_sources: bool = True


@dataclass(frozen=True)
class NameRef(Located):
    """A reference to a style, output, dataset or profile."""

    kind: SymbolKind = SymbolKind.STYLE


@dataclass(frozen=True)
class IncludePath(Located):
    pass


@dataclass(frozen=True)
class BranchName(Located):
    """An entry of a source's ``branches:`` list (completed from the input file's metadata)."""

    source: str = ""


@dataclass(frozen=True)
class InExpression(Located):
    """Inside an expression string (or a field-name param): ``offset`` indexes ``text``."""

    text: str = ""
    offset: int = 0
    scalar: ScalarNode | None = None
    stage_index: int | None = None
    stage_id: str | None = None
    kind: str = "expr"
    """``expr`` (parsed by the grammar) or ``field`` (one field name)."""
    prefix_collection: str = ""
    """``hep.select_objects``: names are relative to the collection (``pt`` means ``Muon_pt``)."""
    text_start: Pos | None = None
    """Document position of ``text[0]`` when no scalar node is available."""
    step_order: int | None = None
    """Flow order of the data-flow step the cursor is in (fields its own stage defines from it on are not
    visible yet); ``sys.maxsize`` for a writer's ``keep``, which sees everything the stage left."""

    def span_of(self, start: int, end: int) -> Span:
        """The document span of ``text[start:end]``."""
        if self.scalar is not None:
            return self.scalar.span_of(start, end)
        assert self.text_start is not None
        return Span(
            self.span.file,
            Pos(self.text_start.line, self.text_start.col + start),
            Pos(self.text_start.line, self.text_start.col + end),
        )


# --- locating -----------------------------------------------------------------------------------------------


@dataclass
class Where:
    """Everything ``locate`` found out, shared with features that need more than the classification."""

    doc: Document
    pos: Pos
    place: Place
    registry: Registry | None
    stage_index: int | None = None
    stage_keys: dict[str, Any] = field(default_factory=dict)
    stage_node: MapNode | None = None
    """The stage's node in the cursor's tree (the text being typed included)."""

    def value_at(self, depth: int) -> Any:
        """The document's value at ``place.path[:depth]`` as plain data (a stage's ``op`` picks its branch)."""
        return to_python(self.place.node_at(depth))


def stage_of(place: Place) -> int | None:
    path = place.path
    if len(path) >= 3 and path[0] == "analysis" and path[1] == "stages" and isinstance(path[2], int):
        return path[2]
    if place.role == "item" and path == ("analysis", "stages"):
        return place.index
    return None


def registry_for(doc: Document, ctx: Context, pos: Pos | None = None) -> Registry | None:
    """The registry the workflow loads (its profiles and layers), even while the text does not parse."""
    result = doc.names(ctx, pos) if pos is not None else doc.compiled(ctx)
    if result.registry is not None:
        return result.registry
    from fasthep_flow.registry import load_registry

    return load_registry(None, doc.directory, ctx.trust)[0]


def where(doc: Document, pos: Pos, ctx: Context) -> Where:
    place = doc.place(pos)
    w = Where(doc, pos, place, registry_for(doc, ctx, pos))
    w.stage_index = stage_of(place)
    if w.stage_index is not None:
        node = place.node_at(3) if len(place.path) >= 3 else None
        if isinstance(node, MapNode):
            w.stage_node = node
            w.stage_keys = _scalars_of(node)
    return w


def locate(doc: Document, pos: Pos, ctx: Context) -> Located:
    return classify(where(doc, pos, ctx), ctx)


def classify(w: Where, ctx: Context) -> Located:
    place = w.place
    doc = w.doc
    span = Span(doc.path, place.start_pos, place.end_pos)
    path = place.path
    role = place.role
    reg = w.registry

    workflow_ref = _in_workflows(path, role, place.key)
    if workflow_ref is not None:  # `workflows: {NAME: {stages: [...], extends: [...]}}`
        return NameRef(place, span, kind=workflow_ref)
    # references the compile of this text recorded at the cursor say best what a scalar is
    ref = reference_at(doc, w.pos, ctx) if doc.own_compile() is not None else None
    if ref is not None and role != "key":
        if ref.kind in (SymbolKind.STAGE, SymbolKind.SOURCE):
            return StageRef(place, span, stage_index=w.stage_index or 0)
        if ref.kind in (SymbolKind.STYLE, SymbolKind.OUTPUT, SymbolKind.DATASET, SymbolKind.PROFILE):
            return NameRef(place, span, kind=ref.kind)

    if role == "none":  # a comment, or text no patch of the line makes parse
        return Located(place, span)
    if role == "key" and path == ():
        return TopKey(place, span, keys=_keys_at(w, ()))
    if w.stage_index is not None:
        found = _in_stage(w, span, ctx)
        if found is not None:
            return found
    if path == ("include",) or (role == "value" and path == () and place.key == "include"):
        return IncludePath(place, span)
    if _is(path, role, place.key, ("use", "profiles")):
        return NameRef(place, span, kind=SymbolKind.PROFILE)
    if len(path) == 2 and path[0] == "sources" and role == "value" and place.key == "kind":
        return OpValue(place, span, group=KindGroup.SOURCES)
    if len(path) == 3 and path[0] == "sources" and path[2] == "branches" and role == "item":
        return BranchName(place, span, source=str(path[1]))
    if len(path) == 2 and path[0] == "sources" and role == "value" and place.key == "branches":
        return BranchName(place, span, source=str(path[1]))
    if len(path) == 2 and path[0] == "styles" and role == "value" and place.key == "op":
        return OpValue(place, span, group=KindGroup.RENDERS)
    if len(path) == 2 and path[0] == "styles" and role == "value" and place.key == "use":
        return NameRef(place, span, kind=SymbolKind.STYLE)
    if len(path) >= 2 and path[0] == "observers" and role == "value" and place.key == "kind":
        return OpValue(place, span, group=KindGroup.OBSERVERS)
    if len(path) >= 2 and path[0] == "sources" and len(path) >= 3 and path[2] == "params" and reg is not None:
        spec = _source_spec(w, reg, str(path[1]))
        return _params_place(place, span, spec, path[3:], w, ctx)

    if len(path) == 3 and path[0] == "outputs" and path[2] == "keep" and role == "item":
        kept = _kept_field(w, span, ctx, str(path[1]))
        if kept is not None:
            return kept
    varied = _variation_field(w, span, ctx)
    if varied is not None:
        return varied
    if role == "key":
        return DocKey(place, span, keys=_keys_at(w, path))
    key_path = (*path, place.key) if role == "value" and place.key is not None else (*path, 0)
    values = (
        type_paths.values_at(type_paths.document_type(reg), key_path, w.value_at) if reg is not None else []
    )
    return DocValue(place, span, key=place.key or "", values=tuple(values))


def _keys_at(w: Where, path: tuple[PathPart, ...]) -> dict[str, KeyInfo]:
    if w.registry is None:
        return {}
    return type_paths.keys_at(type_paths.document_type(w.registry), path, w.value_at)


def _kept_field(w: Where, span: Span, ctx: Context, output: str) -> InExpression | None:
    """An entry of an output layout's ``keep``: a field of the stream left by the (first) stage writing it."""
    import sys

    place = w.place
    if place.scalar_start is None:
        return None
    index = w.doc.index(ctx, w.pos)
    for info in index.stages:
        write = info.node.get("write")
        items = [write] if isinstance(write, MapNode) else write.items if isinstance(write, SeqNode) else []
        for item in items:
            target = item.get("output") if isinstance(item, MapNode) else None
            if isinstance(target, ScalarNode) and target.text == output:
                return InExpression(
                    place,
                    span,
                    text=place.scalar_text,
                    offset=max(0, min(place.end_pos.col, w.pos.col) - place.scalar_start),
                    stage_index=info.index,
                    stage_id=info.id,
                    kind="field",
                    text_start=Pos(place.line, place.scalar_start),
                    step_order=sys.maxsize,
                )
    return None


def _variation_field(w: Where, span: Span, ctx: Context) -> InExpression | None:
    """A replacement field (`replace: {field: HERE}`) or a weight factor (`weight: {multiply: HERE}`) of a
    `systematics` variation: it may read any field the workflow provides, as seen after its last stage."""
    import sys

    place, path = w.place, w.place.path
    if len(path) < 4 or path[:2] != ("systematics", "variations") or place.scalar_start is None:
        return None
    rest = path[3:]
    if rest == ("replace",) and place.role == "value":
        kind = "field"
    elif (rest == ("weight",) and place.role == "value" and place.key == "multiply") or (
        rest == ("weight", "multiply") and place.role == "item"
    ):
        kind = "expr"
    else:
        return None
    stages = w.doc.index(ctx, w.pos).stages
    last = stages[-1] if stages else None
    return InExpression(
        place,
        span,
        text=place.scalar_text,
        offset=max(0, min(place.end_pos.col, w.pos.col) - place.scalar_start),
        stage_index=last.index if last else None,
        stage_id=last.id if last else None,
        kind=kind,
        text_start=Pos(place.line, place.scalar_start),
        step_order=sys.maxsize,
    )


def _in_workflows(path: tuple[PathPart, ...], role: str, key: str | None) -> SymbolKind | None:
    """A name in a workflow's ``stages`` (a stage id) or ``extends`` (a workflow), as a value or list item."""
    if not path or path[0] != "workflows":
        return None
    if role == "value" and len(path) == 2:
        field = key
    elif role == "item" and len(path) == 3:
        field = str(path[2])
    else:
        return None
    return {"stages": SymbolKind.STAGE, "extends": SymbolKind.WORKFLOW}.get(field or "")


def _is(path: tuple[PathPart, ...], role: str, key: str | None, target: tuple[str, ...]) -> bool:
    if path == target and role == "item":
        return True
    return role == "value" and key == target[-1] and path == target[:-1]


def _in_stage(w: Where, span: Span, ctx: Context) -> Located | None:
    place = w.place
    path = place.path
    role = place.role
    rest = path[3:]
    index = w.stage_index or 0
    if (role == "key" and rest == ()) or (role == "item" and path == ("analysis", "stages")):
        return StageKey(place, span, keys=_keys_at(w, ("analysis", "stages", index)), stage_index=index)
    if rest == () and role == "value":
        if place.key == "op":
            return OpValue(place, span, group=KindGroup.STAGES)
        if place.key in ("needs", "from", "in"):
            return StageRef(place, span, stage_index=index)
    if rest and rest[0] in ("needs", "from", "in"):
        if role == "item" or (role == "value" and place.key == "node"):
            return StageRef(place, span, stage_index=index)
        return None
    if rest and rest[0] == "render" and role == "value" and place.key == "style":
        return NameRef(place, span, kind=SymbolKind.STYLE)
    if rest and rest[0] == "write" and role == "value" and place.key == "output":
        return NameRef(place, span, kind=SymbolKind.OUTPUT)
    if (
        rest
        and rest[0] == "applies_to"
        and (
            (role == "value" and place.key in ("dataset", "datasets"))
            or (role == "item" and rest[-1:] == ("datasets",))
        )
    ):
        return NameRef(place, span, kind=SymbolKind.DATASET)
    if rest and rest[0] == "params" and w.registry is not None:
        spec = w.registry.stage_op(str(w.stage_keys.get("op", ""))) if w.stage_keys.get("op") else None
        return _params_place(place, span, spec, rest[1:], w, ctx)
    return None


def _source_spec(w: Where, reg: Registry, name: str) -> OpSpec | None:
    source = w.place.node_at(2)
    kind = source.get("kind") if isinstance(source, MapNode) else None
    return reg.source(kind.text) if isinstance(kind, ScalarNode) and kind.is_string else None


def _params_place(
    place: Place, span: Span, spec: OpSpec | None, rest: tuple[PathPart, ...], w: Where, ctx: Context
) -> Located:
    root_type: ParamType = spec.params_struct if spec is not None else Struct(())
    container = type_paths.types_at(root_type, rest)
    if place.role == "key":
        return ParamKey(place, span, op=spec, types=tuple(container))
    if place.role == "value":
        assert place.key is not None
        param = param_of(container, place.key)
        value_types = type_paths.types_at(root_type, (*rest, place.key))
    else:
        param = None
        value_types = type_paths.types_at(root_type, (*rest, place.index or 0))
        if not rest and place.key is None:
            value_types = []
    expr = _expression_at(w, ctx, value_types)
    if expr is not None:
        return expr
    return ParamValue(place, span, op=spec, param=param, types=tuple(value_types))


# --- params and expressions among the types at a place (``type_paths`` walks to them) ---------------------


def param_of(types: list[ParamType] | tuple[ParamType, ...], key: str) -> Param | None:
    for t in types:
        if isinstance(t, Struct) and (p := t.param(key)) is not None:
            return p
    return None


def is_expression_type(types: list[ParamType] | tuple[ParamType, ...]) -> str | None:
    names = {t.name for t in types if isinstance(t, ScalarType)}
    if "expr" in names:
        return "expr"
    if "field" in names:
        return "field"
    return None


# --- expressions --------------------------------------------------------------------------------------------


def _expression_at(w: Where, ctx: Context, value_types: list[ParamType]) -> InExpression | None:
    place = w.place
    doc = w.doc
    use, step = _flow_use_at(w, ctx)
    kind = use.kind if use is not None else is_expression_type(value_types)
    if kind is None:
        return None
    prefix = use.prefix if use is not None else ""
    stage_id = str(w.stage_keys.get("id") or "") or None
    step_order = None
    if step is not None and stage_id is not None:
        info = w.doc.index(ctx, w.pos).stage(stage_id)  # its place in the merged flow (includes come first)
        step_order = (info.index + 1) * 1000 + step + 1 if info is not None else None
    span = Span(doc.path, place.start_pos, place.end_pos)
    scalar = use.node if use is not None else None
    here = place.scalar
    if scalar is None and here is not None and place.role != "key" and (here.is_string or not here.text):
        scalar = here
    if scalar is not None and scalar.offsets:
        offset = scalar.text_offset_at(w.pos)
        if offset is None:
            offset = len(scalar.text)
        return InExpression(
            place,
            span,
            text=scalar.text,
            offset=offset,
            scalar=scalar,
            stage_index=w.stage_index,
            stage_id=stage_id,
            kind=kind,
            prefix_collection=prefix,
            step_order=step_order,
        )
    if place.scalar_start is None and not place.block:
        return None
    start = place.scalar_start if place.scalar_start is not None else place.start
    text = place.scalar_text if place.scalar_start is not None else place.word
    return InExpression(
        place,
        span,
        text=text,
        offset=max(0, min(place.end_pos.col, w.pos.col) - start),
        stage_index=w.stage_index,
        stage_id=stage_id,
        kind=kind,
        prefix_collection=prefix,
        text_start=Pos(place.line, start),
        step_order=step_order,
    )


def _flow_use_at(w: Where, ctx: Context) -> tuple[Any, int | None]:
    """The registry's data-flow entry (``ExprUse``) for the scalar at the cursor, from the stage's node, and
    the index of the step it belongs to."""
    if w.stage_node is None or w.registry is None:
        return None, None
    steps = stage_flow(w.stage_node, w.registry)
    here = w.pos
    for k, step in enumerate(steps):
        for use in step.uses:
            if not use.implicit and use.node.span.file == w.doc.path and use.node.span.contains(here):
                return use, k
    return None, None


def get_path(node: Node | None, *keys: str) -> Node | None:
    for key in keys:
        if not isinstance(node, MapNode):
            return None
        node = node.get(key)
    return node


# --- references the compiler recorded -----------------------------------------------------------------------


def reference_at(doc: Document, pos: Pos, ctx: Context) -> Reference | None:
    """The reference (a symbol occurrence) at ``pos`` in the last compile of this document."""
    result = doc.compiled(ctx)
    index = result.index
    best: Reference | None = None
    for r in index.references:
        if (
            r.span.file == doc.path
            and r.span.contains(pos)
            and (best is None or r.span.start >= best.span.start)
        ):
            best = r
    return best


def _scalars_of(node: MapNode) -> dict[str, Any]:
    return {e.key.text: e.value.value for e in node.entries if isinstance(e.value, ScalarNode)}


def stage_flow(stage: MapNode, reg: Registry) -> list[Any]:
    """A stage node's data-flow steps (``FlowStep``s) as the registry's spec for its op describes them;
    none for an unknown op or half-typed params."""
    from fasthep_flow.registry.dataflow import flow_of

    op = stage.get("op")
    spec = reg.stage_op(op.text) if isinstance(op, ScalarNode) and op.is_string else None
    if spec is None:
        return []
    ident = stage.get("id")
    params = stage.get("params")
    try:
        return flow_of(
            spec,
            params if isinstance(params, MapNode) else None,
            ident.text if isinstance(ident, ScalarNode) else "",
            op,
        )
    except Exception:  # a spec's dataflow function failing must not take completion down with it
        return []


def expression_uses(doc: Document, reg: Registry | None) -> list[Any]:
    """Every expression/field scalar written in this file's stages (``ExprUse``s of the registry's data-flow)."""
    root = doc.parsed.root
    stages = get_path(root, "analysis", "stages")
    if reg is None or not isinstance(stages, SeqNode):
        return []
    out = []
    for stage in stages.items:
        steps = stage_flow(stage, reg) if isinstance(stage, MapNode) else []
        for step in steps:
            out.extend(u for u in step.uses if not u.implicit and u.node.span.file == doc.path)
    return out
