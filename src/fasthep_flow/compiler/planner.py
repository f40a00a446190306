"""From the analysed workflow to an ExecutionPlan: nodes, edges, sources' fields, datasets, partitions."""

from __future__ import annotations

from typing import Any

from fasthep_flow.compiler.attachments import Attachment, Observer
from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import FlowState
from fasthep_flow.compiler.joins import JoinDecl, join_plans
from fasthep_flow.compiler.normalise import DatasetDecl, SourceDecl
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.variations import SystematicsDecl, expand_plan
from fasthep_flow.document.nodes import to_python
from fasthep_flow.plan import (
    INPUT_NAMES,
    JOIN_KIND,
    DatasetPlan,
    ExecutionPlan,
    NodeKind,
    Origin,
    Partition,
    PlanNode,
    SourcePlan,
    VariationPlan,
)

DEFAULT_CHUNK_SIZE = 100_000


def params_with_defaults(decl: StageDecl) -> dict[str, Any]:
    """The stage's params with the spec's defaults filled in (computed once; the plan and the normalised
    workflow share it, so neither may mutate it)."""
    if decl.plain_params is not None:
        return decl.plain_params
    given = to_python(decl.params) if decl.params is not None else {}
    assert isinstance(given, dict)
    decl.plain_params = params_from(decl, given)
    return decl.plain_params


