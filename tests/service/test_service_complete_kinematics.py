"""Completion for the four-vector ops comes from their specs and data-flow: names, allowed values, new fields."""

from __future__ import annotations

from cursor_marks import at_cursor
from service_workflows import HEAD

from fasthep_flow.service import Context, Document, complete

URI = "file:///work/flows/t.flow.yaml"

TRIJETS = """\
    - id: Jets
      op: hep.select_objects
      params: {collection: Muon, output: Good, keep: [Px, Py, Pz, E, Iso]}
    - id: Trijets
      op: hep.combinations
      params:
        collection: Good
        k: 3
        output: Trijet
        inputs: {px: Px, py: Py, pz: Pz, E: E}
        outputs: [pt, mass]
        members: {max: [Iso]}
"""


def labels(text: str, ctx: Context) -> list[str]:
    clean, pos = at_cursor(text, "|")
    return [c.label for c in complete(Document(URI, clean, 1), pos, ctx)]


def test_new_op_names(ctx: Context) -> None:
    assert labels(HEAD + "    - id: T\n      op: hep.co|\n", ctx) == ["hep.combinations"]
    assert labels(HEAD + "    - id: T\n      op: hep.fo|\n", ctx) == ["hep.four_vectors"]


def test_pick_order_values(ctx: Context) -> None:
    text = HEAD + "    - id: T\n      op: hep.pick\n      params:\n        order: |\n"
    assert labels(text, ctx) == ["max", "min"]


def test_fields_written_by_combinations_are_offered_downstream(ctx: Context) -> None:
    text = (
        HEAD
        + TRIJETS
        + '    - id: H\n      op: hep.define\n      params:\n        variables: [{name: x, expr: "Trijet_m|"}]\n'
    )
    got = labels(text, ctx)
    assert {"Trijet_mass", "Trijet_max_Iso"} <= set(got) and "Trijet_eta" not in got
