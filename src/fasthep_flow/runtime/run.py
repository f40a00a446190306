"""``run_plan``: partitions → executor → per-dataset results → outputs → ``run.json``.

The one entry point the CLI and the LSP's "Run plan" call. It never raises for a user's mistake or a failing
op: those come back as diagnostics in ``RunResult.errors`` with ``ok=False``. Only a bug (``InternalError``)
escapes.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from time import perf_counter
from typing import Any, Protocol

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, ExecutionPlan, NodeKind, Partition
from fasthep_flow.runtime import interrupts, whole_run
from fasthep_flow.runtime.bindings import Bindings, RegistryLike
from fasthep_flow.runtime.cache_store import CacheStore
from fasthep_flow.runtime.chain import Job, Partial, PartitionInfo
from fasthep_flow.runtime.errors import RunProblem, StageError
from fasthep_flow.runtime.executors import (
    EXECUTORS,
    ClusterError,
    ClusterSpec,
    Executor,
    cluster_spec,
    make_executor,
)
from fasthep_flow.runtime.finish import Finished, Finisher
from fasthep_flow.runtime.gpu_placement import place
from fasthep_flow.runtime.options import RunOptions, RunResult, RunSummary, StageStats
from fasthep_flow.runtime.output_folder import OutputDir, OutputRefused
from fasthep_flow.runtime.outputs import EVENTS_NAME, PLAN_NAME, RECORD_NAME, safe_relative
from fasthep_flow.runtime.partition_cache import RECOMPUTED, CacheConfig
from fasthep_flow.runtime.partitions import make_partitions
from fasthep_flow.runtime.placement import part_names
from fasthep_flow.runtime.plan_range import plan_range, uncached
from fasthep_flow.runtime.progress import (
    PartitionDone,
    PhaseStarted,
    ProgressCallback,
    RunFinished,
    RunStarted,
    StageTiming,
    ignore,
)
from fasthep_flow.runtime.record import (
    InputHasher,
    build_record,
    diagnostic_dict,
    plan_json,
    previous_outputs,
    record_json,
)
from fasthep_flow.runtime.requirements import install_hint, missing, needed_packages


class RunCollector:
    """Receives results from the executor: counts progress, stops at the first failure unless keep_going."""

    def __init__(
        self,
        plan: ExecutionPlan,
        total: int,
        keep_going: bool,
        emit: ProgressCallback,
        t0: float,
        cancel: Cancel | None = None,
    ):
        self.cancel = cancel
        self.plan = plan
        self.total = total
        self.keep_going = keep_going
        self.emit = emit
        self.t0 = t0
        self.done = 0
        self.events = 0
        self.failures: list[StageError] = []
        self.partials: dict[str, Partial] = {}
        self.stopped = False

    def partition_done(self, part: Partition, info: PartitionInfo) -> bool:
        self.done += 1
        self.events += info.events
        self.failures.extend(info.failures)
        elapsed = perf_counter() - self.t0
        self.emit(PartitionDone(self.done, self.total, self.events, elapsed, part.label, bool(info.failures)))
        if self.cancelled:
            self.stopped = True
            return False
        if info.failures and not self.keep_going:
            self.stopped = True
            return False
        return True

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def dataset_done(self, dataset: str, partial: Partial) -> None:
        self.partials[dataset] = partial
        for node_id, row in partial.stats.items():
            stage = self.plan.by_id[node_id].stage if node_id in self.plan.by_id else None
            self.emit(StageTiming(node_id, stage, dataset, row.events_in, row.events_out, row.seconds))


def default_registry(plan: ExecutionPlan) -> RegistryLike:
    """The built-in registry, for callers that have none. Callers that compiled the workflow should pass the
    registry they compiled with: it includes the workflow's profiles and `registry:` layers."""
    from fasthep_flow.registry import load_registry

    folder = Path(plan.workflow_file).parent if plan.workflow_file else None
    registry, _ = load_registry(None, folder, False)
    return registry


class Cancel(Protocol):
    """Set by the caller to stop a run (``threading.Event``): the executor takes no new partition, the ones
    running finish, and nothing is promoted into the output folder."""

    def is_set(self) -> bool: ...


