"""The cache's view of one partition: each node's key, what can be reused, and what must run, and why.

Before a partition runs, every node gets its key (``cache_key.py``). A node is *reused* when its key has a
complete entry in the store and no node that runs needs its stream; otherwise it *runs*: because it has no
entry (with the ingredients that changed since this place in the plan last ran), because it cannot be cached
(a dataset- or final-level write needs the stream itself; an inspection), or because a node downstream runs
and reads its stream. Products (histograms, cutflows) and partition-level output files are stored, and so is
the event stream each product-making node reads — only the columns the nodes below it read (``PlanNode.reads``)
— so an edited stage runs alone, on its input read back from the cache. A node that runs and now reads a
column the cached stream lacks gets its input recomputed instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthep_flow.plan import DatasetPlan, ExecutionPlan, Partition
from fasthep_flow.runtime.cache_key import (
    changed,
    context_hash,
    key_of,
    node_ingredients,
    partition_identity,
    slot_of,
)
from fasthep_flow.runtime.cache_store import CacheStore
from fasthep_flow.runtime.product_codec import decode_products, encode_products

REUSED, RECOMPUTED = "reused", "recomputed"


@dataclass(frozen=True)
class CacheConfig:
    """Picklable: what a worker needs to open the store."""

    folder: Path
    content_hash: bool = False
    """Identify input files by a SHA-256 of their bytes as well (slower; survives a touched mtime)."""


@dataclass(frozen=True)
class KeyBasis:
    """What every partition's keys are computed from besides the partition itself: the cache settings, the plan,
    its compiled steps and the bound implementations, functions and constants (one per run or lens request)."""

    config: CacheConfig
    plan: ExecutionPlan
    steps: Sequence[Any]
    impls: Mapping[str, str]
    functions: Mapping[str, str]
    constants: Mapping[str, Any]

    @classmethod
    def of(cls, config: CacheConfig, plan: ExecutionPlan, steps: Sequence[Any], bindings: Any) -> KeyBasis:
        """From a plan's compiled ``steps`` and its ``Bindings`` (their node, function and constant tables)."""
        return cls(config, plan, steps, bindings.nodes, bindings.functions, bindings.constants)


@dataclass(frozen=True, slots=True)
class Explained:
    """One node in one partition: reused or recomputed, and why."""

    node: str
    partition: int
    status: str
    reason: str


@dataclass
class NodeKey:
    key: str
    ingredients: dict[str, str]
    slot: str
    cacheable: bool
    entry: dict[str, Any] | None = None
    products: dict[str, Any] | None = None
    """The entry's products, decoded while deciding (a corrupt blob is a miss before anything runs)."""


class CacheVanished(Exception):
    """A file blob decided reusable was gone or corrupt when restored (another process evicted it)."""


