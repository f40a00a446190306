"""Dask workers as real Slurm jobs: a single-node Slurm on this machine (``slurm_node.py``) runs the workers,
the products equal a serial run's, and neither a job nor a daemon is left behind.

Needs root, and installs Debian's ``slurm-wlm`` and ``munge`` when missing (CI); without root and without the
packages the test fails saying so — it is never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import slurm_node

from fasthep_flow.runtime.executors import ClusterSpec, cluster_spec
from fasthep_flow.runtime.executors.clusters import job_script

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 6000, seed: 7}
data:
  defaults: {eventtype: mc, generator_weight: EventWeight}
  datasets:
    - {name: toy_data, eventtype: data, nevents: 3000, lumi: 0.05}
    - {name: toy_dy, nevents: 4000, cross_section: 2000}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: NMu, reduce: {op: count_nonzero, over: "Muon_Pt > 20"}}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection: {dimuon: ["triggerIsoMu24", "NMu >= 2"]}
        weight_expr: EventWeight
    - id: MuonPt
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        dataset_axis: true
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 24}}]
execution:
  cluster: {kind: slurm, memory: 1GB, cores: 1, log_directory: LOGS, start_timeout: 120}
"""


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slurm_node.SlurmNode]:
    try:
        node = slurm_node.start(tmp_path_factory.mktemp("slurm"))
    except slurm_node.SlurmUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield node
    node.stop()
    alive = [p.args[0] for p in node.processes if p.poll() is None]
    assert not alive, f"Slurm daemons still running after stop: {alive}"


def _run(workflow: Path, outdir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
    argv = [sys.executable, "-m", "fasthep_flow", "run", str(workflow), "--outdir", str(outdir)]
    done = subprocess.run(
        [*argv, "--chunk-size", "700", "--quiet", *extra],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr


def _products(outdir: Path) -> dict[str, object]:
    """Histogram and cutflow files as parsed JSON: bin contents, variances, counts and weights."""
    return {
        p.relative_to(outdir).as_posix(): json.loads(p.read_text())
        for folder in ("hists", "cutflows")
        for p in sorted((outdir / folder).glob("*.json"))
    }


def test_two_slurm_jobs_give_the_serial_products(slurm: slurm_node.SlurmNode, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    workflow = tmp_path / "wf.flow.yaml"
    workflow.write_text(WORKFLOW.replace("LOGS", str(logs)))
    _run(workflow, tmp_path / "serial", "--executor", "serial")
    _run(workflow, tmp_path / "slurm", "--cluster", "slurm", "--jobs", "2", env=slurm.env)

    serial, batch = _products(tmp_path / "serial"), _products(tmp_path / "slurm")
    assert serial and serial.keys() == batch.keys()
    assert batch == serial
    record = json.loads((tmp_path / "slurm" / "run.json").read_text())
    assert record["options"]["executor"] == "dask"
    assert record["options"]["cluster"]["kind"] == "slurm"
    assert record["options"]["cluster"]["jobs"] == 2
    # Two workers ran as Slurm jobs: each job wrote its own log; the controller allocated exactly two.
    assert len(list(logs.glob("*.err"))) == 2
    allocated = (slurm.folder / "log" / "slurmctld.log").read_text().count("sched: Allocate JobId=")
    assert allocated == 2
    left = slurm.jobs()
    assert all(state in ("COMPLETING", "CANCELLED") for state in left.values()), left  # none runs on
    assert slurm.jobs_after(30) == {}


def test_a_failed_run_cancels_its_jobs(slurm: slurm_node.SlurmNode, tmp_path: Path) -> None:
    workflow = tmp_path / "wf.flow.yaml"
    text = WORKFLOW.replace("LOGS", str(tmp_path / "logs"))
    broken = '          - {name: SixthMuonPx, expr: "Muon_Px[:, 5]"}\n'  # most events have fewer muons
    workflow.write_text(text.replace("    - id: Dimuon\n", broken + "    - id: Dimuon\n", 1))
    argv = [sys.executable, "-m", "fasthep_flow", "run", str(workflow), "--outdir", str(tmp_path / "out")]
    done = subprocess.run(
        [*argv, "--cluster", "slurm", "--jobs", "2", "--quiet"],
        env={**os.environ, **slurm.env},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 1, done.stderr
    assert "FF401" in done.stderr
    assert all(state in ("COMPLETING", "CANCELLED") for state in slurm.jobs().values())
    assert slurm.jobs_after(30) == {}


def test_htcondor_job_script_without_a_pool() -> None:
    spec = cluster_spec(
        {
            "kind": "htcondor",
            "cores": 2,
            "memory": "3GB",
            "disk": "5GB",
            "directives": ['+JobFlavour = "espresso"'],
        }
    )
    assert isinstance(spec, ClusterSpec)
    script = job_script(spec)
    assert "MY.DaskWorkerCores = 2" in script
    assert "MY.DaskWorkerMemory = 3000000000" in script
    assert "MY.DaskWorkerDisk = 5000000000" in script
    assert '+JobFlavour = "espresso"' in script
    assert "distributed.cli.dask_worker" in script
    assert "--nthreads 2" in script
    assert script.rstrip().endswith("Queue")


def test_slurm_job_script_carries_the_requests() -> None:
    spec = cluster_spec({"kind": "slurm", "queue": "short", "walltime": "00:30:00", "account": "hep"}, jobs=3)
    assert spec is not None and spec.jobs == 3
    script = job_script(spec)
    for line in ("#SBATCH -p short", "#SBATCH -A hep", "#SBATCH -t 00:30:00", "#SBATCH --cpus-per-task=1"):
        assert line in script


def test_ctrl_c_cancels_the_jobs(slurm: slurm_node.SlurmNode, tmp_path: Path) -> None:
    """SIGINT while the workers run: the run stops and its Slurm jobs are cancelled, none keeps running."""
    import signal
    import time

    workflow = tmp_path / "wf.flow.yaml"
    # Many small partitions keep the workers busy long enough to be interrupted mid-run.
    text = WORKFLOW.replace("LOGS", str(tmp_path / "logs"))
    workflow.write_text(
        text.replace("nevents: 3000", "nevents: 600000").replace("nevents: 4000", "nevents: 800000")
    )
    argv = [sys.executable, "-m", "fasthep_flow", "run", str(workflow), "--outdir", str(tmp_path / "out")]
    proc = subprocess.Popen(
        [*argv, "--cluster", "slurm", "--jobs", "2", "--chunk-size", "1000", "--quiet"],
        env={**os.environ, **slurm.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while list(slurm.jobs().values()).count("RUNNING") < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the two worker jobs never ran"
            time.sleep(0.5)
        time.sleep(2)  # the workers have joined and are running partitions
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the CLI's interrupted status, not a silent exit
    assert proc.returncode == 130, (proc.returncode, f"{took:.1f} s after SIGINT", out[-3000:], err[-3000:])
    assert not (tmp_path / "out" / "run.json").exists()
    assert slurm.jobs_after(30) == {}
