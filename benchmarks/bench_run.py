"""Benchmark of the runtime against a hand-written columnar script, on generated Zmumu-like events.

    python benchmarks/bench_run.py                 # 4M events, 3 interleaved repeats
    python benchmarks/bench_run.py --events 2000000 --repeats 5 --cache-dir /tmp/ff-bench

Measured in one run, figures printed beside their targets:

1. throughput of (a) a hand-written ``uproot.iterate`` + awkward + hist script and (b) ``run_plan`` of the
   equivalent workflow (define Muon_Pt, a two-step cutflow, a weighted histogram), single worker; A and B
   are interleaved (this VM's timings vary by up to ±40%) and the best of each is compared;
2. ``run_plan`` with 2 process workers against 1;
3. peak RSS with 500 000-entry chunks, for 4M and 8M events (the 4M file listed twice), each run in a fresh
   child process and read with ``resource.getrusage(RUSAGE_CHILDREN)`` by an intermediate process;
4. the scheduler alone: a 10 000-node plan of trivial ops on one partition, per node.

The input file is generated once into the cache folder (never into the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # so "bench_run:noop" imports in this process and in workers

CHUNK = 500_000
BRANCHES = ["NMuon", "Muon_Px", "Muon_Py", "EventWeight"]
TARGETS = {
    "ratio": 0.95,
    "speedup": 1.5,
    "rss_mb": 1500.0,
    "rss_growth": 0.10,
    "us_per_node": 20.0,
}

WORKFLOW = """\
version: 1.0
sources:
  events: {{kind: root_tree, tree: events, branches: [NMuon, Muon_Px, Muon_Py, EventWeight]}}
