"""The Python API: load a workflow, look at its plan, run it, and get histograms and cutflows back as objects.

A thin face over the layers, for notebooks and scripts::

    import fasthep_flow
    wf = fasthep_flow.load("wf.flow.yaml", overrides=["analysis.globals.iso_cut=0.2"])
    result = wf.run()                      # no output folder: nothing is left on disk
    result.hists["MuonPt", "total_mc"]     # a hist.Hist, the simulated datasets summed
    result.hists["MuonPt", "dy"]           # one dataset
    result.hists["MuonPt"]                 # the stage's only total (an error when it has data and MC)
    result.cutflows["Dimuon", "dy"].to_pandas()  # when pandas is installed

Mistakes in the workflow raise one :class:`WorkflowError` listing every diagnostic, positioned as
`fasthep-flow check` prints them; overrides are the command line's (`KEY=VALUE`, see docs/overrides.md).
"""

from __future__ import annotations

import html
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler import CompileOptions, CompileResult, compile_file, compile_text
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.ops.custom import op
from fasthep_flow.registry.specs import OpSpec

if TYPE_CHECKING:
    from fasthep_flow.plan import ExecutionPlan
    from fasthep_flow.runtime import RunResult

__all__ = ["Cutflows", "Hists", "Result", "Workflow", "WorkflowError", "load", "loads", "op"]


class WorkflowError(Exception):
    """A workflow that cannot be compiled (or a run that failed): every problem at once, not the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic], what: str = "the workflow has errors") -> None:
        self.diagnostics = tuple(diagnostics)
        self.what = what
        super().__init__(str(self))

    def __str__(self) -> str:
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        lines = [f"{self.what} ({len(errors)} error{'s' if len(errors) != 1 else ''}):"]
        for d in self.diagnostics:
            lines.append(f"  {_where(d)}: {d.severity.label}[{d.code.id}]: {d.message}")
            if d.hint:
                lines.append(f"      hint: {d.hint}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(_where(d))}</code></td><td>{d.severity.label}</td>"
            f"<td><code>{d.code.id}</code></td><td>{html.escape(d.message)}</td>"
            f"<td>{html.escape(d.hint or '')}</td></tr>"
            for d in self.diagnostics
        )
        return (
            f"<p><b>{html.escape(self.what)}</b></p><table><thead><tr><th>where</th><th>severity</th>"
            f"<th>code</th><th>message</th><th>hint</th></tr></thead><tbody>{rows}</tbody></table>"
        )


def _where(d: Diagnostic) -> str:
    return f"{d.span.file}:{d.span.start}"


def load(
    path: str | Path,
    overrides: Iterable[str] = (),
    *,
    trust: bool = False,
    check_inputs: bool = True,
    ops: Iterable[Any] = (),
) -> Workflow:
    """Compile a workflow file (with its includes and profiles); raises :class:`WorkflowError` on errors.

    ``ops``: functions decorated with :func:`op` (or op specs) the workflow may use besides the registry's —
    this program's own code, so no trust is asked for them."""
    options = CompileOptions(
        trust=trust, check_inputs=check_inputs, overrides=tuple(overrides), ops=specs_of(ops)
    )
    return Workflow._from(compile_file(Path(path), options), Path(path))


def loads(
    text: str,
    overrides: Iterable[str] = (),
    *,
    name: str = "<workflow>",
    trust: bool = False,
    ops: Iterable[Any] = (),
) -> Workflow:
    """Compile a workflow given as YAML text (relative paths resolve against the current folder)."""
    options = CompileOptions(trust=trust, overrides=tuple(overrides), ops=specs_of(ops))
    return Workflow._from(compile_text(text, name, options), None)


def specs_of(ops: Iterable[Any]) -> tuple[OpSpec, ...]:
    """The specs of ``@op`` functions (or specs given as they are), for ``CompileOptions.ops``."""
    out = []
    for item in ops:
        spec = item if isinstance(item, OpSpec) else getattr(item, "spec", None)
        if not isinstance(spec, OpSpec):
            raise TypeError(f"ops=: {item!r} is neither an @fasthep_flow.op function nor an OpSpec")
        out.append(spec)
    return tuple(out)


