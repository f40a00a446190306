"""After the partitions: eventtype totals, `when: dataset|final` writes and renders, hist and cutflow files.

Products of a node are kept per dataset and, at the end, summed per eventtype into ``total_<eventtype>``
(``total_data``, ``total_mc``: data and simulation are never added together). A node that failed anywhere in
a dataset has no product for it (a partial sum would look right and be wrong), and its renders and totals are
skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, InternalError, Severity
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.ops.contract import DATASETS_SYMBOL, Events, RunContext
from fasthep_flow.ops.render.normalisation import DATASETS_KEY
from fasthep_flow.ops.totals import eventtype_of_total, is_total, total_key
from fasthep_flow.plan import (
    INPUT_NAMES,
    DatasetPlan,
    ExecutionPlan,
    NodeKind,
    Partition,
    PlanNode,
    VariationPlan,
    dataset_label,
)
from fasthep_flow.runtime.bindings import function_table, resolve
from fasthep_flow.runtime.chain import (
    SINK,
    WRITE,
    Job,
    Partial,
    call_with_timeout,
    context_symbols,
    failure_of,
    parse_seconds,
    with_path,
)
from fasthep_flow.runtime.errors import StageError
from fasthep_flow.runtime.merge import concat_events, fold_all, merge_named
from fasthep_flow.runtime.output_folder import OutputDir
from fasthep_flow.runtime.outputs import clean_key
from fasthep_flow.runtime.placement import FILES_DIR, manifest_name, placed
from fasthep_flow.runtime.product_files import (
    cutflows_json,
    hists_json,
    is_cutflow,
    is_hist,
    labelled_hist,
    product_entries,
    write_hists_root,
)

TOTAL = "total"
"""The pseudo-dataset name of `when: final` writes and renders, which see every dataset."""


@dataclass
class Finished:
    products: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    failures: list[StageError] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


class Finisher:
    def __init__(
        self, job: Job, out: OutputDir, datasets: Sequence[DatasetPlan], partials: Mapping[str, Partial]
    ):
        self.job = job
        self.plan = job.plan
        self.out = out
        self.datasets = [d for d in datasets if d.name in partials]
        self.partials = partials
        self.functions = function_table(job.bindings)
        self.merge = resolve(job.bindings.merge)
        self.result = Finished()
        self.sinks = job.bindings.sinks
        self.written: dict[str, dict[str, list[dict[str, Any]]]] = {}
        """Write node -> dataset -> files written ({path, partition, entries}), for the manifests."""

    # -- entry point ---------------------------------------------------------------------------------------
    def run(self, final: bool) -> Finished:
        for dataset in self.datasets:
            partial = self.partials[dataset.name]
            for node_id, named in partial.products.items():
                if node_id not in partial.dead:
                    self.result.products[(node_id, dataset.name)] = dict(named)
            for node in self._stream_writes("dataset"):
                if node.id in partial.chunks and node.id not in partial.dead:
                    tag = clean_key(dataset_label(dataset))
                    self._write(node, partial.chunks[node.id], dataset, tag=tag)
        views = self._views()
        for view in views:
            view.alias(self)
            for dataset in view.datasets:
                for node in self._renders(("dataset", "partition"), view):
                    self._render(node, view, [dataset], tag=clean_key(dataset.name))
        for dataset in self.datasets:
            partial = self.partials[dataset.name]
            for node_id, files in partial.written.items():
                if node_id not in partial.dead:
                    self.written.setdefault(node_id, {})[dataset_label(dataset)] = list(files)
        if final:
            for view in views:
                self._totals(view)
            self._once()
            for node in self._stream_writes("final"):
                if any(node.id in self.partials[d.name].dead for d in self.datasets):
                    continue
                pieces = [c for d in self.datasets for c in self.partials[d.name].chunks.get(node.id, ())]
                if pieces:
                    self._write(node, pieces, self._total_dataset(), tag=None)
            for view in views:
                for node in self._renders(("final",), view):
                    self._render(node, view, view.datasets, tag=None)
        for view in views:
            if view.folder is not None:
                self._product_files(final, view)
        self._manifests()
        return self.result

    def _views(self) -> list[_View]:
        """What products are written as: the whole run, or with systematics the nominal and each variation
        (labelled by name; the nominal's files only when ``include_nominal``)."""
        variations = self.job.plan.variations
        run_names = {d.name for d in self.datasets}
        if not variations:
            return [_View(None, "", [(d, d.name) for d in self.datasets], set(run_names))]
        by_name = {d.name: d for d in self.datasets}
        nominal = [d for d in self.datasets if dataset_label(d) == d.name]
        views = [
            _View(
                None,
                "nominal/" if any(v.nominal for v in variations) else None,
                [(d, d.name) for d in nominal],
                {d.name for d in nominal},
            )
        ]
        for v in variations:
            if v.nominal:
                continue
            members = [m for m in v.datasets if m.run in by_name]
            views.append(
                _View(
                    v,
                    f"{v.name}/",
                    [(replace(by_name[m.run], name=m.label), m.run) for m in members],
                    {m.run for m in members},
                )
            )
        return views

    # -- products ------------------------------------------------------------------------------------------
    def _dead_anywhere(self, node_id: str) -> bool:
        return any(node_id in self.partials[d.name].dead for d in self.datasets)

    def _totals(self, view: _View) -> None:
        """``total_<eventtype>`` per node: the view's datasets of each eventtype folded in workflow order."""
        by_node: dict[str, dict[str, list[dict[str, Any]]]] = {}
        keys = view.node_keys(self.plan)
        for dataset in view.datasets:
            for (node_id, name), named in list(self.result.products.items()):
                if name == dataset.name and node_id in keys:
                    by_type = by_node.setdefault(node_id, {})
                    by_type.setdefault(dataset.eventtype, []).append(named)
        for node_id, by_type in by_node.items():
            if any(self._dead_anywhere(n) for n in view.sources(node_id, self.plan)):
                continue
            for eventtype, items in by_type.items():
                total = fold_all(items, lambda a, b: merge_named(a, b, self.merge))
                if total is not None:
                    self.result.products[(node_id, total_key(eventtype))] = total

    def _once(self) -> None:
        """The once-per-run stages (``OpSpec.once``), each after the once-stages it reads (whatever their order
        in the file), given their products under its `from` entries' `as` names; their products are kept under
        ``total``. A stage whose input failed is skipped: that failure is the one reported."""
        dataset = self._total_dataset()
        waiting = [n for n in self.plan.nodes if n.id in self.job.bindings.once]
        done: set[str] = set()
        while waiting:
            ready = [n for n in waiting if all(up in done for up in n.inputs)]
            if not ready:
                raise InternalError(f"once-per-run stages wait on each other: {[n.id for n in waiting]}")
            for node in ready:
                waiting.remove(node)
                done.add(node.id)
                if all((up, TOTAL) in self.result.products for up in node.inputs):
                    self._run_once(node, dataset)

    def _run_once(self, node: PlanNode, dataset: DatasetPlan) -> None:
        names = list(node.params.get(INPUT_NAMES) or ())
        inputs = {
            name: _one(self.result.products[(up, TOTAL)]) for name, up in zip(names, node.inputs, strict=True)
        }
        params = {k: v for k, v in node.params.items() if k != INPUT_NAMES}
        style = self.plan.styles.get(params.get("style")) if isinstance(params.get("style"), str) else None
        if isinstance(style, Mapping):  # a style's keys apply under the stage's own params
            params = {**{k: v for k, v in style.items() if k not in ("op", "use", "with")}, **params}

        def call() -> None:
            fn = resolve(self.job.bindings.nodes[node.id])
            ctx = self._ctx(node, dataset)
            ctx = replace(ctx, symbols={**ctx.symbols, DATASETS_SYMBOL: self._dataset_records()})
            self.result.products[(node.id, TOTAL)] = dict(fn(inputs, params, ctx))

        self._attempt(node, "transform", call, TOTAL)

    def _dataset_records(self) -> dict[str, dict[str, Any]]:
        """Every dataset of the plan as a once-stage sees it: files, eventtype, metadata."""
        return {
            d.name: {"files": list(d.files), "eventtype": d.eventtype, "meta": dict(d.meta)}
            for d in self.plan.datasets
        }

    def _product_files(self, final: bool, view: _View) -> None:
        eventtypes = {d.name: d.eventtype for d in view.datasets}
        for node in self.plan.nodes:
            if node.kind is not NodeKind.STAGE or node.id in self.plan.varied_nodes:
                continue
            key = view.key(node.id)
            by_dataset = {
                d.name: self.result.products[(key, d.name)]
                for d in view.datasets
                if (key, d.name) in self.result.products
            }
            if not by_dataset:
                continue
            if final:
                for (node_id, name), named in self.result.products.items():
                    if node_id == key and is_total(name):
                        by_dataset[name] = named
            stage_id = node.stage or node.id
            stage = f"{view.folder}{clean_key(stage_id)}"
            hists = {
                entry: labelled_hist(
                    h, entry, stage_id, dataset, eventtypes.get(dataset) or eventtype_of_total(dataset)
                )
                for entry, (dataset, h) in product_entries(by_dataset, is_hist).items()
            }
            if hists:
                self.out.write_text(f"hists/{stage}.json", hists_json(hists))
                skipped = write_hists_root(self.out.staged(f"hists/{stage}.root"), hists)
                for name in skipped:
                    self._warn(node, f"histogram '{name}' of stage '{stage}' has more than 3 axes: JSON only")
            cutflows = {e: c for e, (_, c) in product_entries(by_dataset, is_cutflow).items()}
            if cutflows:
                self.out.write_text(f"cutflows/{stage}.json", cutflows_json(stage_id, cutflows))

    def _manifests(self) -> None:
        """``artifacts/files/<name>/manifest.json`` per writer, as upstream writes it: its files per dataset with
        their entries, so downstream jobs find the skims without listing folders."""
        for node_id, by_dataset in self.written.items():
            node = next((n for n in self.plan.nodes if n.id == node_id), None)
            if node is None or not by_dataset:
                continue
            params = node.params or {}
            fmt = str(params.get("format", "rntuple"))
            datasets: dict[str, Any] = {}
            for dataset, files in by_dataset.items():
                ordered = sorted(files, key=lambda f: -1 if f["partition"] is None else f["partition"])
                entries = [self._manifest_file(f, dataset, i, fmt) for i, f in enumerate(ordered)]
                datasets[dataset] = {"total_entries": sum(e["entries"] for e in entries), "files": entries}
            name = manifest_name(str(params.get("path", node_id)), node_id)
            manifest = {
                "kind": node.op,
                "name": name,
                "node_id": node_id,
                "input_node": node.inputs[0] if node.inputs else None,
                "tree": str(params.get("tree") or "events"),
                "format": fmt,
                "total_entries": sum(d["total_entries"] for d in datasets.values()),
                "datasets": datasets,
            }
            self.out.write_text(f"{FILES_DIR}/{name}/manifest.json", json.dumps(manifest, indent=2) + "\n")

    def _manifest_file(
        self, written: Mapping[str, Any], dataset: str, position: int, fmt: str
    ) -> dict[str, Any]:
        path = Path(written["path"])
        return {
            "path": path.relative_to(self.job.staging).as_posix(),
            "path_type": "relative_to_outdir",
            "dataset": dataset,
            "partition": position,
            "entries": written["entries"],
            "size_bytes": path.stat().st_size if path.exists() else None,
            "format": fmt,
        }

    def _warn(self, node: PlanNode, message: str) -> None:
        file = node.origin.file if node.origin else (self.plan.workflow_file or "<plan>")
        line = node.origin.line - 1 if node.origin else 0
        span = Span.point(file, Pos(line, 0))
        self.result.warnings.append(Diagnostic(codes.OUTPUT_ERROR, Severity.WARNING, span, message))

    # -- writes and renders --------------------------------------------------------------------------------
    def _stream_writes(self, when: str) -> list[PlanNode]:
        return [
            n
            for n in self.plan.nodes
            if n.when == when
            and (n.kind is NodeKind.WRITE or (n.kind is NodeKind.STAGE and n.id in self.sinks))
        ]

    def _renders(self, whens: tuple[str, ...], view: _View) -> list[PlanNode]:
        return [
            n
            for n in self.plan.nodes
            if n.kind is NodeKind.RENDER and (n.when or "final") in whens and view.owns(n.id, self.plan)
        ]

    def _total_dataset(self) -> DatasetPlan:
        types = {d.eventtype for d in self.datasets}
        return DatasetPlan(
            name=TOTAL,
            eventtype=types.pop() if len(types) == 1 else "mixed",
            files=tuple(f for d in self.datasets for f in d.files),
        )

    def _ctx(self, node: PlanNode, dataset: DatasetPlan) -> RunContext:
        part = Partition(dataset.name, None, 0, None, -1)
        names = self.plan.dataset_labels
        symbols = {**self.job.bindings.constants, **context_symbols(dataset, part, names)}
        return RunContext(
            node.stage or node.id, dataset, part, self.job.staging, self.plan.globals, self.functions, symbols
        )

    def _write(self, node: PlanNode, pieces: list[Events], dataset: DatasetPlan, tag: str | None) -> None:
        role = SINK if node.kind is NodeKind.STAGE else WRITE

        def call() -> None:
            path = node.params.get("path")
            when = "dataset" if tag is not None else "final"
            rel = placed(str(path), when, dataset=tag, part=None, node_id=node.id) if path else None
            params = with_path(
                {**node.params, "path": rel} if rel else node.params, "path", self.job.staging, None
            )
            events = concat_events(pieces)
            resolve(self.job.bindings.nodes[node.id])(events, params, self._ctx(node, dataset))
            by_dataset = self.written.setdefault(node.id, {})
            for name, earlier in list(
                by_dataset.items()
            ):  # a token-free path: the file holds the last dataset
                by_dataset[name] = [f for f in earlier if f["path"] != params["path"]]
                if not by_dataset[name]:
                    del by_dataset[name]
            by_dataset.setdefault(dataset.name, []).append(
                {"path": params["path"], "partition": None, "entries": len(events)}
            )

        self._attempt(node, role, call, dataset.name)

    def _render(self, node: PlanNode, view: _View, datasets: Sequence[DatasetPlan], tag: str | None) -> None:
        input_id = node.inputs[0] if node.inputs else None
        if input_id is None:
            raise InternalError(f"render node {node.id!r} has no input stage")
        if self._dead_anywhere(input_id):
            return
        stage_id = view.key(self.plan.varied_nodes.get(input_id, (input_id, ""))[0])
        products = {
            d.name: _one(self.result.products[(stage_id, d.name)])
            for d in datasets
            if (stage_id, d.name) in self.result.products
        }
        if not products:
            return
        params = dict(node.params)
        style_name = params.get("style")
        style = dict(self.plan.styles.get(style_name, {})) if isinstance(style_name, str) else {}
        style.update({k: v for k, v in params.items() if k not in ("style", "out", "when")})
        style["_eventtypes"] = {d.name: d.eventtype for d in datasets if d.name in products}
        # Every dataset of the render, drawn or not: a plot of simulation only still takes the data's luminosity.
        style[DATASETS_KEY] = {d.name: self._dataset_info(d, view.run_of(d.name)) for d in datasets}
        dataset = datasets[0] if len(datasets) == 1 else self._total_dataset()

        def call() -> None:
            resolved = with_path(params, "out", self.job.staging, tag)
            fn = resolve(self.job.bindings.nodes[node.id])
            fn(products, style, Path(resolved["out"]), self._ctx(node, dataset))

        self._attempt(node, "render", call, dataset.name)

    def _dataset_info(self, dataset: DatasetPlan, run: str) -> dict[str, Any]:
        """What a plot needs to normalise a dataset: its metadata and what the run read of it."""
        partial = self.partials[run]
        return {
            "eventtype": dataset.eventtype,
            "meta": dict(dataset.meta),
            "events_read": partial.events,
            "generator_weights": partial.generator_weights,
        }

    def _attempt(self, node: PlanNode, role: str, call: Callable[[], None], dataset: str) -> None:
        execution = node.execution or {}
        retries = execution.get("retries") if isinstance(execution.get("retries"), int) else 0
        timeout = parse_seconds(execution.get("timeout"))
        attempts = 0
        while True:
            attempts += 1
            try:
                if timeout is None:
                    call()
                else:
                    call_with_timeout(call, (), timeout)
                return
            except InternalError:
                raise
            except Exception as exc:  # reported as the node's failure, like a partition's
                if attempts <= retries:
                    continue
                failure = failure_of(self.job, node, role, exc, dataset, None)
                failure.attempts = attempts
                self.result.failures.append(failure)
                return


def _one(named: Mapping[str, Any]) -> Any:
    """A stage's product as renders receive it: the product itself when there is one, else the mapping."""
    return next(iter(named.values())) if len(named) == 1 else dict(named)


@dataclass
class _View:
    """The products of the whole run, or of one variation: its datasets (labelled) and the node keys under
    which their products are found (``<node id>@<variation>``: the copy, or the shared nominal node)."""

    variation: VariationPlan | None
    folder: str | None
    """Prefix of the product files (``w_up/`` → ``hists/w_up/<Stage>.json``); None: not written."""
    members: list[tuple[DatasetPlan, str]]
    """(the dataset under its label, the plan dataset computing it)."""
    runs: set[str]

    @property
    def datasets(self) -> list[DatasetPlan]:
        return [d for d, _ in self.members]

    def run_of(self, label: str) -> str:
        return next((run for d, run in self.members if d.name == label), label)

    def key(self, node_id: str) -> str:
        return node_id if self.variation is None else f"{node_id}@{self.variation.name}"

    def node_keys(self, plan: ExecutionPlan) -> set[str]:
        return {self.key(n.id) for n in plan.nodes if n.id not in plan.varied_nodes}

    def sources(self, key: str, plan: ExecutionPlan) -> list[str]:
        """The plan nodes a product key of this view comes from (to skip totals of failed nodes)."""
        if self.variation is None:
            return [key]
        base = key.removesuffix(f"@{self.variation.name}")
        return [base, self.variation.nodes.get(base, base)]

    def owns(self, node_id: str, plan: ExecutionPlan) -> bool:
        varied = plan.varied_nodes.get(node_id)
        if self.variation is None:
            return varied is None
        return varied is not None and varied[1] == self.variation.name

    def alias(self, finisher: Finisher) -> None:
        """Each nominal node's product of each dataset under this variation's key: the copy's where the
        variation changed the node, else the shared nominal node's."""
        if self.variation is None:
            return
        products = finisher.result.products
        plan = finisher.plan
        members = {m.label: m for m in self.variation.datasets}
        for node in plan.nodes:
            if node.id in plan.varied_nodes:
                continue
            for dataset, run in self.members:
                member = members[dataset.name]
                source = self.variation.node_for(node.id, member)
                found = products.get((source, run))
                if found is not None and source not in finisher.partials[run].dead:
                    products[(self.key(node.id), dataset.name)] = found