data:
  datasets:
    - {{name: zmumu, eventtype: mc, files: {files}}}
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
          dimuon: ["NMuon >= 2", "leading(Muon_Pt, 0) > 20"]
        weight_expr: EventWeight
    - id: MuonPt
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        axes: [{{name: pt, source: Muon_Pt, type: regular, bins: {{low: 0, high: 120, nbins: 60}}}}]
"""


# --- input ----------------------------------------------------------------------------------------------------


def input_file(cache: Path, events: int) -> Path:
    from fasthep_flow.ops.core.toy_impl import write_toy_root

    path = cache / f"zmumu_{events}.root"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"generating {events:,} events into {path} (once) ...", flush=True)
        tmp = path.with_suffix(".tmp.root")
        write_toy_root(tmp, events, seed=1)
        os.replace(tmp, path)
    return path


# --- (a) the hand-written script --------------------------------------------------------------------------------


def chunks_of(files: list[Path], start: int | None, stop: int | None) -> Any:
    import uproot

    if start is None:
        yield from uproot.iterate([f"{f}:events" for f in files], BRANCHES, step_size=CHUNK, library="ak")
        return
    with uproot.open(files[0]) as f:
        yield from f["events"].iterate(
            BRANCHES, step_size=CHUNK, entry_start=start, entry_stop=stop, library="ak"
        )


def handwritten(files: list[Path], start: int | None = None, stop: int | None = None) -> dict[str, Any]:
    """What a physicist would write by hand for the same analysis."""
    import awkward as ak
    import hist
    import numpy as np

    h = hist.Hist(hist.axis.Regular(60, 0, 120, name="pt"), storage=hist.storage.Weight())
    n_in = n1 = n2 = 0
    w_in = w1 = w2 = 0.0
    for arrays in chunks_of(files, start, stop):
        pt = np.sqrt(arrays["Muon_Px"] ** 2 + arrays["Muon_Py"] ** 2)
        w = ak.to_numpy(arrays["EventWeight"]).astype(np.float64)
        cut1 = ak.to_numpy(arrays["NMuon"] >= 2)
        lead = ak.to_numpy(ak.fill_none(ak.firsts(pt), 0) > 20)
        both = cut1 & lead
        n_in += len(w)
        n1 += int(cut1.sum())
        n2 += int(both.sum())
        w_in += float(w.sum())
        w1 += float(w[cut1].sum())
        w2 += float(w[both].sum())
        sel = pt[both]
        h.fill(
            ak.to_numpy(ak.flatten(sel)), weight=ak.to_numpy(ak.flatten(ak.broadcast_arrays(w[both], sel)[0]))
        )
    return {"events": n_in, "passed": n2, "sumw": w2, "hist_sum": float(h.sum().value)}


# --- (b) the same analysis as a workflow ------------------------------------------------------------------------


def compiled_workflow(files: list[Path], folder: Path) -> Any:
    from fasthep_flow.compiler import compile_file

    path = folder / "bench.flow.yaml"
    path.write_text(WORKFLOW.format(files=json.dumps([str(f) for f in files])))
    result = compile_file(path)
    if not result.ok:
        raise SystemExit(
            "the benchmark workflow does not compile:\n" + "\n".join(d.message for d in result.diagnostics)
        )
    return result


def registry_of(compiled: Any) -> Any:
    return compiled.registry


def workflow_run(compiled: Any, outdir: Path, executor: str = "serial", workers: int = 1) -> dict[str, Any]:
    from fasthep_flow.runtime import RunOptions, run_plan

    options = RunOptions(outdir=outdir, executor=executor, workers=workers, chunk_size=CHUNK)
    result = run_plan(compiled.plan, options, registry=registry_of(compiled))
    if not result.ok:
        raise SystemExit("the benchmark run failed:\n" + "\n".join(d.message for d in result.errors))
    # The benchmark's datasets are all simulation: their total is `total_mc` (data is never added to it).
    rows = result.products[("stage.Dimuon", "total_mc")]["cutflow"].to_rows()
    h = result.products[("stage.MuonPt", "total_mc")]["hist"]
    return {
        "events": rows[0]["events_in"],
        "passed": rows[-1]["events_out"],
        "sumw": rows[-1]["weights_out"],
        "hist_sum": float(h.sum().value),
    }


def _half(args: tuple[Path, int, int]) -> dict[str, Any]:
    return handwritten([args[0]], args[1], args[2])


def handwritten_two_processes(path: Path, events: int) -> None:
    """The machine's own parallel scaling: the hand-written script on two halves in two processes."""
    import multiprocessing

    half = events // 2
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_half, [(path, 0, half), (path, half, events)])


