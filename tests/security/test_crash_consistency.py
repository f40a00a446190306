"""Issue 10, hole 4: killed runs, concurrent runs and process workers.

The runs under attack are real ``run_plan`` calls in a child process (``DRIVER`` below). To land a SIGKILL
inside promotion rather than before or after it, the driver slows the real code down (each hard link of a file
of yours sleeps 2 ms; the swap is followed by a 300 ms pause) and prints a marker when it gets there; the test
kills it at a seeded random moment after the marker. The folder must then hold the old run's complete outputs
or the new run's, never a mix, and the next run must leave no staging folder behind.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.runtime import RunOptions, RunResult, run_plan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux")

WORKFLOW = """\
version: 1.0
sources:
  events: {{kind: toy, nevents: {n}, seed: {seed}}}
data:
  datasets:
    - {{name: toy_dy, eventtype: mc, nevents: {n}}}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {{name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection:
          dimuon: ["NMuon >= 2"]
        weight_expr: EventWeight
      render: {{style: cutflow_table, when: final, out: tables/Dimuon.csv}}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{{name: pt, source: Muon_Pt, type: regular, bins: {{low: 0, high: 120, nbins: 24}}}}]
styles:
  cutflow_table: {{op: hep.render.cutflow_csv}}
"""

DRIVER = r"""
import os, sys, time
from pathlib import Path
from fasthep_flow.compiler import compile_file
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.runtime import output_folder

workflow, outdir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
executor = "serial"

def say(text):
    print(text, flush=True)

if mode == "slow-promote":
    real_link, real_exchange, real_promote = output_folder._link, output_folder.exchange, output_folder.OutputDir.promote
    def slow_link(entry, target):
        time.sleep(0.002)
        real_link(entry, target)
    def exchange(a, b):
        real_exchange(a, b)
        say("SWAPPED")
        time.sleep(0.3)
    def promote(self, previous):
        say("PROMOTING")
        return real_promote(self, previous)
    output_folder._link, output_folder.exchange, output_folder.OutputDir.promote = slow_link, exchange, promote
elif mode == "hold":
    real_promote = output_folder.OutputDir.promote
    def promote(self, previous):
        say("HOLDING")
        while not Path(outdir + ".release").exists():
            time.sleep(0.05)
        return real_promote(self, previous)
    output_folder.OutputDir.promote = promote
elif mode == "slow-partitions":
    from fasthep_flow.runtime.executors import local
    def slow_partition(job, part):
        time.sleep(120)
    local.run_partition = slow_partition
    executor = "processes"

compiled = compile_file(workflow)
result = run_plan(
    compiled.plan, RunOptions(outdir=Path(outdir), executor=executor, workers=2, chunk_size=500),
    registry=compiled.registry,
)
say("DONE %s %s" % (result.ok, [d.code.id for d in result.errors]))
"""


def outputs_of(folder: Path) -> dict[str, str]:
    """The run's view of a folder: its files (links excluded) with the text of each JSON/CSV output, and the
    plan hash of run.json. ROOT files embed timestamps, so only their presence is compared."""
    view: dict[str, str] = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(base) / name
            rel = path.relative_to(folder).as_posix()
            if rel == ".fasthep-lock":
                continue  # a killed run leaves its (released) lock file; the next run reuses it
            if rel == "run.json":
                view[rel] = json.loads(path.read_text())["plan_hash"]
            elif path.suffix in (".json", ".csv", ".txt"):
                view[rel] = path.read_text()
            else:
                view[rel] = "present"
    return view


class Runs:
    """Two versions of one workflow (old and new), their reference outputs, and a driver to kill."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.old = root / "old.flow.yaml"
        self.new = root / "new.flow.yaml"
        self.old.write_text(WORKFLOW.format(n=1500, seed=3))
        self.new.write_text(WORKFLOW.format(n=2500, seed=4))
        self.driver = root / "driver.py"
        self.driver.write_text(DRIVER)
        self.ref_old = self.run(self.old, root / "ref_old").outdir
        self.ref_new = self.run(self.new, root / "ref_new").outdir

    def run(self, workflow: Path, outdir: Path, **kw: object) -> RunResult:
        compiled = compile_file(workflow)
        assert compiled.ok
        options = RunOptions(outdir=outdir, chunk_size=500, **kw)  # type: ignore[arg-type]
        return run_plan(
            compiled.plan, options, registry=compiled.registry
        )  # the driver's chunking: same sums

    def spawn(self, workflow: Path, outdir: Path, mode: str) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        return subprocess.Popen(
            [sys.executable, str(self.driver), str(workflow), str(outdir), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=self.root,
        )


def wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 90.0) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"driver ended before {marker!r} (exit {proc.wait()})")
        if line.strip() == marker:
            return
    raise AssertionError(f"no {marker!r} within {timeout} s")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return Runs(tmp_path_factory.mktemp("crash"))