def params_from(decl: StageDecl, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` (params as plain data) with the spec's defaults filled in and its expansion applied."""
    out: dict[str, Any] = {}
    if decl.spec is not None:
        for p in decl.spec.params:
            if p.name in given:
                out[p.name] = given[p.name]
            elif p.has_default:
                out[p.name] = _plain(p.default)
    for k, v in given.items():
        out.setdefault(k, v)
    if decl.spec is not None and decl.spec.expand is not None:
        out = decl.spec.expand(out)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _origin(ctx: Context, decl: StageDecl) -> Origin:
    node = decl.id_node or decl.node
    return Origin(node.span.file or ctx.file, node.span.start.line + 1)


def _with_input_names(d: StageDecl, params: dict[str, Any]) -> dict[str, Any]:
    if d.spec is None or not (d.spec.streams or d.spec.once):
        return params
    return {**params, INPUT_NAMES: list(d.input_names)}


def build_plan(
    ctx: Context,
    decls: list[StageDecl],
    sources: list[SourceDecl],
    datasets: list[DatasetDecl],
    state: FlowState,
    attachments: list[Attachment],
    observers: list[Observer],
    globals_: dict[str, Any],
    styles: dict[str, Any],
    outputs: dict[str, Any],
    execution: dict[str, Any],
    projected: dict[str, dict[str, str]] | None = None,
    joins: list[JoinDecl] | None = None,
    systematics: SystematicsDecl | None = None,
) -> ExecutionPlan:
    projected = projected or {}
    join_names = {j.name for j in joins or ()}
    nodes: list[PlanNode] = []
    used_sources: list[str] = []
    for d in decls:
        for ref in (d.data_input, *d.more_inputs):
            if ref and ref.startswith("source:"):
                name = ref.removeprefix("source:")
                if name not in used_sources:
                    used_sources.append(name)

    def read_id(name: str) -> str:
        return f"join.{name}" if name in join_names else f"read.{name}"

    for name in used_sources:
        if name in join_names:  # one read node zipping the join's inputs (the runtime reads each of them)
            nodes.append(
                PlanNode(id=read_id(name), kind=NodeKind.READ, op=JOIN_KIND, params={"source": name})
            )
        else:
            nodes.append(PlanNode(id=read_id(name), kind=NodeKind.READ, op=_source_kind(sources, name)))
        if name in projected:  # `fields:` aliases of this stream, projected right after the read
            nodes.append(
                PlanNode(
                    id=f"project.{name}",
                    kind=NodeKind.STAGE,
                    op="hep.project_fields",
                    params={"aliases": dict(projected[name]), "include_existing": True},
                    inputs=(read_id(name),),
                )
            )

    def node_id_of(ref: str | None) -> tuple[str, ...]:
        if not ref:
            return ()
        if ref.startswith("source:"):
            name = ref.removeprefix("source:")
            return (f"project.{name}",) if name in projected else (read_id(name),)
        return (f"stage.{ref}",)

    for d in decls:
        flow = state.per_stage.get(d.id)
        applies = to_python(d.node.get("applies_to"))
        execution_node = to_python(d.node.get("execution"))
        nodes.append(
            PlanNode(
                id=f"stage.{d.id}",
                kind=NodeKind.STAGE,
                op=d.op or "",
                params=_with_input_names(d, params_with_defaults(d)),
                stage=d.id,
                inputs=node_id_of(d.data_input) + tuple(i for m in d.more_inputs for i in node_id_of(m)),
                after=tuple(f"stage.{r.name}" for r in d.needs if any(x.id == r.name for x in decls))
                + tuple(read_id(r.name) for r in d.needs if r.name in used_sources),
                when="final" if d.spec is not None and d.spec.once else "partition",
                applies_to=applies if isinstance(applies, dict) else None,
                execution=execution_node if isinstance(execution_node, dict) else {},
                reads=tuple(flow.reads) if flow else (),
                writes=tuple(flow.writes) if flow else (),
                origin=_origin(ctx, d),
            )
        )
    for att in attachments:
        params = dict(att.params)
        if att.kind == "render":
            params.setdefault("out", f"{att.stage}.png")
        kind = {"write": NodeKind.WRITE, "render": NodeKind.RENDER, "inspect": NodeKind.INSPECT}[att.kind]
        nodes.append(
            PlanNode(
                id=f"{att.kind}.{att.stage}.{att.n}",
                kind=kind,
                op=att.op,
                params=params,
                stage=att.stage,
                inputs=(f"stage.{att.input_stage or att.stage}",),
                when=att.when,
                origin=Origin(att.node.span.file or ctx.file, att.node.span.start.line + 1),
                applies_to=None,
            )
        )
    existing = {n.id: n for n in nodes}
    for obs in observers:
        targets = obs.at if obs.at is not None else tuple(read_id(s) for s in used_sources)
        for target in targets:
            if target not in existing:
                continue
            observed = existing[target]
            if observed.kind in (NodeKind.WRITE, NodeKind.RENDER, NodeKind.INSPECT):
                observed_input = observed.inputs  # a write node is observed through the stream it writes
            else:
                observed_input = (target,)
            nodes.append(
                PlanNode(
                    id=f"observe.{obs.n}.{target}",
                    kind=NodeKind.INSPECT,
                    op=obs.op,
                    params=dict(obs.params),
                    inputs=observed_input,
                    when="partition",
                )
            )
    source_plans = []
    for s in sources:
        sf = state.sources.get(s.name)
        listed = s.params.get("branches")
        fields = tuple(listed) if isinstance(listed, list) and listed else tuple(sf.needed if sf else ())
        aliased = projected.get(s.name, {})
        extra = [b for b in aliased.values() if b not in fields]
        # aliased branches are read even when `branches` does not list them; the aliases are not branches
        fields = tuple(f for f in (*fields, *extra) if f not in aliased)
        params = {k: v for k, v in s.params.items() if k != "branches"}
        source_plans.append(SourcePlan(s.name, s.kind, params, fields))
    source_plans += join_plans(joins or [], sources, state.sources, used_sources, projected)
    primary = used_sources[0] if used_sources else (sources[0].name if sources else "events")
    dataset_plans = tuple(
        DatasetPlan(
            name=ds.name,
            eventtype=str(ds.data.get("eventtype", "mc")),
            files=tuple(f for f, _ in ds.files),
            source=str(ds.data.get("source", primary)),
            nevents=_nevents(ds.data.get("nevents")),
            meta={
                k: v
                for k, v in ds.data.items()
                if k not in ("name", "eventtype", "files", "nevents", "source")
            },
            origins={
                f: Origin(node.span.file or ctx.file, node.span.start.line + 1)
                for f, node in ds.files
                if node is not None
            },
        )
        for ds in datasets
    )
    if not dataset_plans:
        dataset_plans = (DatasetPlan(name="default", source=primary),)
    variations: tuple[VariationPlan, ...] = ()
    if systematics is not None:
        nodes, dataset_plans, variations = expand_plan(nodes, dataset_plans, decls, systematics)
    chunk = execution.get("chunk_size", DEFAULT_CHUNK_SIZE)
    chunk = chunk if isinstance(chunk, int) and chunk > 0 else DEFAULT_CHUNK_SIZE
    return ExecutionPlan(
        nodes=tuple(nodes),
        sources=tuple(source_plans),
        datasets=dataset_plans,
        globals=globals_,
        styles=styles,
        outputs=outputs,
        execution=execution,
        workflow_file=ctx.file,
        partitions=_partitions(dataset_plans, source_plans, chunk, ctx.options.check_inputs),
        variations=variations,
    )


def _nevents(value: Any) -> int | None:
    """A dataset's ``nevents`` as a number: an int, or a string of digits (upstream stores it as a string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _source_kind(sources: list[SourceDecl], name: str) -> str:
    for s in sources:
        if s.name == name:
            return s.kind
    return "root_tree"


def _partitions(
    datasets: tuple[DatasetPlan, ...], sources: list[SourcePlan], chunk: int, read_files: bool
) -> tuple[Partition, ...]:
    """Chunks of entries per file where the counts are known without reading data; else none (runtime does)."""
    out: list[Partition] = []
    by_name = {s.name: s for s in sources}
    for ds in datasets:
        src = by_name.get(ds.source)
        if src is not None and src.kind == JOIN_KIND:  # a join has the entries of its first input
            src = by_name.get(src.params["inputs"][0]["source"])
        if src is None:
            return ()
        if src.kind == "toy":
            total = ds.nevents if ds.nevents is not None else int(src.params.get("nevents", 10000))
            spans = [(None, total)]
        elif src.kind == "root_tree" and read_files and ds.files:
            from fasthep_flow.compiler.inputs import entries_of

            spans = []
            for f in ds.files:
                n = entries_of(f, str(src.params.get("tree", "events")))
                if n is None:
                    return ()
                spans.append((f, n))
        else:
            return ()
        for file, total in spans:
            if file is not None and ds.nevents is not None:  # upstream: [0, nevents) of each file
                total = min(ds.nevents, total)
            elif file is not None:  # entry numbers are relative to the source's `start`/`stop` window
                first = min(max(int(src.params.get("start") or 0), 0), total)
                stop = src.params.get("stop")
                last = total if stop is None else min(max(int(stop), first), total)
                total = last - first
            start = 0
            while start < total:
                end = min(start + chunk, total)
                out.append(Partition(ds.name, file, start, end, len(out)))
                start = end
    return tuple(out)
