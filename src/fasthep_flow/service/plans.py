"""The plan behind the code lenses: preview it (Mermaid text and JSON) and run it, or run it up to a stage.

Running is the runtime's job; this module picks what to run (the whole plan, or one stage with everything it
depends on), where outputs go (``<workflow dir>/fasthep-output/<stem>`` by default) and turns the result into
a one-line summary an editor can show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fasthep_flow.plan import ExecutionPlan
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document


@dataclass(frozen=True)
class PlanPreview:
    ok: bool
    mermaid: str = ""
    plan: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    text: str = ""
    """The plan as plain text (one line per node with what it reads): readable in any editor."""

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "mermaid": self.mermaid, "plan": self.plan, "problems": list(self.problems)}

    def markdown(self, title: str) -> str:
        """A document an editor without a webview can open: the text graph, then the Mermaid source."""
        if not self.ok:
            lines = [f"# Plan of {title}: not available", "", "The workflow has errors:", ""]
            return "\n".join(lines + [f"- {p}" for p in self.problems]) + "\n"
        return (
            f"# Plan of {title}\n\nplan hash `{self.plan.get('hash', '')}`\n\n```text\n{self.text}```\n\n"
            f"```mermaid\n{self.mermaid}```\n"
        )


def plan_text(plan: ExecutionPlan) -> str:
    """``node (op) <- inputs`` per node, in plan order (dependencies first); ``after`` marks ``needs``."""
    width = max((len(n.id) for n in plan.nodes), default=0)
    lines = []
    for n in plan.nodes:
        line = f"{n.id.ljust(width)}  {n.op}"
        if n.inputs:
            line += "  <- " + ", ".join(n.inputs)
        after = [a for a in n.after if a not in n.inputs]
        if after:
            line += "  (after " + ", ".join(after) + ")"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class RunReport:
    ok: bool
    message: str
    outdir: str | None = None
    outputs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"outputs": list(self.outputs), "errors": list(self.errors)}


def _problems(doc: Document, ctx: Context) -> tuple[str, ...]:
    result = doc.compiled(ctx)
    return tuple(
        f"{Path(d.span.file).name}:{d.span.start}: {d.code.id} {d.message}"
        for d in result.diagnostics
        if d.is_error
    )


def preview_plan(doc: Document, ctx: Context) -> PlanPreview:
    result = doc.compiled(ctx)
    if result.plan is None:
        return PlanPreview(False, problems=_problems(doc, ctx) or ("the workflow has no plan",))
    from fasthep_flow.plan import to_mermaid

    data = result.plan.to_dict()
    data["hash"] = result.plan.hash
    return PlanPreview(True, to_mermaid(result.plan), data, text=plan_text(result.plan))


def plan_until(plan: ExecutionPlan, stage_id: str) -> ExecutionPlan | None:
    """The part of ``plan`` that ``stage.<id>`` needs: the stage, its attachments and all their ancestors."""
    import networkx as nx

    target = f"stage.{stage_id}"
    if target not in plan.by_id:
        return None
    keep = {target} | {n.id for n in plan.nodes if n.stage == stage_id}
    graph = plan.graph
    for node in list(keep):
        keep |= nx.ancestors(graph, node)
    nodes = tuple(n for n in plan.nodes if n.id in keep)
    return dataclasses.replace(plan, nodes=nodes)


def default_outdir(doc: Document) -> Path:
    path = Path(doc.path)
    base = path.parent if path.is_absolute() else Path.cwd()
    return base / "fasthep-output" / path.stem.removesuffix(".flow")


def run_plan(
    doc: Document,
    ctx: Context,
    stage: str | None = None,
    progress: Callable[[Any], None] | None = None,
    outdir: Path | None = None,
    cancel: Any = None,
) -> RunReport:
    """Run the plan (or up to ``stage``); ``cancel`` (a ``threading.Event``) stops it, writing nothing."""
    result = doc.compiled(ctx)
    if result.plan is None:
        problems = _problems(doc, ctx)
        return RunReport(False, f"cannot run: the workflow has {len(problems)} error(s)", errors=problems)
    if result.untrusted_code:
        named = tuple(
            f"{item.what} '{item.ref}' (line {item.span.start.line + 1})" for item in result.untrusted_code
        )
        return RunReport(
            False,
            f"cannot run: the workflow names Python code and the workspace is not trusted: {', '.join(named)}",
            errors=named,
        )
    plan = result.plan
    if stage is not None:
        sub = plan_until(plan, stage)
        if sub is None:
            return RunReport(False, f"cannot run: there is no stage '{stage}' in the plan")
        plan = sub
    from fasthep_flow.runtime import RunOptions
    from fasthep_flow.runtime import run_plan as execute

    target = outdir or default_outdir(doc)
    confine = None if outdir else target.parent.parent  # the default: no link on the way to it
    options = RunOptions(outdir=target, confine_to=confine)
    run = execute(plan, options, progress=progress, registry=result.registry, cancel=cancel)
    s = run.summary
    what = f"up to stage '{stage}'" if stage else "plan"
    if run.cancelled:
        return RunReport(
            False,
            f"Run of {what} cancelled after {s.partitions_done}/{s.partitions} partitions; nothing was written",
            str(run.outdir),
        )
    if run.ok:
        message = (
            f"Ran {what}: {s.partitions_done}/{s.partitions} partitions, {s.events:,} events in {s.elapsed:.1f} s; "
            f"outputs in {run.outdir}"
        )
    else:
        first = run.errors[0].message if run.errors else "see the log"
        message = f"Run of {what} failed: {first} (outputs so far in {run.outdir})"
    return RunReport(
        run.ok,
        message,
        str(run.outdir),
        tuple(str(p) for p in run.outputs),
        tuple(d.message for d in run.errors),
    )
