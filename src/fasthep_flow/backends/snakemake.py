"""``fasthep-flow export snakemake``: the plan as a Snakemake workflow whose jobs call our own CLI.

The export folder holds:

- ``plan.json``: the whole plan (what the final rule runs from);
- ``plans/<dataset>.json``: one fragment per dataset — the plan without the parameters of stages that do not
  apply to that dataset (``applies_to``), so that editing such a stage leaves the fragment, and hence the
  dataset's partition jobs, untouched;
- ``Snakefile``: a rule per partition chain (``fasthep-flow run-partition``, one job per dataset × partition,
  writing that partition's result), a merge rule per dataset (``fasthep-flow merge-partitions``: the fixed merge
  tree of ``runtime/merge.py`` over its partitions) and a final rule (``fasthep-flow merge``: dataset- and
  final-level attachments, histogram and cutflow files, ``run.json``, like the end of ``fasthep-flow run``).

Files are rewritten only when their content changes, so Snakemake's modification-time check re-runs exactly the
jobs downstream of what an edit changed. Partition results travel between jobs as pickles written and read by
this module only, inside the export folder. Partition-level writes (``when: partition``) are refused: their
files would be scattered over the jobs' scratch folders.
"""

from __future__ import annotations

import json
import pickle
import shlex
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fasthep_flow.plan import ExecutionPlan, NodeKind, Partition
from fasthep_flow.runtime.bindings import Bindings
from fasthep_flow.runtime.chain import Job, Partial, PartitionInfo, partition_info, run_partition
from fasthep_flow.runtime.executors.base import Collector
from fasthep_flow.runtime.merge import fold_all
from fasthep_flow.runtime.partitions import make_partitions
from fasthep_flow.runtime.record import plan_json

PARTIALS = "partials"
MERGED = "merged"


class ExportRefused(ValueError):
    """The plan cannot be exported as asked; the message says why."""


@dataclass(frozen=True)
class MergedDataset:
    """What ``merge-partitions`` writes for one dataset: its combined result and each partition's summary."""

    dataset: str
    partial: Partial
    infos: tuple[tuple[Partition, PartitionInfo], ...]


def fragment(plan: ExecutionPlan, dataset: str) -> ExecutionPlan:
    """``plan`` for one dataset's partition jobs: the parameters of stages not applying to it left out."""
    from fasthep_flow.runtime.chain import applies_to_of

    data = plan.dataset(dataset)
    nodes = []
    for node in plan.nodes:
        applies = applies_to_of(node.applies_to)
        if node.kind is NodeKind.STAGE and applies is not None and not applies(data):
            node = replace(node, params={})  # never called for this dataset: its settings are not an input
        nodes.append(node)
    # Every dataset stays listed: expressions and dataset axes see the run's dataset names.
    return replace(plan, nodes=tuple(nodes))


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def _partitions(plan: ExecutionPlan, bindings: Bindings, chunk_size: int | None) -> list[Partition]:
    partitioning = make_partitions(plan, list(plan.datasets), bindings, chunk_size)
    if partitioning.problems:
        raise ExportRefused(partitioning.problems[0].message)
    return list(partitioning.partitions)


def export_snakemake(
    plan: ExecutionPlan, bindings: Bindings, folder: Path, chunk_size: int | None, command: Sequence[str]
) -> list[Path]:
    """Write the Snakemake workflow of ``plan`` into ``folder``; the files that changed.

    ``command`` is how the jobs call fasthep-flow (``[sys.executable, "-m", "fasthep_flow"]``).
    """
    per_partition = [
        n.id
        for n in plan.nodes
        if n.when == "partition"
        and (
            n.kind in (NodeKind.WRITE, NodeKind.INSPECT)
            or (n.kind is NodeKind.STAGE and n.id in bindings.sinks)
        )
    ]
    if per_partition:
        raise ExportRefused(
            f"{per_partition[0]} writes a file per partition (when: partition, or an inspect observer), which "
            "the Snakemake export does not support: use when: dataset or when: final"
        )
    parts = _partitions(plan, bindings, chunk_size)
    changed = []
    folder.mkdir(parents=True, exist_ok=True)
    if _write_if_changed(folder / "plan.json", plan_json(plan)):
        changed.append(folder / "plan.json")
    for dataset in plan.datasets:
        path = folder / "plans" / f"{dataset.name}.json"
        if _write_if_changed(path, plan_json(fragment(plan, dataset.name))):
            changed.append(path)
    snakefile = snakefile_text(plan, parts, chunk_size, command)
    if _write_if_changed(folder / "Snakefile", snakefile):
        changed.append(folder / "Snakefile")
    return changed