def seeded_outdir(runs: Runs, name: str) -> tuple[Path, dict[str, str]]:
    """A folder holding the old run's outputs plus 150 files of yours (they widen the promotion window)."""
    import shutil

    out = runs.root / name / "out"
    shutil.copytree(runs.ref_old, out)
    mine = out / "mine"
    mine.mkdir()
    for i in range(150):
        (mine / f"note{i}.txt").write_text(f"note {i}\n")
    return out, {f"mine/note{i}.txt": f"note {i}\n" for i in range(150)}


@pytest.mark.parametrize(
    ("trial", "marker", "expect"),
    [(0, "PROMOTING", "old"), (1, "PROMOTING", "old"), (2, "SWAPPED", "new"), (3, "SWAPPED", "new")],
)
def test_a_run_killed_during_promotion_leaves_the_old_or_the_new_complete_outputs(
    runs: Runs, trial: int, marker: str, expect: str
) -> None:
    out, mine = seeded_outdir(runs, f"kill{trial}")
    old, new = outputs_of(runs.ref_old), outputs_of(runs.ref_new)
    assert old != new
    proc = runs.spawn(runs.new, out, "slow-promote")
    try:
        wait_for(proc, marker)
        # Linking 150 files takes >= 0.3 s after PROMOTING; the pause after SWAPPED is 0.3 s.
        time.sleep(random.Random(trial).uniform(0.0, 0.2))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    seen = outputs_of(out)
    yours = {k: v for k, v in seen.items() if k.startswith("mine/")}
    assert yours == mine
    theirs = {k: v for k, v in seen.items() if not k.startswith("mine/")}
    assert theirs == (old if expect == "old" else new)
    assert list(out.parent.glob(".fasthep-staging-out.*")), "the killed run's staging folder is left..."

    again = runs.run(runs.new, out)
    assert again.ok, [d.message for d in again.errors]
    assert not list(out.parent.glob(".fasthep-staging-*")), "...and removed by the next run"
    assert {k: v for k, v in outputs_of(out).items() if not k.startswith("mine/")} == new
    assert {k: v for k, v in outputs_of(out).items() if k.startswith("mine/")} == mine


def test_a_second_run_into_a_busy_folder_is_refused_naming_the_holder_then_waits_with_wait(
    runs: Runs,
) -> None:
    out = runs.root / "busy" / "out"
    proc = runs.spawn(runs.old, out, "hold")
    try:
        wait_for(proc, "HOLDING")
        refused = runs.run(runs.new, out)
        assert [d.code.id for d in refused.errors] == ["FF407"]
        assert f"pid {proc.pid}" in refused.errors[0].message
        assert not (out / "run.json").exists()  # the holder has not promoted; the refused run wrote nothing

        waited: list[RunResult] = []
        waiter = threading.Thread(target=lambda: waited.append(runs.run(runs.new, out, wait=120.0)))
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive()  # blocked on the lock while the first run holds it
        Path(f"{out}.release").touch()
        waiter.join(timeout=120)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "DONE True []"
    finally:
        Path(f"{out}.release").touch()
        proc.wait(timeout=60)
    assert waited and waited[0].ok
    assert outputs_of(out) == outputs_of(runs.ref_new)  # serialised: the waiting run promoted last, whole


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` and that run the same command (the forked pool workers)."""
    found = []
    want = Path(f"/proc/{pid}/cmdline").read_bytes()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and (entry / "cmdline").read_bytes() == want:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_process_workers_die_with_a_killed_run(runs: Runs, sig: signal.Signals) -> None:
    out = runs.root / f"workers-{sig.name}" / "out"
    proc = runs.spawn(runs.new, out, "slow-partitions")
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _children(proc.pid)
        assert len(workers) == 2, "the pool did not start its two workers"
        proc.send_signal(sig)  # SIGINT: Ctrl-C, the run kills its pool instead of waiting 120 s for it
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)]
    finally:
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
