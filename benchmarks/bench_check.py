"""How fast `fasthep-flow check` is: cold commands on the toy example and on a ROOT-reading workflow, and
compiling a 500-stage workflow.

    python benchmarks/bench_check.py [--runs 10] [--stages 500]

1. Cold check: ``python -m fasthep_flow check examples/toy_zmumu.flow.yaml`` in a new process each time
   (interpreter start, imports, registry, compile, output) with this interpreter, so that ``PYTHONPATH``
   picks the sources measured; median of ``--runs``. Target ≤ 0.35 s: fast enough for a pre-commit hook and
   for an editor that shells out.
2. The same for a workflow reading ``tests/data/uproot-HZZ.root`` (branches checked against the file): the
   first run with an empty metadata cache (it imports uproot), then the median of ``--runs`` more (the
   common case: the file's metadata is cached on disk by its identity). Same target.
3. In-process compile of a generated workflow of ``--stages`` stages (defines, selections, histograms, each
   reading fields of earlier stages): median of ``--runs`` after one warm-up. Target ≤ 150 ms: the language
   server recompiles on every pause in typing.

Both numbers are printed beside their targets; the exit status is 0 either way (it is a measurement, not a
test: this VM's timings vary by tens of percent between runs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "toy_zmumu.flow.yaml"
COLD_TARGET_S = 0.35
COMPILE_TARGET_MS = 150.0


def cold_check_seconds(runs: int, workflow: Path = EXAMPLE, env: dict[str, str] | None = None) -> list[float]:
    command = [sys.executable, "-m", "fasthep_flow", "check", str(workflow)]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"check failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return times


ROOT_WORKFLOW = """\
version: 1.0
data:
  defaults: {{eventtype: mc, tree_primary: events}}
  datasets:
    - {{name: hzz, files: [{path}]}}
sources:
  events: {{kind: root_tree, tree: events}}
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
        selection: {{dimuon: ["NMuon >= 2", "Muon_Pt > 10"]}}
        weight_expr: EventWeight
    - id: MuonPt
      op: hep.hist
      needs: [Dimuon]
      params:
        weight_expr: EventWeight
        axes: [{{name: pt, source: Muon_Pt, type: regular, bins: {{low: 0, high: 120, nbins: 60}}}}]
"""


def cold_root_check_seconds(runs: int) -> tuple[float, list[float]]:
    """(first run with an empty metadata cache, the next ``runs`` runs) for a ROOT-reading workflow."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workflow = Path(tmp) / "hzz.flow.yaml"
        workflow.write_text(ROOT_WORKFLOW.format(path=REPO / "tests" / "data" / "uproot-HZZ.root"))
        env = dict(os.environ, FASTHEP_FLOW_CACHE_DIR=str(Path(tmp) / "cache"))
        first = cold_check_seconds(1, workflow, env)[0]
        return first, cold_check_seconds(runs, workflow, env)


def generated_workflow(n_stages: int) -> str:
    """A valid workflow of ``n_stages`` stages; every fourth stage is a define whose fields later ones read."""
    lines = [
        "version: 1.0",
        "sources:",
        "  events: {kind: toy, nevents: 1000}",
        "data:",
        "  datasets:",
        "    - {name: data, eventtype: data}",
        "    - {name: dy}",
        "analysis:",
        "  globals: {iso_cut: 0.1, pt_cut: 20}",
        "  stages:",
    ]
    last_define = None
    for i in range(n_stages):
        kind = i % 4
        if kind == 0 or last_define is None:
            lines += [
                f"    - id: Vars{i}",
                "      op: hep.define",
                "      params:",
                "        variables:",
                f'          - {{name: Pt{i}, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2) * {1 + i / n_stages:.4f}"}}',
                f'          - {{name: Iso{i}, expr: "(Muon_Iso / (Pt{i} + 1e-6)) < iso_cut"}}',
                f"          - {{name: NIso{i}, reduce: {{op: count_nonzero, over: Iso{i}}}}}",
            ]
            last_define = i
        elif kind == 1:
            lines += [
                f"    - id: Flag{i}",
                "      op: hep.selection.flag",
                "      params:",
                f'        selection: ["NIso{last_define} >= 0", "leading(Pt{last_define}, 0) >= 0 || NMuon == 0"]',
            ]
        elif kind == 2:
            lines += [
                f"    - id: Cuts{i}",
                "      op: hep.selection.cutflow",
                "      params:",
                f'        selection: {{g: ["NMuon >= 0", "EventWeight > -1e9 && NIso{last_define} >= 0"]}}',
                "        weight_expr: EventWeight",
                "        filter: none",
            ]
        else:
            lines += [
                f"    - id: Hist{i}",
                "      op: hep.hist",
                "      params:",
                "        storage: weighted",
                "        weight_expr: EventWeight",
                f"        axes: [{{name: pt, source: Pt{last_define}, type: regular,"
                " bins: {low: 0, high: 200, nbins: 50}}]",
            ]
    return "\n".join(lines) + "\n"


def compile_milliseconds(n_stages: int, runs: int) -> list[float]:
    from fasthep_flow.compiler import CompileOptions, compile_text

    text = generated_workflow(n_stages)
    options = CompileOptions(trust=False, check_inputs=True)
    warm = compile_text(text, str(REPO / "benchmarks" / "generated.flow.yaml"), options)
    if warm.diagnostics or warm.plan is None:
        shown = "\n".join(f"{d.span.start} {d.code.id} {d.message}" for d in warm.diagnostics[:10])
        raise SystemExit(f"the generated workflow is not clean:\n{shown}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        compile_text(text, str(REPO / "benchmarks" / "generated.flow.yaml"), options)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--stages", type=int, default=500)
    args = parser.parse_args(argv)

    cold = cold_check_seconds(args.runs)
    root_first, root = cold_root_check_seconds(args.runs)
    comp = compile_milliseconds(args.stages, args.runs)
    cold_med, comp_med, root_med = statistics.median(cold), statistics.median(comp), statistics.median(root)
    rows = [
        ("measurement", "median", "min", "max", "target", "ok"),
        (
            f"cold `fasthep-flow check` toy example ({args.runs} runs)",
            f"{cold_med:.3f} s",
            f"{min(cold):.3f} s",
            f"{max(cold):.3f} s",
            f"<= {COLD_TARGET_S:.2f} s",
            "yes" if cold_med <= COLD_TARGET_S else "NO",
        ),
        (
            f"cold `check` ROOT-reading workflow, metadata cached ({args.runs} runs)",
            f"{root_med:.3f} s",
            f"{min(root):.3f} s",
            f"{max(root):.3f} s",
            f"<= {COLD_TARGET_S:.2f} s",
            "yes" if root_med <= COLD_TARGET_S else "NO",
        ),
        (
            "cold `check` ROOT-reading workflow, first run (empty cache: imports uproot)",
            f"{root_first:.3f} s",
            "",
            "",
            "",
            "",
        ),
        (
            f"compile {args.stages}-stage workflow in-process ({args.runs} runs)",
            f"{comp_med:.1f} ms",
            f"{min(comp):.1f} ms",
            f"{max(comp):.1f} ms",
            f"<= {COMPILE_TARGET_MS:.0f} ms",
            "yes" if comp_med <= COMPILE_TARGET_MS else "NO",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