def run_plan(
    plan: ExecutionPlan,
    options: RunOptions,
    progress: ProgressCallback | None = None,
    registry: RegistryLike | None = None,
    cancel: Cancel | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run ``plan``; ``executor`` (named ``options.executor``) replaces the built-in one of that name, for the
    backends of later layers (``fasthep_flow.backends``)."""
    emit = progress or ignore
    t0 = perf_counter()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    started = datetime.now(UTC).isoformat(timespec="microseconds")
    refusal = _refuse(plan, options, known=executor is not None)
    if refusal is not None:
        return _refused(options, refusal, t0)
    upstream: frozenset[str] = frozenset()
    if options.from_stage is not None or options.to_stage is not None:
        ranged = plan_range(plan, options.from_stage, options.to_stage)
        if isinstance(ranged, Diagnostic):
            return _refused(options, ranged, t0)
        plan, upstream = ranged.plan, ranged.upstream
    placement = place(plan)  # before the output folder is touched: `require: gpu` without one stops here
    if placement.errors:
        return _refused(options, placement.errors[0], t0, placement.errors[1:])
    datasets = _selected(plan, options.datasets)
    bindings = Bindings.from_registry(plan, registry if registry is not None else default_registry(plan))
    try:
        out = OutputDir(Path(options.outdir), options.wait, options.confine_to)
    except OutputRefused as exc:
        return _refused(options, _refusal(plan, exc), t0)
    try:
        out.refuse_symlinks(_output_paths(plan))
    except OutputRefused as exc:
        out.cleanup()
        return _refused(options, _refusal(plan, exc), t0)
    phases: dict[str, float] = {}
    mark = t0
    files: list[Any] = []
    record_path: Path | None = None
    try:
        partitioning = make_partitions(plan, datasets, bindings, options.chunk_size, debug=options.debug)
        parts = partitioning.partitions
        first: dict[str, int] = {}
        for part in parts:
            first.setdefault(part.dataset, part.index)
        names = part_names(parts, {d.name: d.files for d in datasets})
        cache = _cache_config(options)
        job = Job(
            uuid.uuid4().hex,
            plan,
            bindings,
            out.staging,
            first,
            options.keep_going,
            options.debug,
            part_names=names,
            cache=cache,
            gpu_nodes=placement.gpu_nodes,
        )
        hasher = InputHasher((d.name, f) for d in datasets for f in d.files).start()
        emit(RunStarted(len(parts), tuple(d.name for d in datasets), options.executor, options.workers))
        phases["prepare"], mark = perf_counter() - mark, perf_counter()
        collector = RunCollector(plan, len(parts), options.keep_going, emit, t0, cancel)
        collector.failures.extend(partitioning.problems)
        if upstream and options.from_stage is not None:
            problem = uncached(job, parts, upstream, options.from_stage)
            if problem is not None:
                return _refused(options, problem, t0)
        found: whole_run.Fingerprint | None = None
        if cache is not None and executor is None and parts and not partitioning.problems:
            found = whole_run.fingerprint(job, parts, datasets)
            infos = [diagnostic_dict(d) for d in placement.infos]
            reusable = whole_run.find_reusable(out, CacheStore(cache.folder), found.value, infos)
            if reusable is not None and whole_run.link_outputs(out, reusable.files):
                return _run_reused(
                    plan,
                    options,
                    out,
                    found,
                    reusable,
                    hasher,
                    len(parts),
                    datasets,
                    placement.infos,
                    (run_id, started, t0),
                    cache,
                    emit,
                )
        if parts and (options.keep_going or not partitioning.problems) and not collector.cancelled:
            if executor is None:
                spec = cluster_spec(options.cluster)
                executor = make_executor(options.executor, options.workers, options.scheduler, spec)
            with interrupts.guarded():
                executor.execute(job, parts, collector)
        phases["execute"], mark = perf_counter() - mark, perf_counter()
        if collector.cancelled:
            return _cancelled(plan, options, collector, len(parts), datasets, out.root, t0)
        emit(PhaseStarted("outputs", perf_counter() - t0))
        complete = (
            not collector.stopped
            and not partitioning.problems
            and len(collector.partials) == len({p.dataset for p in parts})
        )
        finished = Finisher(job, out, datasets, collector.partials).run(final=complete or options.keep_going)
        failures = [*collector.failures, *finished.failures]
        errors = [f.diagnostic for f in failures]
        ok = not errors
        phases["outputs"], mark = perf_counter() - mark, perf_counter()
        emit(PhaseStarted("record", perf_counter() - t0))
        out.write_text(PLAN_NAME, plan_json(plan))
        out.write_text(EVENTS_NAME, _events_jsonl(datasets, collector.partials))
        staged = out.staged_files()
        elapsed = perf_counter() - t0
        summary = RunSummary(
            executor=options.executor,
            workers=options.workers,
            partitions=len(parts),
            partitions_done=collector.done,
            events=collector.events,
            elapsed=elapsed,
            datasets=tuple(d.name for d in datasets),
            stages=tuple(_stage_stats(plan, datasets, collector.partials)),
            phases=phases,
        )
        record = build_record(
            plan_hash=plan.hash,
            workflow_file=plan.workflow_file,
            status="ok" if ok else "failed",
            started=started,
            elapsed=elapsed,
            options=_options_dict(options),
            inputs=hasher.result(),
            partitions=len(parts),
            events=collector.events,
            stages=[_stats_dict(s) for s in summary.stages],
            outputs=[_output_dict(out.staging, rel.as_posix()) for rel in staged] + [{"path": RECORD_NAME}],
            errors=[diagnostic_dict(d) for d in errors],
            warnings=[diagnostic_dict(d) for d in (*placement.infos, *finished.warnings)],
        )
        record["datasets"] = _dataset_reads(datasets, collector.partials)
        record["cache"] = _cache_record(options, collector.partials, datasets)
        if found is not None and ok and complete and not options.keep_going:
            record["cache"][whole_run.STAMP] = whole_run.stamp(found.value, out.staging, staged)
        phases["record"] = perf_counter() - mark
        record["phases"] = {k: round(v, 6) for k, v in phases.items()}
        record["run_id"] = run_id
        if plan.reports and not _write_reports(plan, record, out.staging, errors):
            ok, record["status"] = False, "failed"
        out.write_record(record_json(record))
        if cache is not None:
            _keep_history(cache, record, finished, plan)
        try:
            files = out.promote(previous_outputs(out.root))
            record_path = out.root / RECORD_NAME
        except OutputRefused as exc:
            errors.append(_refusal(plan, exc))  # nothing changed: the previous outputs stay
            ok = False
    finally:
        out.cleanup()
    emit(RunFinished(ok, elapsed, collector.events, out.root))
    return RunResult(
        ok=ok,
        outdir=out.root,
        outputs=[out.root / rel for rel in files] + ([record_path] if record_path else []),
        errors=errors,
        summary=summary,
        products=_products(finished),
        failures=failures,
        warnings=[*placement.infos, *finished.warnings],
        record=record,
    )


def _run_reused(
    plan: ExecutionPlan,
    options: RunOptions,
    out: OutputDir,
    found: whole_run.Fingerprint,
    reusable: whole_run.Reusable,
    hasher: InputHasher,
    partitions: int,
    datasets: Sequence[DatasetPlan],
    infos: Sequence[Diagnostic],
    when: tuple[str, str, float],
    cache: CacheConfig,
    emit: ProgressCallback,
) -> RunResult:
    """Nothing changed since the last complete run (``whole_run.py``): its outputs, already linked into the
    staging folder, become this run's, with a new plan, event log and record; then the usual promotion."""
    run_id, started, t0 = when
    previous = reusable.record
    out.write_text(PLAN_NAME, plan_json(plan))
    out.write_text(EVENTS_NAME, whole_run.events_jsonl(reusable.events))
    staged = out.staged_files()
    stages = whole_run.reused_stages(previous.get("stages") or ())
    elapsed = perf_counter() - t0
    record = build_record(
        plan_hash=plan.hash,
        workflow_file=plan.workflow_file,
        status="ok",
        started=started,
        elapsed=elapsed,
        options=_options_dict(options),
        inputs=hasher.result(),
        partitions=partitions,
        events=int(previous.get("events") or 0),
        stages=stages,
        outputs=[_output_dict(out.staging, rel.as_posix()) for rel in staged] + [{"path": RECORD_NAME}],
        errors=[],
        warnings=[diagnostic_dict(d) for d in infos],
    )
    record["datasets"] = previous.get("datasets") or []
    record["cache"] = whole_run.explain_rows(found, str(previous.get("run_id")))
    record["cache"][whole_run.STAMP] = whole_run.stamp(found.value, out.staging, staged)
    record["phases"] = {"prepare": round(elapsed, 6)}
    record["run_id"] = run_id
    errors: list[Diagnostic] = []
    if plan.reports and not _write_reports(plan, record, out.staging, errors):
        record["status"] = "failed"  # reports are not stamped outputs: each run writes its own
    out.write_record(record_json(record))
    from fasthep_flow.runtime.run_history import save_run_digests

    with contextlib.suppress(OSError):
        params = {node.id: node.params for node in plan.nodes}
        save_run_digests(CacheStore(cache.folder), record, reusable.digests, params)
    files: list[PurePosixPath] = []
    try:
        files = out.promote(previous_outputs(out.root))
    except OutputRefused as exc:
        errors.append(_refusal(plan, exc))
    summary = RunSummary(
        executor=options.executor,
        workers=options.workers,
        partitions=partitions,
        partitions_done=partitions,
        events=record["events"],
        elapsed=elapsed,
        datasets=tuple(d.name for d in datasets),
        stages=tuple(_stats_of(row) for row in stages),
        phases={"prepare": elapsed},
    )
    emit(RunFinished(not errors, elapsed, record["events"], out.root))
    return RunResult(
        ok=not errors,
        outdir=out.root,
        outputs=[out.root / rel for rel in files] + ([out.root / RECORD_NAME] if not errors else []),
        errors=errors,
        summary=summary,
        products=reusable.products,
        warnings=list(infos),
        record=record,
    )


def _stats_of(row: dict[str, Any]) -> StageStats:
    return StageStats(
        row["node"],
        row.get("stage"),
        row["dataset"],
        int(row.get("events_in", 0)),
        int(row.get("events_out", 0)),
        float(row.get("seconds", 0.0)),
        int(row.get("calls", 0)),
        int(row.get("reused", 0)),
    )


def _write_reports(
    plan: ExecutionPlan, record: dict[str, Any], staging: Path, errors: list[Diagnostic]
) -> bool:
    """The `reports:` documents, from the finished record, listed among its outputs (after run.json); False
    (and an error) when one cannot be written."""
    from fasthep_flow.ops.render.report_template_impl import write_reports

    try:
        written = write_reports(record, plan.reports, staging)
    except OSError as exc:
        problem = RunProblem(codes.OUTPUT_ERROR, f"cannot write a report: {exc}", plan.workflow_file)
        errors.append(problem.diagnostic)
        return False
    record["outputs"] += [_output_dict(staging, p.relative_to(staging).as_posix()) for p in written]
    return True


def _refusal(plan: ExecutionPlan, exc: OutputRefused) -> Diagnostic:
    return RunProblem(exc.code, exc.message, plan.workflow_file, exc.hint).diagnostic


def _output_paths(plan: ExecutionPlan) -> list[PurePosixPath]:
    """The folders every run writes, and each output path the plan names (before partition tags)."""
    paths = [PurePosixPath("hists"), PurePosixPath("cutflows")]
    for node in plan.nodes:
        if node.kind is NodeKind.READ:
            continue  # a source's `path` names an input, not an output
        for key in ("path", "out"):
            value = node.params.get(key) if isinstance(node.params, dict) else None
            if isinstance(value, str):
                try:
                    paths.append(safe_relative(value))
                except OpError:
                    continue  # reported when the node writes
    for report in plan.reports:
        for output in report.get("outputs") or []:
            try:
                paths.append(safe_relative(str(output.get("path"))))
            except OpError:
                continue  # check refuses such a path (FF108)
    return paths


def _cancelled(
    plan: ExecutionPlan,
    options: RunOptions,
    collector: RunCollector,
    partitions: int,
    datasets: Sequence[DatasetPlan],
    root: Path,
    t0: float,
) -> RunResult:
    """The run was cancelled: what was staged is discarded (``cleanup``), earlier outputs stay as they were."""
    elapsed = perf_counter() - t0
    summary = RunSummary(
        executor=options.executor,
        workers=options.workers,
        partitions=partitions,
        partitions_done=collector.done,
        events=collector.events,
        elapsed=elapsed,
        datasets=tuple(d.name for d in datasets),
        stages=(),
        phases={},
    )
    collector.emit(RunFinished(False, elapsed, collector.events, root))
    return RunResult(ok=False, outdir=root, outputs=[], errors=[], summary=summary, cancelled=True)


def _refuse(plan: ExecutionPlan, options: RunOptions, known: bool = False) -> Diagnostic | None:
    if options.executor not in EXECUTORS and not known:
        return RunProblem(
            codes.PARAM_VALUE,
            f"unknown executor '{options.executor}'",
            plan.workflow_file,
            hint=f"use one of: {', '.join(EXECUTORS)}",
        ).diagnostic
    cluster = _cluster_problem(plan, options)
    if cluster is not None:
        return cluster
    known = [d.name for d in plan.datasets]
    unknown = [name for name in options.datasets if name not in known]
    if unknown:
        return RunProblem(
            codes.UNKNOWN_DATASET,
            f"unknown dataset '{unknown[0]}'"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""),
            plan.workflow_file,
            hint=f"the workflow defines: {', '.join(known) or 'no datasets'}",
        ).diagnostic
    if options.chunk_size is not None and options.chunk_size < 0:
        return RunProblem(
            codes.PARAM_VALUE, "the chunk size must be positive (0 = whole files)", plan.workflow_file
        ).diagnostic
    absent = missing(needed_packages(plan, options.executor, _cluster_kind(options)))
    if absent:
        return RunProblem(
            codes.MISSING_PACKAGE,
            f"running this workflow needs {', '.join(absent)}, which {'is' if len(absent) == 1 else 'are'} "
            "not installed",
            plan.workflow_file,
            hint=install_hint(absent),
        ).diagnostic
    return None


