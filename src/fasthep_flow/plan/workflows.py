"""Named workflows of one configuration: the part of a plan that one or several of them run.

A configuration's ``workflows:`` names sets of stages (see docs/language.md, "Several workflows"). The plan keeps
them as ``plan.workflows`` (name -> stage ids); running some of them runs the plan cut down to those stages,
every node they depend on (``inputs`` and ``after``), their attachments, and the observers of what is kept.
A stage two workflows share is one node of the cut plan, so it runs once per partition however many of the
selected workflows use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from fasthep_flow.plan.model import ExecutionPlan, NodeKind

_ATTACHED = (NodeKind.WRITE, NodeKind.RENDER, NodeKind.INSPECT)


class UnknownWorkflow(ValueError):
    """A workflow name the plan does not define (the compiler reports it as a diagnostic first)."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(known)
        listed = ", ".join(self.known) if self.known else "none (the file has no `workflows:`)"
        super().__init__(f"unknown workflow {name!r}; the configuration defines: {listed}")


def select_workflows(plan: ExecutionPlan, names: Iterable[str]) -> ExecutionPlan:
    """The plan reduced to what the named workflows run (the whole plan when ``names`` is empty).

    Nodes keep their order, ids and params: a stage is the same node (``stage.<id>``, one entry per dataset in
    the run record) whether one workflow runs or all of them do.
    """
    names = tuple(dict.fromkeys(names))
    if not names:
        return plan
    for name in names:
        if name not in plan.workflows:
            raise UnknownWorkflow(name, plan.workflows)
    stages = {stage for name in names for stage in plan.workflows[name]}
    by_id = plan.by_id
    keep: set[str] = set()
    todo = [n.id for n in plan.nodes if n.stage in stages]  # the stages, their writes, renders, inspects
    while todo:
        while todo:  # every node a kept node reads or waits for
            node_id = todo.pop()
            if node_id in keep or node_id not in by_id:
                continue
            keep.add(node_id)
            node = by_id[node_id]
            todo.extend((*node.inputs, *node.after))
        # a stage runs with its attachments (a needed stage's cutflow table is written too), and observers
        # (`observers:`) of what is kept run as well
        todo = [
            n.id
            for n in plan.nodes
            if n.id not in keep
            and n.kind in _ATTACHED
            and (
                f"stage.{n.stage}" in keep
                or ((deps := (*n.inputs, *n.after)) and all(d in keep for d in deps))
            )
        ]
    return replace(
        plan,
        nodes=tuple(n for n in plan.nodes if n.id in keep),
        workflows={name: plan.workflows[name] for name in names},
    )


def workflow_stages(plan: ExecutionPlan, names: Iterable[str]) -> tuple[str, ...]:
    """The stage ids the named workflows run, in plan order (what a reader of the run record looks for)."""
    selected = select_workflows(plan, names)
    return tuple(n.stage for n in selected.nodes if n.kind is NodeKind.STAGE and n.stage)
