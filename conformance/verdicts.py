"""What conforming means for each aspect of a case; shared by the pytest suite and ``report.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.cases import Case
from conformance.compare import Quantity, compare, excluded
from conformance.runner import Outcome


def runs_upstream(case: Case) -> bool:
    """Upstream ran the case and ours is expected to run it too (not a mistake case)."""
    golden = case.golden()
    return bool(golden and golden["upstream"]["runs"] and case.compare and case.expect == "clean")  # type: ignore[index]


def has_products(case: Case) -> bool:
    golden = case.golden() or {}
    return any(golden.get("products", {}).get(k) for k in ("cutflows", "histograms", "files"))  # type: ignore[union-attr]


def qualified(diagnostic: str) -> str:
    """``L:C CODE`` → ``workflow.yaml:L:C CODE``; ``file:L:C CODE`` unchanged."""
    where = diagnostic.split()[0]
    return diagnostic if where.count(":") >= 2 else f"workflow.yaml:{diagnostic}"


def check_problems(case: Case, outcome: Outcome) -> list[str]:
    """Why ours' check does not conform (empty when it does)."""
    if case.expect == "clean":
        return [f"error {d.rsplit(' ', 1)[0]}" for d in outcome.diagnostics if d.endswith(" error")]
    if case.expect == "diagnostics":
        found = {d.rsplit(" ", 1)[0] for d in outcome.diagnostics}
        return [f"missing {d}" for d in sorted({qualified(d) for d in case.diagnostics} - found)]
    # `expect: any` — upstream rejects the workflow and ours may accept it (an extension) or not; either way
    # checking it must end in diagnostics, never in an internal error
    return [f"internal error {d.rsplit(' ', 1)[0]}" for d in outcome.diagnostics if " FF900 " in d]


def run_problem(outcome: Outcome) -> str | None:
    if not outcome.ran:
        return "not run: ours' check reports errors"
    if outcome.returncode != 0:
        lines = [ln for ln in outcome.log.splitlines() if ln.strip()]
        return next((ln for ln in lines if "error" in ln), lines[-1] if lines else "failed").strip()
    return None


@dataclass
class Numbers:
    compared: list[Quantity] = field(default_factory=list)
    deviations: list[Quantity] = field(default_factory=list)

    @property
    def differing(self) -> list[Quantity]:
        return [q for q in self.compared if not q.matched]


def numbers(case: Case, outcome: Outcome) -> Numbers | None:
    """Every golden quantity compared with ours' products; None when ours produced none."""
    golden = case.golden()
    if outcome.products is None or golden is None:
        return None
    out = Numbers()
    for q in compare(golden["products"], outcome.products):  # type: ignore[arg-type]
        (out.deviations if excluded(q.name, case.deviations) else out.compared).append(q)
    return out
