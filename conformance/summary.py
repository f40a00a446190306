"""Counts gathered while the conformance tests run, printed at the end of the pytest run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    cases: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    """``<aspect> <verdict>`` → count (verdicts: pass, known-failure, fail, not-run)."""
    quantities: Counter[str] = field(default_factory=Counter)
    """compared, matched, known-failure, unexpected-mismatch, deviation."""

    def lines(self) -> list[str]:
        o, q = self.outcomes, self.quantities
        out = [f"cases: {len(self.cases)}"]
        for aspect in ("check", "run", "numbers"):
            verdicts = ("pass", "known-failure", "fail", "not-run")
            parts = [f"{v} {o[f'{aspect} {v}']}" for v in verdicts if o[f"{aspect} {v}"]]
            out.append(f"{aspect:<8} " + (", ".join(parts) or "none"))
        out.append(
            f"quantities compared {q['compared']}: matched {q['matched']}, known failures {q['known-failure']}, "
            f"unexpected mismatches {q['unexpected-mismatch']}; not compared (documented deviations) {q['deviation']}"
        )
        return out

    def to_data(self) -> dict[str, object]:
        """Plain data, for a pytest-xdist worker to hand its counts to the controller."""
        return {
            "cases": sorted(self.cases),
            "outcomes": dict(self.outcomes),
            "quantities": dict(self.quantities),
        }

    def add(self, data: dict[str, object]) -> None:
        """Add the counts of one worker (``to_data``) to these."""
        self.cases.update(data.get("cases") or ())  # type: ignore[arg-type]
        self.outcomes.update(data.get("outcomes") or {})  # type: ignore[arg-type]
        self.quantities.update(data.get("quantities") or {})  # type: ignore[arg-type]


TALLY = Tally()