@dataclass
class PartitionCache:
    store: CacheStore
    keys: dict[str, NodeKey] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    """Node id -> why it runs (nodes absent here are reused)."""
    loads: set[str] = field(default_factory=set)
    """Reused nodes whose event stream is read back from the cache, because a node that runs needs it."""
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Nodes whose stream is in the cache (or was stored by this partition) -> its ``all``/``stored`` columns."""
    below: dict[str, frozenset[str] | None] = field(default_factory=dict)
    """Node id -> the fields every node downstream of it reads (None: unknown, keep every column)."""

    @staticmethod
    def prepare(
        basis: KeyBasis, dataset: DatasetPlan, part: Partition, off: set[str], decode: bool = True
    ) -> PartitionCache:
        """Keys for every step of this partition (``off`` steps excluded) and the decision for each.

        ``decode=False`` (the editor's lenses, which restore nothing) trusts an entry whose blobs exist instead
        of decoding its products; a run decodes, so that a corrupt blob is a miss before anything runs."""
        cache = PartitionCache(CacheStore(basis.config.folder))
        cache.keys = partition_keys(basis, dataset, part, off)
        steps = basis.steps
        for step in steps:
            key = cache.keys.get(step.id)
            if key is None or not key.cacheable:
                continue
            columns = cache.store.stream_columns(key.key)
            if columns is not None:
                cache.stored[step.id] = columns
            key.entry = cache.store.get_entry(key.key)
            if decode and key.entry is not None and key.entry.get("digest"):
                data = cache.store.get_blob(str(key.entry["digest"]))
                key.products = decode_products(data) if data is not None else None
                if key.products is None:
                    key.entry = None
        cache._decide(steps)
        return cache

    def _decide(self, steps: Sequence[Any]) -> None:
        consumers: dict[str, list[str]] = {}
        by_id = {step.id: step for step in steps}
        for step in steps:
            if step.id in self.keys:
                for src in (step.src, *step.more):
                    if src is not None:
                        consumers.setdefault(src, []).append(step.id)
        for step in reversed(steps):
            if step.id not in self.keys:
                continue
            reads: set[str] | None = set()
            for c in consumers.get(step.id, ()):
                child = by_id[c]
                below = self.below.get(c)
                if reads is None or below is None or child.role != "transform" or not child.node.reads:
                    reads = None  # a write or an inspection takes every column; an op that lists no reads too
                else:
                    reads |= set(child.node.reads) | below
            self.below[step.id] = frozenset(reads) if reads is not None else None
        for step in reversed(steps):
            key = self.keys.get(step.id)
            if key is None:
                continue
            needing = [c for c in consumers.get(step.id, ()) if c in self.runs]
            if not key.cacheable:
                self.runs[step.id] = "cannot be cached (it needs the event stream itself)"
            elif key.entry is None:
                self.runs[step.id] = self._why_missing(key)
            elif needing and self._stream_serves(step.id):
                self.loads.add(step.id)
            elif needing:
                self.runs[step.id] = f"its events are needed by {needing[0]}"

    def _stream_serves(self, node: str) -> bool:
        """The cached stream of ``node`` holds every column the nodes below it read now."""
        columns = self.stored.get(node)
        if columns is None:
            return False
        every, kept = set(columns.get("all", ())), set(columns.get("stored", ()))
        below = self.below.get(node)
        needed = every if below is None else every & below
        return needed <= kept

    def _why_missing(self, key: NodeKey) -> str:
        previous = self.store.get_slot(key.slot)
        if previous is None:
            return "not cached"
        diff = changed(previous, key.ingredients)
        if not diff:
            return "not cached (evicted or never stored)"
        if diff == ["inputs"]:
            return "upstream changed"
        return "changed: " + ", ".join(d for d in diff if d != "inputs")

    def explain(self, partition: int) -> list[Explained]:
        return [
            Explained(node, partition, RECOMPUTED, self.runs[node])
            if node in self.runs
            else Explained(node, partition, REUSED, "unchanged")
            for node in self.keys
        ]

    # -- reuse ---------------------------------------------------------------------------------------------
    def run_all(self, reason: str) -> None:
        """Decide that every node runs (after a reusable entry vanished, or a stage failed on cached events)."""
        self.loads.clear()
        for node in self.keys:
            self.runs.setdefault(node, reason)

    def restore(self, node: str, staging: Path) -> tuple[dict[str, Any] | None, int, int, float | None]:
        """The cached products and event counts of ``node``, its files restored into ``staging``.

        Raises ``CacheVanished`` when a file blob has gone or is corrupt: the partition then runs again whole.
        """
        entry = self.keys[node].entry or {}
        products = self.keys[node].products
        for rel, digest in dict(entry.get("files") or {}).items():
            data = self.store.get_blob(digest)
            if data is None:
                raise CacheVanished(node)
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.cache-tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
        key = self.keys[node]
        if self.store.get_slot(key.slot) != key.ingredients:  # a read is much cheaper than a rename
            self.store.put_slot(key.slot, key.ingredients)
        weights = entry.get("generator_weights")
        return (
            products,
            int(entry.get("n_in", 0)),
            int(entry.get("n_out", 0)),
            float(weights) if weights is not None else None,
        )

    def load_stream(self, node: str) -> Any:
        """The cached event stream of a reused node (``CacheVanished`` if it has gone meanwhile)."""
        from fasthep_flow.runtime.stream_codec import read_stream

        key = self.keys[node].key
        events = read_stream(self.store.stream_path(key))
        if events is None:
            raise CacheVanished(node)
        self.store.touch_stream(key)
        return events

    def save_stream(self, node: str, events: Any) -> None:
        """Keep the stream a product-making node read, so an edit of that node needs nothing above it."""
        key = self.keys.get(node)
        if key is None or not key.cacheable or node in self.stored:
            return
        from fasthep_flow.ops.contract import Events
        from fasthep_flow.runtime.stream_codec import write_stream

        below = self.below.get(node)
        every = list(events.columns)
        kept = every if below is None else [name for name in every if name in below]
        subset = Events({name: events.columns[name] for name in kept}, len(events))
        columns = {"all": every, "stored": kept}
        write_stream(subset, lambda parts: self.store.put_stream(key.key, parts, columns))
        self.stored[node] = columns

    # -- store ---------------------------------------------------------------------------------------------
    def save(
        self,
        node: str,
        products: Mapping[str, Any] | None,
        files: Sequence[Path],
        staging: Path,
        n_in: int,
        n_out: int,
        generator_weights: float | None = None,
    ) -> None:
        """Store a node's fresh result (blobs first, entry last). A product without a plain form is skipped."""
        key = self.keys.get(node)
        if key is None or not key.cacheable:
            return
        self.store.put_slot(key.slot, key.ingredients)
        if key.entry is not None:
            return
        entry: dict[str, Any] = {"n_in": n_in, "n_out": n_out, "ingredients": key.ingredients}
        if generator_weights is not None:
            entry["generator_weights"] = generator_weights
        if products:
            data = encode_products(products)
            if data is None:
                return
            entry["digest"] = self.store.put_blob(data)
        stored: dict[str, str] = {}
        for path in files:
            try:
                rel = Path(path).resolve().relative_to(staging.resolve()).as_posix()
                stored[rel] = self.store.put_blob(Path(path).read_bytes())
            except (OSError, ValueError):
                return
        if stored:
            entry["files"] = stored
        self.store.put_entry(key.key, entry)


def partition_keys(
    basis: KeyBasis, dataset: DatasetPlan, part: Partition, off: set[str]
) -> dict[str, NodeKey]:
    """Every step's key in this partition, computed from the plan and the input's identity alone (no store
    is read): what the partition's run decides by, and what a whole run's fingerprint is made of."""
    keys: dict[str, NodeKey] = {}
    plan, config = basis.plan, basis.config
    context = context_hash(plan.globals, dict(basis.constants), (d.name for d in plan.datasets))
    for step in basis.steps:
        if step.id in off:
            continue
        partition = None
        if step.role == "read":
            source = plan.source(step.source or "")
            partition = partition_identity(
                dataset, source, part.file, part.start, part.stop, config.content_hash
            )
        inputs = [keys[d].key for d in step.deps if d in keys]
        ingredients = node_ingredients(
            step.node, basis.impls[step.id], inputs, basis.functions, context, partition
        )
        slot = slot_of(plan.workflow_file, step.id, dataset.name, part.file, part.start, part.stop)
        keys[step.id] = NodeKey(key_of(ingredients), ingredients, slot, _cacheable(step))
    return keys


def _cacheable(step: Any) -> bool:
    if step.role in ("read", "transform"):
        return True
    if step.role in ("sink", "write"):
        return step.when == "partition"
    return False