def snakefile_text(
    plan: ExecutionPlan, parts: Sequence[Partition], chunk_size: int | None, command: Sequence[str]
) -> str:
    ff = " ".join(shlex.quote(c) for c in command)
    chunk = chunk_size or 0
    indices: dict[str, list[int]] = {}
    for part in parts:  # numbered within the dataset: a fragment holds that dataset alone
        indices.setdefault(part.dataset, []).append(len(indices.get(part.dataset, ())))
    lines = [
        "# Generated by `fasthep-flow export snakemake`; re-export after editing the workflow.",
        f"# Workflow: {plan.workflow_file or '<plan>'} (plan {plan.hash})",
        f"FF = {ff!r}",
        f"PARTITIONS = {json.dumps(indices)}",
        "",
        "rule all:",
        '    input: "outputs/run.json"',
        "",
        "rule partition:",
        '    input: "plans/{dataset}.json"',
        f'    output: "{PARTIALS}/{{dataset}}/{{index}}.pkl"',
        "    shell:",
        f'        "{{FF}} run-partition {{input}} --dataset {{wildcards.dataset}} --index {{wildcards.index}} '
        f'--chunk-size {chunk} -o {{output}}"',
        "",
        "rule merge_dataset:",
        "    input:",
        '        plan="plans/{dataset}.json",',
        f'        partials=lambda w: expand("{PARTIALS}/{{dataset}}/{{index}}.pkl", dataset=w.dataset, '
        "index=PARTITIONS[w.dataset]),",
        f'    output: "{MERGED}/{{dataset}}.pkl"',
        "    shell:",
        '        "{FF} merge-partitions {input.plan} {input.partials} -o {output}"',
        "",
        "rule final:",
        "    input:",
        '        plan="plan.json",',
        f'        merged=expand("{MERGED}/{{dataset}}.pkl", dataset=list(PARTITIONS)),',
        '    output: "outputs/run.json"',
        "    shell:",
        f'        "{{FF}} merge {{input.plan}} {{input.merged}} --chunk-size {chunk} --outdir outputs --quiet"',
        "",
    ]
    return "\n".join(lines)


def _job(plan: ExecutionPlan, bindings: Bindings, staging: Path, parts: Sequence[Partition]) -> Job:
    first: dict[str, int] = {}
    for part in parts:
        first.setdefault(part.dataset, part.index)
    return Job(uuid.uuid4().hex, plan, bindings, staging, first)


def run_one_partition(
    plan: ExecutionPlan, bindings: Bindings, dataset: str, index: int, chunk_size: int | None, out: Path
) -> Partial:
    """Run the ``index``-th partition of ``dataset`` (counted within the dataset, from 0) and pickle its result
    to ``out``. The toy source and files are read by entry range, so the partition is the same one whichever
    datasets the plan holds."""
    parts = _partitions(plan, bindings, chunk_size)
    chosen = [p for p in parts if p.dataset == dataset][index : index + 1] if index >= 0 else []
    if not chosen:
        raise ExportRefused(f"dataset {dataset!r} has no partition {index} at chunk size {chunk_size}")
    with tempfile.TemporaryDirectory(prefix="fasthep-flow-part-") as staging:
        partial = run_partition(_job(plan, bindings, Path(staging), parts), chosen[0])
    _dump(out, (chosen[0], partial))
    return partial


def merge_partitions(
    plan: ExecutionPlan, bindings: Bindings, files: Sequence[Path], out: Path
) -> MergedDataset:
    """Combine one dataset's partition results (in partition order, the runtime's fixed tree) into ``out``."""
    from fasthep_flow.runtime.chain import combiner

    partials = [_load(f) for f in files]
    partials.sort(key=lambda p: p[0].index)
    combine = combiner(_job(plan, bindings, out.parent, [p for p, _ in partials]))
    root = fold_all([partial for _, partial in partials], combine)
    if root is None or not partials:
        raise ExportRefused("no partition results to merge")
    merged = MergedDataset(partials[0][0].dataset, root, tuple((p, partition_info(r)) for p, r in partials))
    _dump(out, merged)
    return merged


def _dump(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def _load(path: Path) -> Any:
    with path.open("rb") as f:
        return pickle.load(f)  # only files this module wrote, inside the export folder


class MergedExecutor:
    """The final rule's executor: nothing runs, each dataset's result comes from ``merge-partitions``' file."""

    name = "snakemake"

    def __init__(self, merged_files: Sequence[Path]) -> None:
        self.workers = 1
        self.merged: Mapping[str, MergedDataset] = {}
        merged = {}
        for path in merged_files:
            value = _load(path)
            merged[value.dataset] = value
        self.merged = merged

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        wanted = {p.dataset for p in parts}
        missing = sorted(wanted - set(self.merged))
        if missing:
            raise ExportRefused(f"no merged result for dataset {missing[0]!r}")
        for name in dict.fromkeys(p.dataset for p in parts):
            merged = self.merged[name]
            for part, info in merged.infos:
                if not collector.partition_done(part, info):
                    return
            collector.dataset_done(name, merged.partial)


def jobs_command() -> list[str]:
    """How the exported jobs call fasthep-flow: this interpreter, so the jobs see the same installation."""
    return [sys.executable, "-m", "fasthep_flow"]