def _cluster_kind(options: RunOptions) -> str | None:
    try:
        spec = cluster_spec(options.cluster)
    except ClusterError:
        return None
    return spec.kind if spec is not None else None


def _cluster_problem(plan: ExecutionPlan, options: RunOptions) -> Diagnostic | None:
    """A cluster the run cannot use, found before any job is submitted."""
    try:
        spec: ClusterSpec | None = cluster_spec(options.cluster)
    except ClusterError as exc:
        return RunProblem(codes.PARAM_VALUE, str(exc), plan.workflow_file).diagnostic
    if spec is not None and options.executor != "dask":
        return RunProblem(
            codes.PARAM_VALUE,
            f"a cluster ({spec.kind}) needs the dask executor, not '{options.executor}'",
            plan.workflow_file,
            hint="use --executor dask (or execution: {executor: dask}), or drop the cluster",
        ).diagnostic
    return None


def _refused(
    options: RunOptions, diagnostic: Diagnostic, t0: float, more: Sequence[Diagnostic] = ()
) -> RunResult:
    summary = RunSummary(options.executor, options.workers, 0, 0, 0, perf_counter() - t0)
    return RunResult(False, Path(options.outdir), [], [diagnostic, *more], summary)


def _selected(plan: ExecutionPlan, names: Sequence[str]) -> list[DatasetPlan]:
    if not names:
        return list(plan.datasets)
    wanted = set(names)
    return [d for d in plan.datasets if d.name in wanted]


