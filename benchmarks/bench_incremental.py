"""Incremental re-runs with the content-addressed cache, on the generated 4M-event file.

    python benchmarks/bench_incremental.py                       # 4M events
    python benchmarks/bench_incremental.py --events 1000000 --data-dir /tmp/ff-bench

A workflow of seven stages in two branches (a shared define; branch A: cutflow, histogram, define, histogram;
branch B, `from: MuonVars`: cutflow, histogram). Measured in one run, each time compile + run as the CLI does:

1. T: the full run into an empty cache (also, for reference, the same run without a cache);
2. the unchanged re-run (target: ≤ 3% of T, nothing recomputed);
3. the last stage's expression edited (target: ≤ 10% of T, only that stage recomputed);
4. a comment-only edit (target: 0 nodes recomputed).

The input is generated once into --data-dir (never into the repository); the cache is a fresh temporary folder.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_run import WORKFLOW as BENCH_RUN_WORKFLOW  # noqa: E402 - the benchmark's common workflow
from bench_run import input_file  # noqa: E402 - the shared generator of the benchmark file

CHUNK = 500_000
TARGETS = {"unchanged": 0.03, "last_stage": 0.10}

EXTRA_STAGES = """\
    - id: LeadVars
      op: hep.define
      params:
        variables:
          - {{name: LeadPt, expr: "leading(Muon_Pt, 0)"}}
    - id: LeadPtHist
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        axes: [{{name: lead, source: LeadPt, type: regular, bins: {{low: 0, high: 120, nbins: 60}}}}]
    - id: Single
      from: MuonVars
      op: hep.selection.cutflow
      params:
        selection:
          single: ["NMuon >= 1"]
        weight_expr: EventWeight
    - id: WeightHist
      op: hep.hist
      params:
        storage: weighted
        weight_expr: "{weight}"
        axes: [{{name: w, source: EventWeight, type: regular, bins: {{low: 0, high: 2, nbins: 40}}}}]
"""
WORKFLOW = BENCH_RUN_WORKFLOW + EXTRA_STAGES
"""bench_run's workflow (define, cutflow, histogram) and four more stages: a define and a histogram below it,
and a second branch from MuonVars (a cutflow and a histogram whose weight is the edited expression)."""


def run_once(path: Path, text: str, outdir: Path, cache: Path | None) -> tuple[float, dict[str, Any]]:
    from fasthep_flow.compiler import compile_file
    from fasthep_flow.runtime import RunOptions, run_plan

    path.write_text(text)
    t0 = time.perf_counter()
    compiled = compile_file(path)
    if not compiled.ok:
        raise SystemExit("does not compile:\n" + "\n".join(d.message for d in compiled.diagnostics))
    options = RunOptions(outdir=outdir, chunk_size=CHUNK, cache_dir=cache)
    result = run_plan(compiled.plan, options, registry=compiled.registry)
    elapsed = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit("the run failed:\n" + "\n".join(d.message for d in result.errors))
    return elapsed, result.record["cache"]


def recomputed_nodes(cache: dict[str, Any]) -> list[str]:
    return sorted({row["node"] for row in cache["nodes"] if row["recomputed"]})


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4_000_000)
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "fasthep-flow-bench"))
    args = parser.parse_args()
    data = input_file(Path(args.data_dir), args.events)
    work = Path(tempfile.mkdtemp(prefix="ff-incremental-"))
    try:
        wf, out, cache = work / "bench.flow.yaml", work / "out", work / "cache"
        base = WORKFLOW.format(files=json.dumps([str(data)]), weight="EventWeight")
        edited = WORKFLOW.format(files=json.dumps([str(data)]), weight="EventWeight * 2")
        commented = "# a comment-only edit\n" + base.replace("analysis:", "analysis:   # the analysis")

        t_plain, _ = run_once(wf, base, out, None)
        t_full, full = run_once(wf, base, out, cache)
        t_same, same = run_once(wf, base, out, cache)
        t_edit, edit = run_once(wf, edited, out, cache)
        t_comment, comment = run_once(wf, commented, out, cache)
        size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())

        print(f"{args.events:,} events, {CHUNK:,}-entry partitions, 7 stages in two branches, serial")
        print(f"  without cache (reference):   {t_plain:7.2f} s")
        print(
            f"  T, full run, empty cache:    {t_full:7.2f} s   recomputed {full['recomputed']} node-partitions"
        )
        print(
            f"  unchanged re-run:            {t_same:7.2f} s = {t_same / t_full:6.1%} of T"
            f" (target <= {TARGETS['unchanged']:.0%})   recomputed {same['recomputed']}"
            + ("   (outputs reused whole)" if same.get("reused_from") else "")
        )
        print(
            f"  last stage's expression:     {t_edit:7.2f} s = {t_edit / t_full:6.1%} of T"
            f" (target <= {TARGETS['last_stage']:.0%})   recomputed {edit['recomputed']}: {recomputed_nodes(edit)}"
        )
        print(
            f"  comment-only edit:           {t_comment:7.2f} s   recomputed {comment['recomputed']} (target 0)"
        )
        print(f"  cache folder: {size / 1e6:,.0f} MB")
        ok = (
            t_same <= TARGETS["unchanged"] * t_full
            and t_edit <= TARGETS["last_stage"] * t_full
            and same["recomputed"] == 0
            and bool(same.get("reused_from"))
            and comment["recomputed"] == 0
            and recomputed_nodes(edit) == ["stage.WeightHist"]
        )
        print("all targets met" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