def timed(fn: Any, *args: Any, **kw: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


# --- peak memory in child processes ----------------------------------------------------------------------------


def rss_child(args: argparse.Namespace, copies: int) -> float:
    """Peak RSS (MiB) of a fresh process running the workflow on ``copies`` × the input file."""
    cmd = [sys.executable, sys.argv[0], "--rss-probe", str(copies), "--events", str(args.events)]
    cmd += ["--cache-dir", str(args.cache_dir)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def rss_probe(args: argparse.Namespace, copies: int) -> None:
    """Intermediate process: runs the work in its own child, then reports that child's peak RSS."""
    cmd = [sys.executable, sys.argv[0], "--rss-work", str(copies), "--events", str(args.events)]
    cmd += ["--cache-dir", str(args.cache_dir)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
    print(kib / 1024.0)


def rss_work(args: argparse.Namespace, copies: int) -> None:
    path = input_file(args.cache_dir, args.events)
    with tempfile.TemporaryDirectory() as tmp:
        compiled = compiled_workflow([path] * copies, Path(tmp))
        workflow_run(compiled, Path(tmp) / "out")


# --- the scheduler alone ---------------------------------------------------------------------------------------


def noop(*_args: Any) -> Any:
    from fasthep_flow.ops.contract import StageResult

    return StageResult(None)


def one_event(source: Any, part: Any, fields: Any, ctx: Any) -> Any:
    from fasthep_flow.ops.contract import Events

    return Events({}, 1)


def entries(source: Any, file: Any, dataset: Any) -> int:
    return 1


class TrivialRegistry:
    """Specs whose implementations do nothing: what is left to time is the runtime itself."""

    def __init__(self) -> None:
        from fasthep_flow.registry.specs import OpKind, OpSpec

        self.functions: dict[str, Any] = {}
        self.constants: dict[str, Any] = {}
        self._noop = OpSpec("noop", OpKind.TRANSFORM, doc="nothing", impl="bench_run:noop")
        self._source = OpSpec("one", OpKind.SOURCE, doc="one event", impl="bench_run:one_event")

    def stage_op(self, name: str) -> Any:
        return self._noop

    def source(self, name: str) -> Any:
        return self._source

    def render(self, name: str) -> Any:
        return None

    def observer(self, name: str) -> Any:
        return None


def scheduler_overhead(nodes: int, repeats: int) -> tuple[float, float, float]:
    """µs per node: the whole ``run_plan``; without its record phase (serialising the plan into plan.json,
    moving files, run.json); and the partition chain alone."""
    from fasthep_flow.plan import DatasetPlan, ExecutionPlan, NodeKind, Partition, PlanNode, SourcePlan
    from fasthep_flow.runtime import RunOptions, run_plan
    from fasthep_flow.runtime.bindings import Bindings
    from fasthep_flow.runtime.chain import Job, program_for, run_partition

    plan_nodes = [PlanNode("read.events", NodeKind.READ, "one")]
    for i in range(nodes):
        src = plan_nodes[-1].id
        plan_nodes.append(PlanNode(f"stage.S{i}", NodeKind.STAGE, "noop", {}, f"S{i}", (src,)))
    plan = ExecutionPlan(
        nodes=tuple(plan_nodes),
        sources=(SourcePlan("events", "one"),),
        datasets=(DatasetPlan("d", nevents=1),),
    )
    registry = TrivialRegistry()
    whole = []
    scheduling = []
    chain = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            seconds, result = timed(run_plan, plan, RunOptions(Path(tmp) / f"o{i}"), registry=registry)
            assert result.ok
            whole.append(seconds)
            phases = result.summary.phases  # up to the record phase: plan.json, run.json, promotion excluded
            scheduling.append(phases["prepare"] + phases["execute"] + phases["outputs"])
        job = Job("bench", plan, Bindings.from_registry(plan, registry), Path(tmp))
        program_for(job)
        part = Partition("d", None, 0, 1, 0)
        for _ in range(repeats):
            chain.append(timed(run_partition, job, part)[0])
    return min(whole) / nodes * 1e6, min(scheduling) / nodes * 1e6, min(chain) / nodes * 1e6


# --- main ------------------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fasthep-flow-bench",
    )
    parser.add_argument("--rss-probe", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--rss-work", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_probe:
        rss_probe(args, args.rss_probe)
        return 0
    if args.rss_work:
        rss_work(args, args.rss_work)
        return 0

    path = input_file(args.cache_dir, args.events)
    size = path.stat().st_size / 2**20
    print(
        f"input: {path} ({args.events:,} events, {size:.0f} MiB); chunks of {CHUNK:,}; {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        compiled = compiled_workflow([path], folder)
        hand_t, flow_t, two_t, hand2_t = [], [], [], []
        hand_out = flow_out = None
        for i in range(args.repeats):  # A/B/C interleaved: slow phases of the VM hit all three alike
            seconds, hand_out = timed(handwritten, [path])
            hand_t.append(seconds)
            seconds, flow_out = timed(workflow_run, compiled, folder / f"s{i}")
            flow_t.append(seconds)
            seconds, _ = timed(workflow_run, compiled, folder / f"p{i}", "processes", 2)
            two_t.append(seconds)
            seconds, _ = timed(handwritten_two_processes, path, args.events)
            hand2_t.append(seconds)
            print(
                f"  repeat {i + 1}: hand-written {hand_t[-1]:.2f} s, run_plan {flow_t[-1]:.2f} s, "
                f"run_plan 2 workers {two_t[-1]:.2f} s, hand-written 2 processes {hand2_t[-1]:.2f} s",
                flush=True,
            )
    assert hand_out is not None and flow_out is not None
    same = hand_out["events"] == flow_out["events"] and hand_out["passed"] == flow_out["passed"]
    close = abs(hand_out["hist_sum"] - flow_out["hist_sum"]) <= 1e-9 * max(1.0, abs(hand_out["hist_sum"]))
    print(f"  same results: events {same}, histogram sum {close} ({hand_out['hist_sum']:.6g})")

    rss4 = rss_child(args, 1)
    rss8 = rss_child(args, 2)
    per_node, per_node_sched, per_node_chain = scheduler_overhead(args.nodes, args.repeats)

    n = args.events
    hand_rate, flow_rate, two_rate = n / min(hand_t), n / min(flow_t), n / min(two_t)
    ratio = flow_rate / hand_rate
    speedup = two_rate / flow_rate
    machine = min(hand_t) / min(hand2_t)
    growth = rss8 / rss4 - 1
    rows = [
        ("hand-written uproot.iterate + awkward + hist", f"{hand_rate / 1e6:.2f} M ev/s", "", ""),
        ("run_plan, 1 worker (serial)", f"{flow_rate / 1e6:.2f} M ev/s", "", ""),
        (
            "  ratio run_plan / hand-written",
            f"{ratio:.2f}",
            f">= {TARGETS['ratio']}",
            verdict(ratio >= TARGETS["ratio"]),
        ),
        ("run_plan, 2 process workers", f"{two_rate / 1e6:.2f} M ev/s", "", ""),
        (
            "  speed-up 2 workers / 1",
            f"{speedup:.2f}x",
            f">= {TARGETS['speedup']}x",
            verdict(speedup >= TARGETS["speedup"]),
        ),
        ("  control: hand-written, 2 processes / 1", f"{machine:.2f}x", "(what the machine allows)", ""),
        (
            f"peak RSS, {n // 10**6}M events",
            f"{rss4:.0f} MiB",
            f"< {TARGETS['rss_mb']:.0f} MiB",
            verdict(rss4 < TARGETS["rss_mb"]),
        ),
        (
            f"peak RSS, {2 * n // 10**6}M events",
            f"{rss8:.0f} MiB",
            f"< {TARGETS['rss_mb']:.0f} MiB",
            verdict(rss8 < TARGETS["rss_mb"]),
        ),
        (
            "  RSS growth 2x events",
            f"{100 * growth:+.1f}%",
            f"<= {100 * TARGETS['rss_growth']:.0f}%",
            verdict(growth <= TARGETS["rss_growth"]),
        ),
        (
            f"scheduler, {args.nodes:,}-node trivial plan",
            f"{per_node_sched:.1f} µs/node",
            f"<= {TARGETS['us_per_node']:.0f} µs",
            verdict(per_node_sched <= TARGETS["us_per_node"]),
        ),
        ("  of which running the partition chain", f"{per_node_chain:.1f} µs/node", "", ""),
        ("  whole run_plan incl. plan.json + run.json", f"{per_node:.1f} µs/node", "", ""),
    ]
    print()
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"{'measure'.ljust(widths[0])}  {'measured'.rjust(widths[1])}  {'target'.ljust(widths[2])}  result")
    for r in rows:
        print(f"{r[0].ljust(widths[0])}  {r[1].rjust(widths[1])}  {r[2].ljust(widths[2])}  {r[3]}")
    print(
        f"\n(best of {args.repeats} interleaved repeats; median hand-written {statistics.median(hand_t):.2f} s, "
        f"run_plan {statistics.median(flow_t):.2f} s, 2 workers {statistics.median(two_t):.2f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