def _dataset_reads(datasets: Sequence[DatasetPlan], partials: dict[str, Partial]) -> list[dict[str, Any]]:
    """Per dataset, what was read before any selection: the inputs of the plots' luminosity scaling."""
    return [
        {
            "dataset": d.name,
            "eventtype": d.eventtype,
            "events_read": partials[d.name].events,
            "generator_weights": partials[d.name].generator_weights,
        }
        for d in datasets
        if d.name in partials
    ]


def _stage_stats(
    plan: ExecutionPlan, datasets: Sequence[DatasetPlan], partials: dict[str, Partial]
) -> list[StageStats]:
    rows = []
    for node in plan.nodes:
        for dataset in datasets:
            partial = partials.get(dataset.name)
            row = partial.stats.get(node.id) if partial else None
            if row is None:
                continue
            rows.append(
                StageStats(
                    node.id,
                    node.stage,
                    dataset.name,
                    row.events_in,
                    row.events_out,
                    row.seconds,
                    row.calls,
                    row.reused,
                )
            )
    return rows


def _stats_dict(s: StageStats) -> dict[str, Any]:
    return {
        "node": s.node,
        "stage": s.stage,
        "dataset": s.dataset,
        "events_in": s.events_in,
        "events_out": s.events_out,
        "seconds": round(s.seconds, 6),
        "calls": s.calls,
        "reused": s.reused,
    }


