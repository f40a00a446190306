"""``execution.cluster`` / ``--cluster``: the typed spec, its refusals, and the schema that `check` applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.document import codes
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.runtime.executors import ClusterError, cluster_spec
from fasthep_flow.runtime.executors.clusters import jobqueue_options

WF = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 100, seed: 1}
analysis:
  stages:
    - id: V
      op: hep.define
      params: {variables: [{name: A, expr: "NMuon + 1"}]}
execution:
  CLUSTER
"""


def test_nothing_asked_is_no_cluster() -> None:
    assert cluster_spec(None) is None
    assert cluster_spec({}) is None


def test_command_line_overrides_the_workflow() -> None:
    block = {"kind": "slurm", "queue": "long", "jobs": 8, "adapt": {"minimum": 1, "maximum": 4}}
    spec = cluster_spec(block, jobs=2)
    assert spec is not None and (spec.kind, spec.queue, spec.jobs, spec.adapt) == ("slurm", "long", 2, None)
    other = cluster_spec(block, kind="pbs")  # another kind: the Slurm settings do not carry over
    assert other is not None and (other.kind, other.queue, other.jobs) == ("pbs", None, 1)
    assert cluster_spec(block).adapt == (1, 4)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"kind": "sge"}, "unknown cluster kind"),
        ({"kind": "slurm", "jobs": 0}, "cluster.jobs must be a positive integer"),
        ({"kind": "slurm", "adapt": {"minimum": 5, "maximum": 2}}, "0 <= minimum <= maximum"),
        ({"kind": "address"}, "needs cluster.address"),
        ({"kind": "slurm", "start_timeout": -1}, "start_timeout must be a positive number"),
        ({"kind": "htcondor", "directives": ["no equals sign"]}, "'Key = value' line"),
    ],
)
def test_refusals_say_what_to_change(block: dict[str, object], words: str) -> None:
    with pytest.raises(ClusterError, match=words):
        spec = cluster_spec(block)
        assert spec is not None
        jobqueue_options(spec)


def test_jobqueue_options_one_process_per_job_and_passthrough() -> None:
    spec = cluster_spec({"kind": "slurm", "cores": 4, "memory": "8GB", "options": {"interface": "ib0"}})
    assert spec is not None
    options = jobqueue_options(spec)
    assert options["processes"] == 1 and options["cores"] == 4 and options["memory"] == "8GB"
    assert options["interface"] == "ib0"


def test_check_reports_a_misspelt_cluster(tmp_path: Path) -> None:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(WF.replace("CLUSTER", "cluster: {kind: slurmm, jobz: 2}"))
    found = {(d.code, d.span.start.line) for d in compile_file(path).diagnostics}
    assert found == {(codes.PARAM_VALUE, 9), (codes.UNKNOWN_KEY, 9)}  # 0-based line of `cluster:`


def test_a_cluster_with_another_executor_is_refused_before_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(WF.replace("CLUSTER", "cluster: {kind: local, jobs: 1}"))
    result = compile_file(path)
    assert result.ok
    out = tmp_path / "out"
    run = run_plan(result.plan, RunOptions(outdir=out, executor="threads", cluster={"kind": "local"}))
    assert not run.ok and [d.code for d in run.errors] == [codes.PARAM_VALUE]
    assert "needs the dask executor" in run.errors[0].message
    assert not out.exists()


def _labels(text: str) -> list[str]:
    """Completion labels at the end of ``text`` (the cursor after its last character)."""
    from fasthep_flow.document.spans import Pos
    from fasthep_flow.service import Context, Document, complete

    lines = text.split("\n")
    pos = Pos(len(lines) - 1, len(lines[-1]))
    return [c.label for c in complete(Document("file:///w/t.flow.yaml", text + "\n", 1), pos, Context())]


def test_the_editor_completes_cluster_keys_and_kinds() -> None:
    head = "version: 1.0\nsources:\n  events: {kind: toy, nevents: 10}\nexecution:\n  executor: dask\n  cluster:\n    "
    keys = _labels(head)
    assert {"kind", "jobs", "cores", "memory", "adapt", "queue", "walltime", "start_timeout"} <= set(keys)
    assert _labels(head + "kind: ") == ["local", "address", "slurm", "htcondor", "pbs", "lsf"]
    assert _labels(head + "kind: slurm\n    adapt: {") == ["minimum", "maximum"]


def test_a_local_cluster_of_two_workers_gives_the_serial_products(tmp_path: Path) -> None:
    import json

    path = tmp_path / "wf.flow.yaml"
    path.write_text(
        WF.replace("CLUSTER", "cluster: {kind: local, jobs: 2}").replace("nevents: 100", "nevents: 3000")
    )
    plan = compile_file(path).plan
    serial = run_plan(plan, RunOptions(outdir=tmp_path / "serial", chunk_size=500))
    local = run_plan(
        plan,
        RunOptions(
            outdir=tmp_path / "local",
            executor="dask",
            chunk_size=500,
            cluster=dict(plan.execution["cluster"]),
        ),
    )
    assert serial.ok and local.ok, [d.message for d in local.errors]
    assert local.summary.partitions == 6
    assert local.record["options"]["cluster"] == {"kind": "local", "jobs": 2}
    stats = [(s.node, s.events_in, s.events_out) for s in local.summary.stages]
    assert stats == [(s.node, s.events_in, s.events_out) for s in serial.summary.stages]
    assert json.loads((tmp_path / "local" / "run.json").read_text())["options"]["executor"] == "dask"
