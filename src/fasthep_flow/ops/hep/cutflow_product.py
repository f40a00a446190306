"""The cutflow product of ``hep.selection.cutflow``: per group, per step, events and weights in and out.

Plain data that pickles by value and adds (``a + b``) so partitions merge in any executor. Sums of weights are
float64 totals and event counts are ints, so adding partitions gives exactly the whole dataset's numbers
(up to float rounding of the weights).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fasthep_flow.document.diagnostics import InternalError

ROW_COLUMNS: tuple[str, ...] = (
    "events_in",
    "events_out",
    "weights_in",
    "weights_out",
    "weights_sq_in",
    "weights_sq_out",
    "efficiency",
)
"""The numbers of a row after ``group`` and ``step`` (the columns ``hep.render.cutflow_csv`` may pick)."""

COLUMN_DOCS: dict[str, str] = {
    "group": "selection group (a key of the stage's `selection`)",
    "step": "the step's label (its expression unless it sets `label`)",
    "events_in": "events reaching the step (unweighted)",
    "events_out": "events passing the step (unweighted)",
    "weights_in": "sum of `weight_expr` over the events reaching the step (= `events_in` without a weight)",
    "weights_out": "sum of `weight_expr` over the events passing the step",
    "weights_sq_in": "sum of squared weights reaching the step (its square root is the error of `weights_in`)",
    "weights_sq_out": "sum of squared weights passing the step",
    "efficiency": "`events_out / events_in`; empty (null) when no event reached the step",
}
"""Every key of a :meth:`Cutflow.to_rows` row, in order, with its meaning: the cutflow files, the CSV render
and docs/outputs.md all read this one table."""


@dataclass(frozen=True, slots=True)
class StepCounts:
    label: str
    events_in: int = 0
    events_out: int = 0
    weights_in: float = 0.0
    weights_out: float = 0.0
    weights_sq_in: float = 0.0
    weights_sq_out: float = 0.0

    def __add__(self, other: StepCounts) -> StepCounts:
        if other.label != self.label:
            raise InternalError(f"adding cutflow steps '{self.label}' and '{other.label}'")
        return StepCounts(
            self.label,
            self.events_in + other.events_in,
            self.events_out + other.events_out,
            self.weights_in + other.weights_in,
            self.weights_out + other.weights_out,
            self.weights_sq_in + other.weights_sq_in,
            self.weights_sq_out + other.weights_sq_out,
        )

    @property
    def efficiency(self) -> float | None:
        """Fraction of events kept by this step; None when no event reached it."""
        return self.events_out / self.events_in if self.events_in else None


@dataclass(frozen=True)
class Cutflow:
    """Groups in the order the workflow lists them; each group's steps in order."""

    groups: Mapping[str, tuple[StepCounts, ...]]
    parents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each group's parent groups: its first step starts from the events passing all of them."""

    def __add__(self, other: object) -> Cutflow:
        if not isinstance(other, Cutflow):
            return NotImplemented
        if list(self.groups) != list(other.groups) or any(
            len(self.groups[g]) != len(other.groups[g]) for g in self.groups
        ):
            raise InternalError("adding cutflows with different groups or steps")
        merged = {
            g: tuple(a + b for a, b in zip(self.groups[g], other.groups[g], strict=True)) for g in self.groups
        }
        return replace(self, groups=merged)

    def __radd__(self, other: object) -> Cutflow:
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    def steps(self, group: str) -> tuple[StepCounts, ...]:
        return self.groups[group]

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per group and step: ``group, step`` (the label) and then ``ROW_COLUMNS``."""
        rows: list[dict[str, Any]] = []
        for group, steps in self.groups.items():
            for step in steps:
                rows.append(
                    {
                        "group": group,
                        "step": step.label,
                        "events_in": step.events_in,
                        "events_out": step.events_out,
                        "weights_in": step.weights_in,
                        "weights_out": step.weights_out,
                        "weights_sq_in": step.weights_sq_in,
                        "weights_sq_out": step.weights_sq_out,
                        "efficiency": step.efficiency,
                    }
                )
        return rows