def _options_dict(options: RunOptions) -> dict[str, Any]:
    return {
        "executor": options.executor,
        "workers": options.workers,
        "scheduler": options.scheduler,
        "cluster": options.cluster,
        "chunk_size": options.chunk_size,
        "datasets": list(options.datasets),
        "keep_going": options.keep_going,
        "overrides": list(options.overrides),
        "workflows": list(options.workflows),
        "cache": str(options.cache_dir) if options.cache_dir is not None else None,
        "from_stage": options.from_stage,
        "to_stage": options.to_stage,
    }


def _keep_history(
    cache: CacheConfig, record: dict[str, Any], finished: Finished, plan: ExecutionPlan
) -> None:
    """The run's record and merged products, for ``runs list|show|diff`` (a full disk loses only history)."""
    from fasthep_flow.runtime.cache_store import CacheStore
    from fasthep_flow.runtime.run_history import save_run

    params = {node.id: node.params for node in plan.nodes}
    with contextlib.suppress(OSError):
        save_run(CacheStore(cache.folder), record, finished.products, params)


def _cache_config(options: RunOptions) -> CacheConfig | None:
    if options.cache_dir is None:
        return None
    return CacheConfig(Path(options.cache_dir), options.cache_content_hash)


def _cache_record(
    options: RunOptions, partials: dict[str, Partial], datasets: Sequence[DatasetPlan]
) -> dict[str, Any]:
    """What ``--explain`` prints: per node and dataset, partitions reused and recomputed, and why."""
    nodes: list[dict[str, Any]] = []
    reused = recomputed = 0
    for dataset in datasets:
        partial = partials.get(dataset.name)
        if partial is None:
            continue
        by_node: dict[str, dict[str, Any]] = {}
        for row in partial.explain:
            item = by_node.setdefault(
                row.node, {"node": row.node, "dataset": dataset.name, "reused": 0, "recomputed": 0, "why": {}}
            )
            item[row.status] += 1
            if row.status == RECOMPUTED:
                recomputed += 1
                item["why"][row.reason] = item["why"].get(row.reason, 0) + 1
            else:
                reused += 1
        nodes.extend(by_node.values())
    return {
        "enabled": options.cache_dir is not None,
        "reused": reused,
        "recomputed": recomputed,
        "nodes": nodes,
    }


def _events_jsonl(datasets: Sequence[DatasetPlan], partials: dict[str, Partial]) -> str:
    lines = []
    for dataset in datasets:
        partial = partials.get(dataset.name)
        for event in partial.log if partial else ():
            line = {**event, "seconds": round(event["seconds"], 6), "dataset": dataset.name}
            lines.append(json.dumps(line, sort_keys=True))
    return "".join(line + "\n" for line in lines)


def _output_dict(root: Path, rel: str) -> dict[str, Any]:
    return {"path": rel, "size": (root / rel).stat().st_size}


def _products(finished: Finished) -> dict[tuple[str, str], dict[str, Any]]:
    return dict(finished.products)
