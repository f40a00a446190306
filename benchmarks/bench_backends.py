"""Per-node overhead of the Hamilton backend beside fasthep-flow's own step loop, on the same plan.

    python benchmarks/bench_backends.py [--stages 40] [--partitions 30] [--events 200] [--repeat 3]

A generated workflow of ``--stages`` cheap ``hep.define`` stages runs on ``--partitions`` toy partitions of
``--events`` events, in this process, two ways: ``run_partition`` (our loop over ``run_node``, what
every built-in executor runs; no cache) and a Hamilton driver whose nodes call the same ``run_node`` through
``run_step`` (``--executor hamilton``). The time spent inside the ops is measured by the runtime itself (per-node seconds
in each partition's stats); what is left, divided by the nodes run, is each engine's own cost per node.
Best of ``--repeat``. A measurement, not a test: the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def workflow(stages: int, events: int, partitions: int) -> str:
    lines = [
        "version: 1.0",
        "sources:",
        f"  events: {{kind: toy, nevents: {events * partitions}, seed: 1}}",
        "analysis:",
        "  stages:",
    ]
    for i in range(stages):
        lines += [
            f"    - id: S{i}",
            "      op: hep.define",
            f"      params: {{variables: [{{name: V{i}, expr: 'NMuon + {i}'}}]}}",
        ]
    return "\n".join(lines) + "\n"


def measure(args: argparse.Namespace) -> None:
    import uuid

    from fasthep_flow.backends.hamilton import INPUT, build_driver
    from fasthep_flow.compiler import compile_file
    from fasthep_flow.runtime.bindings import Bindings
    from fasthep_flow.runtime.chain import (
        Job,
        compile_program,
        finish_partition,
        run_partition,
        start_partition,
    )
    from fasthep_flow.runtime.partitions import make_partitions

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.flow.yaml"
        path.write_text(workflow(args.stages, args.events, args.partitions))
        result = compile_file(path)
        if not result.ok:
            raise SystemExit("\n".join(d.message for d in result.diagnostics))
        plan = result.plan
        bindings = Bindings.from_registry(plan, result.registry)
        parts = make_partitions(plan, list(plan.datasets), bindings, args.events).partitions
        job = Job(uuid.uuid4().hex, plan, bindings, Path(tmp), {})
        program = compile_program(plan, bindings)
        t0 = time.perf_counter()
        import hamilton.driver  # its import (pandas included) is timed apart from the build

        imported = time.perf_counter() - t0
        t0 = time.perf_counter()
        dr, names = build_driver(program)
        build = time.perf_counter() - t0
        nodes = len(program.steps) * len(parts)

        def ours() -> tuple[float, float]:
            op = 0.0
            t = time.perf_counter()
            for part in parts:
                op += sum(row.seconds for row in run_partition(job, part).stats.values())
            return time.perf_counter() - t, op

        def hamilton() -> tuple[float, float]:
            op = 0.0
            t = time.perf_counter()
            for part in parts:
                run = start_partition(program, job, part)
                dr.execute(names, inputs={INPUT: run})
                op += sum(row.seconds for row in finish_partition(run).stats.values())
            return time.perf_counter() - t, op

        results = {}
        for name, fn in (("fasthep-flow", ours), ("hamilton", hamilton)):
            fn()  # warm-up: caches, first imports
            results[name] = min((fn() for _ in range(args.repeat)), key=lambda r: r[0])

    print(
        f"{args.stages} stages + 1 read = {len(program.steps)} nodes x {len(parts)} partitions = {nodes} nodes"
    )
    print(f"Hamilton import: {imported * 1e3:.0f} ms; driver build (once per run): {build * 1e3:.1f} ms")
    print(f"{'engine':<14}{'wall ms':>10}{'in ops ms':>12}{'overhead µs/node':>20}{'total µs/node':>16}")
    for name, (wall, op) in results.items():
        print(
            f"{name:<14}{wall * 1e3:>10.1f}{op * 1e3:>12.1f}{(wall - op) / nodes * 1e6:>20.1f}"
            f"{wall / nodes * 1e6:>16.1f}"
        )
    ours_o = results["fasthep-flow"][0] - results["fasthep-flow"][1]
    ham_o = results["hamilton"][0] - results["hamilton"][1]
    print(f"Hamilton adds {(ham_o - ours_o) / nodes * 1e6:.1f} µs per node over our loop")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stages", type=int, default=40)
    parser.add_argument("--partitions", type=int, default=30)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
