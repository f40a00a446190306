"""The execution plan: what runs, on which data, in which order — independent of how it runs.

The compiler builds it, the runtime executes it, the CLI and the LSP show it. It is plain data (JSON-able
params), so it can be written to ``plan.json`` and executed later with ``fasthep-flow run-plan``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

PLAN_FORMAT = 1


class NodeKind(StrEnum):
    READ = "read"  # read.<source>: one per source, runs per partition
    STAGE = "stage"  # stage.<id>: a transform (or a sink stage) on the stream
    WRITE = "write"  # write.<stage>.<n>: a `write:` attachment of a stage
    RENDER = "render"  # render.<stage>.<n>: a `render:` attachment (runs after the merge)
    INSPECT = "inspect"  # inspect.<stage>.<n> / observers


@dataclass(frozen=True, slots=True)
class Origin:
    """Where in the workflow a node was written, so run-time errors can name the YAML line."""

    file: str
    line: int  # 1-based, as people read it


@dataclass(frozen=True, slots=True)
class PlanNode:
    id: str
    kind: NodeKind
    op: str
    params: Mapping[str, Any] = field(default_factory=dict)
    stage: str | None = None
    inputs: tuple[str, ...] = ()
    """Data inputs: the node whose stream (or product) this node consumes."""
    after: tuple[str, ...] = ()
    """Ordering-only dependencies (`needs:`)."""
    when: str = "partition"
    applies_to: Mapping[str, Any] | None = None
    execution: Mapping[str, Any] = field(default_factory=dict)
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    origin: Origin | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data; written out by hand because ``dataclasses.asdict`` deep-copies every param and a
        10,000-node plan is serialised for each run record."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "op": self.op,
            "params": _plain(self.params),
            "stage": self.stage,
            "inputs": list(self.inputs),
            "after": list(self.after),
            "when": self.when,
            "applies_to": _plain(self.applies_to) if self.applies_to is not None else None,
            "execution": _plain(self.execution),
            "reads": list(self.reads),
            "writes": list(self.writes),
            "origin": {"file": self.origin.file, "line": self.origin.line} if self.origin else None,
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> PlanNode:
        origin = d.get("origin")
        return PlanNode(
            id=d["id"],
            kind=NodeKind(d["kind"]),
            op=d["op"],
            params=d.get("params") or {},
            stage=d.get("stage"),
            inputs=tuple(d.get("inputs") or ()),
            after=tuple(d.get("after") or ()),
            when=d.get("when", "partition"),
            applies_to=d.get("applies_to"),
            execution=d.get("execution") or {},
            reads=tuple(d.get("reads") or ()),
            writes=tuple(d.get("writes") or ()),
            origin=Origin(**origin) if origin else None,
        )


def _plain(value: Any) -> Any:
    """Mappings and sequences as fresh dicts and lists (JSON-able; callers may not mutate the plan's)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


JOIN_KIND = "join.zip"
"""The ``kind`` of a :class:`SourcePlan` that zips other sources (a top-level ``joins:`` entry): its ``params``
hold ``inputs`` (each ``{source, prefix, kind, params}``, so the join's cache key covers its inputs) and
``on_mismatch``; its ``fields`` are ``<prefix>.<branch>``. The runtime reads it by reading each input (no
registry op is looked up for it)."""


INPUT_NAMES = "input_names"
"""The param of a stage node reading several streams (``hep.merge_fields``, ``hep.zip_join``) naming its
inputs (their `as`), in the order of the node's ``inputs``: the runtime binds each stream under its name."""


@dataclass(frozen=True, slots=True)
class SourcePlan:
    name: str
    kind: str  # registry source op: root_tree, parquet, toy; or JOIN_KIND
    params: Mapping[str, Any] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    """The branches/columns the plan needs from this source (inferred from data-flow when not listed)."""


@dataclass(frozen=True, slots=True)
class DatasetPlan:
    name: str
    eventtype: str = "mc"
    files: tuple[str, ...] = ()
    """Absolute paths (resolved against the workflow's folder); empty for generated sources (`toy`)."""
    source: str = "events"
    nevents: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    origins: Mapping[str, Origin] = field(default_factory=dict)
    """File -> where the workflow lists it (its ``files:`` entry), so an unreadable input is reported there.
    Not part of the plan's hash: moving a line changes no result."""


REPLACEMENT_KEY = "systematic_replacement"
"""Meta key of a dataset a variation reads in place of another (``{nominal_dataset, replacement_dataset}``)."""


def dataset_label(dataset: DatasetPlan) -> str:
    """The name a dataset's products and context symbols carry: a variation's stand-in for dataset ``zz``
    (plan dataset ``zz@<variation>``, reading another dataset's files) is labelled ``zz``."""
    replaced = dataset.meta.get(REPLACEMENT_KEY) if dataset.meta else None
    if isinstance(replaced, Mapping) and isinstance(replaced.get("nominal_dataset"), str):
        return str(replaced["nominal_dataset"])
    return dataset.name


@dataclass(frozen=True, slots=True)
class ViewDataset:
    """One dataset of a variation: its label, the plan dataset whose partitions compute it, and whether the
    variation's changes apply to it (``applies_to``); a dataset they do not apply to takes nominal products."""

    label: str
    run: str
    varied: bool = True


@dataclass(frozen=True, slots=True)
class VariationPlan:
    """A systematic variation (or ``nominal``) as a view of the one plan.

    ``nodes`` maps a nominal node id to the node computing it in this variation (``<id>@<name>``), only for
    nodes the variation changes: every other node is shared with the nominal and runs once per partition
    whatever the number of variations.
    """

    name: str
    nodes: Mapping[str, str] = field(default_factory=dict)
    datasets: tuple[ViewDataset, ...] = ()
    group: str | None = None
    direction: str | None = None
    nominal: bool = False

    def node_for(self, node_id: str, dataset: ViewDataset) -> str:
        return self.nodes.get(node_id, node_id) if dataset.varied else node_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "nodes": dict(self.nodes),
            "datasets": [[d.label, d.run, d.varied] for d in self.datasets],
            "group": self.group,
            "direction": self.direction,
            "nominal": self.nominal,
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> VariationPlan:
        return VariationPlan(
            name=d["name"],
            nodes=dict(d.get("nodes") or {}),
            datasets=tuple(ViewDataset(str(a), str(b), bool(c)) for a, b, c in d.get("datasets") or ()),
            group=d.get("group"),
            direction=d.get("direction"),
            nominal=bool(d.get("nominal")),
        )


@dataclass(frozen=True, slots=True)
class Partition:
    """One unit of work: a chunk of entries of one file of one dataset."""

    dataset: str
    file: str | None
    start: int
    stop: int | None
    index: int = 0

    @property
    def label(self) -> str:
        where = self.file.rsplit("/", 1)[-1] if self.file else "generated"
        return f"{self.dataset}:{where}[{self.start}:{'' if self.stop is None else self.stop}]"


@dataclass(frozen=True)
class ExecutionPlan:
    nodes: tuple[PlanNode, ...]
    """In a topological order (the order the stages appear in, where dependencies allow)."""
    sources: tuple[SourcePlan, ...] = ()
    datasets: tuple[DatasetPlan, ...] = ()
    globals: Mapping[str, Any] = field(default_factory=dict)
    styles: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    execution: Mapping[str, Any] = field(default_factory=dict)
    workflow_file: str | None = None
    partitions: tuple[Partition, ...] = ()
    """Dataset x file x entry chunk, when the compiler could learn the entry counts (else the runtime does)."""
    workflows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The configuration's named workflows (``workflows:``): name -> the stage ids it runs, the stages of the
    workflows it extends included (what those stages need is found in the graph: ``plan/workflows.py``)."""
    reports: tuple[Mapping[str, Any], ...] = ()
    """``reports:`` entries written after the run: ``{id, op, source, outputs: [{path, format}]}``, plus
    ``template`` and ``template_text`` (the file's text, so the hash follows it) for a template of the user's."""
    variations: tuple[VariationPlan, ...] = ()
    """``systematics:`` the views whose products are written, labelled by variation (``nominal`` first when
    ``include_nominal``); empty without systematics. The nominal nodes always run: variations share them."""

    # -- lookups -------------------------------------------------------------------------------------------
    @cached_property
    def by_id(self) -> dict[str, PlanNode]:
        return {n.id: n for n in self.nodes}

    def node(self, node_id: str) -> PlanNode:
        return self.by_id[node_id]

    def source(self, name: str) -> SourcePlan:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def dataset(self, name: str) -> DatasetPlan:
        for d in self.datasets:
            if d.name == name:
                return d
        raise KeyError(name)

    @cached_property
    def graph(self) -> Any:
        """The plan as a networkx DiGraph (imported here: checking a workflow never needs it)."""
        import networkx as nx

        g = nx.DiGraph()
        for n in self.nodes:
            g.add_node(n.id, kind=n.kind.value, op=n.op)
        for n in self.nodes:
            for up in n.inputs:
                g.add_edge(up, n.id, data=True)
            for up in n.after:
                if not g.has_edge(up, n.id):
                    g.add_edge(up, n.id, data=False)
        return g

    # -- identity ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "workflow_file": self.workflow_file,
            "nodes": [n.to_dict() for n in self.nodes],
            "sources": [asdict(s) for s in self.sources],
            "datasets": [asdict(d) for d in self.datasets],
            "globals": dict(self.globals),
            "styles": dict(self.styles),
            "outputs": dict(self.outputs),
            "execution": dict(self.execution),
            "partitions": [asdict(p) for p in self.partitions],
            # only when there are some: a plan without `workflows:` keeps the hash it always had
            **({"workflows": {k: list(v) for k, v in self.workflows.items()}} if self.workflows else {}),
            # only when there are some: plans without reports keep their hash
            **({"reports": [dict(r) for r in self.reports]} if self.reports else {}),
            **({"variations": [v.to_dict() for v in self.variations]} if self.variations else {}),
        }

    @cached_property
    def hash(self) -> str:
        """Content hash: stable across runs, processes and mapping key order; ignores where the file lives."""
        payload = self.to_dict()
        payload.pop("workflow_file")
        for n in payload["nodes"]:
            n.pop("origin")
        for d in payload["datasets"]:
            d.pop("origins", None)
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> ExecutionPlan:
        if d.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported plan format {d.get('format')!r} (expected {PLAN_FORMAT})")
        return ExecutionPlan(
            nodes=tuple(PlanNode.from_dict(n) for n in d["nodes"]),
            sources=tuple(
                SourcePlan(s["name"], s["kind"], s.get("params") or {}, tuple(s.get("fields") or ()))
                for s in d.get("sources", ())
            ),
            datasets=tuple(
                DatasetPlan(
                    name=x["name"],
                    eventtype=x.get("eventtype", "mc"),
                    files=tuple(x.get("files") or ()),
                    source=x.get("source", "events"),
                    nevents=x.get("nevents"),
                    meta=x.get("meta") or {},
                    origins={f: Origin(**o) for f, o in (x.get("origins") or {}).items()},
                )
                for x in d.get("datasets", ())
            ),
            globals=d.get("globals") or {},
            styles=d.get("styles") or {},
            outputs=d.get("outputs") or {},
            execution=d.get("execution") or {},
            workflow_file=d.get("workflow_file"),
            partitions=tuple(Partition(**p) for p in d.get("partitions") or ()),
            workflows={str(k): tuple(v) for k, v in (d.get("workflows") or {}).items()},
            reports=tuple(d.get("reports") or ()),
            variations=tuple(VariationPlan.from_dict(v) for v in d.get("variations") or ()),
        )

    @cached_property
    def varied_nodes(self) -> dict[str, tuple[str, str]]:
        """Node id of a variation's copy -> (the nominal node id, the variation's name)."""
        return {copy: (nominal, v.name) for v in self.variations for nominal, copy in v.nodes.items()}

    @cached_property
    def dataset_labels(self) -> tuple[str, ...]:
        """The datasets' labels in order, each once (a variation's stand-in datasets carry their nominal's)."""
        return tuple(dict.fromkeys(dataset_label(d) for d in self.datasets))

    def stage_nodes(self) -> Iterable[PlanNode]:
        return (n for n in self.nodes if n.kind is NodeKind.STAGE)
