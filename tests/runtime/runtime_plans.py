"""Plans built by hand for the runtime's tests (the compiler is tested elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fasthep_flow.plan import DatasetPlan, ExecutionPlan, NodeKind, Origin, PlanNode, SourcePlan

WORKFLOW_TEXT = """\
version: 1.0
analysis:
  stages:
    - id: Define
      op: define
    - id: Select
      op: select
    - id: Hist
      op: histo
    - id: HistMu
      op: histo
    - id: Extra
      op: boom
"""
LINES = {"Define": 4, "Select": 6, "Hist": 8, "HistMu": 10, "Extra": 12}
"""1-based line of each stage's `- id:` in WORKFLOW_TEXT."""


def stage(
    sid: str,
    op: str,
    params: Mapping[str, Any] | None = None,
    src: str = "read.events",
    *,
    file: str | None = None,
    **kw: Any,
) -> PlanNode:
    origin = Origin(file, LINES.get(sid, 1)) if file else None
    return PlanNode(f"stage.{sid}", NodeKind.STAGE, op, dict(params or {}), sid, (src,), origin=origin, **kw)


def attachment(kind: NodeKind, sid: str, n: int, op: str, params: Mapping[str, Any], when: str) -> PlanNode:
    return PlanNode(f"{kind.value}.{sid}.{n}", kind, op, dict(params), sid, (f"stage.{sid}",), when=when)


def read(source: str = "events", op: str = "gen") -> PlanNode:
    return PlanNode(f"read.{source}", NodeKind.READ, op)


def make_plan(
    nodes: Sequence[PlanNode],
    datasets: Sequence[DatasetPlan] = (),
    *,
    source: SourcePlan | None = None,
    styles: Mapping[str, Any] | None = None,
    globals_: Mapping[str, Any] | None = None,
    workflow_file: str | None = None,
) -> ExecutionPlan:
    datasets = datasets or (
        DatasetPlan("data", "data", nevents=2500),
        DatasetPlan("mc", "mc", nevents=3700),
    )
    return ExecutionPlan(
        nodes=tuple(nodes),
        sources=(source or SourcePlan("events", "gen", {}, ()),),
        datasets=tuple(datasets),
        globals=dict(globals_ or {}),
        styles=dict(styles or {"plot": {"op": "sums", "title": "X"}}),
        workflow_file=workflow_file,
    )


def analysis_plan(workflow_file: str | None = None, **kw: Any) -> ExecutionPlan:
    """read → Define → Select (cutflow) → Hist (of y), HistMu (jagged, mc only); a final write and render."""
    f = workflow_file
    return make_plan(
        [
            read(),
            stage("Define", "define", {"name": "y", "scale": 3.0}, file=f),
            stage("Select", "select", {"min": 30.0}, "stage.Define", file=f),
            stage("Hist", "histo", {"field": "y"}, "stage.Select", file=f),
            stage("HistMu", "histo", {"field": "mu"}, "stage.Select", file=f, applies_to={"eventtype": "mc"}),
            attachment(NodeKind.WRITE, "Select", 0, "json_sink", {"path": "skims/selected.json"}, "final"),
            attachment(
                NodeKind.RENDER, "Hist", 0, "render", {"style": "plot", "out": "plots/hist.json"}, "final"
            ),
        ],
        workflow_file=workflow_file,
        **kw,
    )


def hist_arrays(h: Any) -> tuple[np.ndarray, np.ndarray]:
    return h.values(flow=True), h.variances(flow=True)