@dataclass(frozen=True)
class Workflow:
    """A compiled workflow: its plan, warnings, and a way to run it."""

    compiled: CompileResult = field(repr=False)
    path: Path | None

    @classmethod
    def _from(cls, compiled: CompileResult, path: Path | None) -> Workflow:
        if compiled.plan is None:
            raise WorkflowError(compiled.diagnostics)
        return cls(compiled, path)

    @property
    def plan(self) -> ExecutionPlan:
        plan = self.compiled.plan
        assert plan is not None  # _from refuses a workflow without one
        return plan

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.compiled.diagnostics if d.severity is not Severity.ERROR)

    @property
    def normalised(self) -> dict[str, Any]:
        """The normalised workflow as plain data (what `fasthep-flow compile` writes)."""
        return self.compiled.workflow or {}

    @property
    def graph(self) -> Any:
        """The plan as a networkx DiGraph of node ids."""
        return self.plan.graph

    @property
    def workflows(self) -> dict[str, tuple[str, ...]]:
        """The configuration's named workflows (``workflows:``): name -> the stage ids it lists or extends."""
        return dict(self.plan.workflows)

    def to_mermaid(self) -> str:
        from fasthep_flow.plan import to_mermaid

        return to_mermaid(self.plan)

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.to_mermaid()}\n```"

    def run(
        self,
        executor: str = "serial",
        *,
        workers: int | None = None,
        datasets: Sequence[str] = (),
        outdir: str | Path | None = None,
        chunk_size: int | None = None,
        keep_going: bool = False,
        check: bool = True,
        cache: bool | str | Path | None = None,
        workflow: str | Sequence[str] = (),
    ) -> Result:
        """Run the plan. With no ``outdir`` the run's files go to a temporary folder removed afterwards, and
        everything comes back in memory. ``check=False`` returns a failed result instead of raising.

        ``cache``: ``True`` uses the user's cache folder, a path that folder, ``False`` none; by default the
        workflow's ``execution.cache`` decides, and without it nothing is cached (a notebook's runs stay
        side-effect free unless asked).

        ``workflow``: one name of the configuration's ``workflows:`` (or several), as ``run --workflow NAME``;
        by default all of them. An unknown name raises ``ValueError`` naming the ones there are."""
        from fasthep_flow.plan.workflows import select_workflows
        from fasthep_flow.runtime import RunOptions, run_plan
        from fasthep_flow.runtime.cache_store import cache_folder

        setting = self.plan.execution.get("cache") if cache is None else cache
        cache_dir = None
        if setting is not None and setting is not False:
            explicit = str(setting) if isinstance(setting, str | Path) and cache is not None else None
            cache_dir = cache_folder(setting, self.plan.workflow_file, explicit)

        if self.compiled.untrusted_code:  # never run code the workflow names unless trusted, as `run` does
            raise WorkflowError(
                tuple(
                    Diagnostic(
                        codes.UNTRUSTED,
                        Severity.ERROR,
                        item.span,
                        f"{item.what} '{item.ref}' names Python code, and the workspace is not trusted",
                        hint="load the workflow with trust=True only if you trust the code it names",
                    )
                    for item in self.compiled.untrusted_code
                ),
                "refusing to run",
            )
        plan = select_workflows(self.plan, (workflow,) if isinstance(workflow, str) else workflow)
        chunk = chunk_size if chunk_size is not None else plan.execution.get("chunk_size", 100_000)
        scratch = None if outdir is not None else Path(tempfile.mkdtemp(prefix="fasthep-flow-"))
        options = RunOptions(
            outdir=Path(outdir) if outdir is not None else scratch / "out",  # type: ignore[operator]
            executor=executor,
            workers=workers or (1 if executor == "serial" else 2),
            chunk_size=chunk if isinstance(chunk, int) else 100_000,
            datasets=tuple(datasets),
            keep_going=keep_going,
            cache_dir=cache_dir,
            workflows=tuple(plan.workflows),
        )
        try:
            ran = run_plan(plan, options, registry=self.compiled.registry)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        if check and not ran.ok:
            raise WorkflowError(ran.errors, "the run failed")
        return Result(ran, plan, outdir=Path(outdir) if outdir is not None else None)


class _ByStage(Mapping[Any, Any]):
    """Products of one kind, addressed as ``[stage]`` (all datasets) or ``[stage, dataset]``."""

    kind = ""

    def __init__(
        self, products: Mapping[tuple[str, str], Mapping[str, Any]], datasets: Sequence[str]
    ) -> None:
        self._found: dict[tuple[str, str], Any] = {}
        for (node, label), named in products.items():
            for product in named.values():
                if self._accepts(product) and node.startswith("stage."):
                    self._found[(node.removeprefix("stage."), label)] = product
        self._datasets = tuple(datasets)

    def _accepts(self, product: Any) -> bool:
        raise NotImplementedError

    def __getitem__(self, key: str | tuple[str, str]) -> Any:
        stage, label = (key, None) if isinstance(key, str) else key
        if label is None:
            label = self._default_label(stage)
        try:
            return self._found[(stage, label)]
        except KeyError:
            raise KeyError(self._missing(stage, label)) from None

    def _default_label(self, stage: str) -> str:
        """``[stage]`` alone: the stage's one eventtype total (``total_mc``), or its only product.

        Data and simulation are never added together (see docs/outputs.md), so a stage with both has no
        single "all datasets" product: the error names the choices.
        """
        from fasthep_flow.ops.totals import is_total

        labels = [lab for (s, lab) in self._found if s == stage]
        totals = [lab for lab in labels if is_total(lab)]
        if len(totals) == 1:
            return totals[0]
        if len(labels) == 1 or not labels:
            return labels[0] if labels else ""
        choices = " or ".join(f"[{stage!r}, {lab!r}]" for lab in totals or labels)
        raise KeyError(
            f"stage {stage!r} has products for several eventtypes, which are never added together: "
            f"pick one, e.g. {choices}"
        )

    def _missing(self, stage: str, label: str) -> str:
        stages = sorted({s for s, _ in self._found})
        if stage not in stages:
            return f"no {self.kind} from a stage {stage!r}; there are: {', '.join(stages) or 'none'}"
        labels = [lab for (s, lab) in self._found if s == stage]
        return f"stage {stage!r} has no {self.kind} for {label!r}; it has: {', '.join(labels)}"

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for stage, _ in self._found:
            seen.setdefault(stage)
        return iter(seen)

    def __len__(self) -> int:
        return len({s for s, _ in self._found})

    def datasets_of(self, stage: str) -> list[str]:
        """The labels a stage has products for: each dataset, and each eventtype's ``total_<eventtype>``."""
        return [lab for (s, lab) in self._found if s == stage]


class Hists(_ByStage):
    """Histograms as ``hist.Hist`` objects."""

    kind = "histogram"

    def _accepts(self, product: Any) -> bool:
        return type(product).__name__ == "Hist" and hasattr(product, "axes")

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li><code>{html.escape(s)}</code>: {html.escape(', '.join(self.datasets_of(s)))}</li>"
            for s in self
        )
        return f"<p>{len(self)} histograms</p><ul>{items}</ul>"


class Cutflows(_ByStage):
    """Cutflows as :class:`CutflowTable` objects."""

    kind = "cutflow"

    def _accepts(self, product: Any) -> bool:
        return hasattr(product, "to_rows") and hasattr(product, "groups")

    def __getitem__(self, key: str | tuple[str, str]) -> CutflowTable:
        return CutflowTable(super().__getitem__(key))


@dataclass(frozen=True)
class CutflowTable:
    """One cutflow: a row per group and step (events and sums of weights in and out, efficiency)."""

    cutflow: Any

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.cutflow.to_rows()

    def to_pandas(self) -> Any:
        try:
            import pandas as pd
        except ImportError as exc:  # pandas is optional: say how to get it
            raise ImportError("CutflowTable.to_pandas() needs pandas: pip install pandas") from exc
        return pd.DataFrame(self.rows)

    def __str__(self) -> str:
        rows = self.rows
        if not rows:
            return "(empty cutflow)"
        cols = ["group", "step", "events_in", "events_out", "weights_out", "efficiency"]
        table = [cols, *[[_cell(r[c]) for c in cols] for r in rows]]
        widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
        return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in table)

    def _repr_html_(self) -> str:
        rows = self.rows
        cols = list(rows[0]) if rows else []
        head = "".join(f"<th>{c}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td>{_cell(r[c])}</td>" for c in cols) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Result:
    """What a run gives back: products as objects, the run record, the summary."""

    run: RunResult = field(repr=False)
    plan: ExecutionPlan = field(repr=False)
    outdir: Path | None

    @property
    def ok(self) -> bool:
        return self.run.ok

    @property
    def hists(self) -> Hists:
        return Hists(self.run.products, [d.name for d in self.plan.datasets])

    @property
    def cutflows(self) -> Cutflows:
        return Cutflows(self.run.products, [d.name for d in self.plan.datasets])

    @property
    def record(self) -> dict[str, Any]:
        """The run record (`run.json`'s content)."""
        return dict(self.run.record or {})

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(self.run.errors)

    def _repr_html_(self) -> str:
        status = "ok" if self.ok else "failed"
        return (
            f"<p>run {status}: {self.run.summary.events} events, {self.run.summary.partitions} partitions, "
            f"{self.run.summary.elapsed:.2f} s</p>{self.hists._repr_html_()}"
        )
