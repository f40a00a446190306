"""``--executor hamilton``: each partition runs as an Apache Hamilton dataflow whose nodes are the plan's steps.

The plan's partition-level steps (read, each stage, partition writes and observers) become Hamilton nodes named
after the plan nodes (``stage.Dimuon`` -> ``stage__Dimuon``), with the plan's edges (input stream and
``needs``) as Hamilton dependencies; each node calls the runtime's ``run_step``, i.e. our op implementations,
on the partition's state, which flows from node to node. Partitions are then folded with the runtime's fixed
merge tree, so the products are the ones every other executor gives.

What Hamilton adds is its ecosystem around the same DAG: lifecycle adapters (progress bars, the Hamilton UI
tracker from ``apache-hamilton-sdk``, OpenTelemetry/Datadog tracing) and DAG visualisation
(``Driver.display_all_functions``); ``HamiltonExecutor(adapters=[...])`` passes adapters through. It runs the
partitions one after another in this process (Hamilton's own parallel executors are not used).
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections.abc import Sequence
from typing import Any

from fasthep_flow.plan import Partition
from fasthep_flow.runtime.chain import (
    Job,
    PartitionRun,
    Program,
    Step,
    finish_partition,
    partition_info,
    program_for,
    run_step,
    start_partition,
)
from fasthep_flow.runtime.executors.base import Collector, DatasetFolds

INPUT = "partition_run"
"""The driver's one input: the partition's state, which the read nodes start from."""


def node_name(node_id: str) -> str:
    """A Hamilton node name (a Python identifier) for a plan node id: ``stage.Dimuon`` -> ``stage__Dimuon``."""
    name = re.sub(r"\W", "_", node_id.replace(".", "__"))
    return name if name.isidentifier() and not name[0].isdigit() else f"n_{name}"


def _node_function(step: Step, deps: Sequence[str]) -> types.FunctionType:
    """A function Hamilton can read: its parameters are the nodes it depends on, each a ``PartitionRun``."""

    def node(**inputs: PartitionRun) -> PartitionRun:
        run = next(iter(inputs.values()))
        run_step(run, step)
        return run

    name = node_name(step.id)
    params = [inspect.Parameter(d, inspect.Parameter.KEYWORD_ONLY, annotation=PartitionRun) for d in deps]
    node.__name__ = node.__qualname__ = name
    node.__signature__ = inspect.Signature(params, return_annotation=PartitionRun)  # type: ignore[attr-defined]
    node.__annotations__ = {**{d: PartitionRun for d in deps}, "return": PartitionRun}
    node.__doc__ = f"Plan node {step.id} ({step.role}, op of stage {step.stage})."
    return node  # type: ignore[return-value]


def build_driver(program: Program, adapters: Sequence[Any] = ()) -> tuple[Any, list[str]]:
    """The Hamilton driver of ``program``'s steps, and the names of its nodes in plan order."""
    from hamilton import ad_hoc_utils, driver

    functions = []
    names = []
    for step in program.steps:
        deps = [node_name(d) for d in dict.fromkeys(((step.src,) if step.src else ()) + step.deps)]
        functions.append(_node_function(step, deps or [INPUT]))
        names.append(node_name(step.id))
    module = ad_hoc_utils.create_temporary_module(*functions)
    try:
        builder = driver.Builder().with_modules(module)
        if adapters:
            builder = builder.with_adapters(*adapters)
        return builder.build(), names
    finally:
        sys.modules.pop(module.__name__, None)  # the driver holds the functions; one module per run, not kept


class HamiltonExecutor:
    """Runs each partition through a Hamilton driver built once per run from the plan's steps."""

    name = "hamilton"

    def __init__(self, workers: int = 1, adapters: Sequence[Any] = ()) -> None:
        self.workers = 1
        self.adapters = tuple(adapters)

    def execute(self, job: Job, parts: Sequence[Partition], collector: Collector) -> None:
        program = program_for(job)
        dr, names = build_driver(program, self.adapters)
        folds = DatasetFolds(job, parts, collector)
        for part in parts:
            # Hamilton orders the nodes by their edges, not by the plan's step order, so the runtime's early
            # release of streams (computed for the plan order) is off: a partition keeps its streams to the end.
            run = start_partition(program, job, part)
            dr.execute(names, inputs={INPUT: run})
            partial = finish_partition(run)
            if not collector.partition_done(part, partition_info(partial)):
                return
            folds.add(part, partial)
