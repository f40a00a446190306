"""Which node of the document tree is at the cursor — it must work on text that does not parse (the cursor's
line is patched and parsed again by the one loader)."""

from __future__ import annotations

import pytest
from cursor_marks import at_cursor

from fasthep_flow.service.cursor import place_at

STAGES = """\
version: 1.0
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
"""


def place(text: str, marker: str = "|"):
    clean, pos = at_cursor(text, marker)
    return place_at(clean, pos)


def test_top_level_key_being_typed() -> None:
    p = place("version: 1.0\nana|\n")
    assert (p.path, p.role, p.prefix, p.word) == ((), "key", "ana", "ana")
    assert p.siblings == ("version",)
    assert (p.start, p.end) == (0, 3)


def test_value_of_stage_op_while_typing() -> None:
    p = place(STAGES + "    - id: B\n      op: hep.h|\n")
    assert (p.path, p.role, p.key, p.prefix) == (("analysis", "stages", 1), "value", "op", "hep.h")
    assert (p.line, p.start, p.end) == (9, 10, 15)


def test_new_stage_key_on_an_empty_line_lists_the_keys_already_there() -> None:
    p = place(STAGES + "    - id: B\n      op: hep.hist\n      |\n")
    assert (p.path, p.role) == (("analysis", "stages", 1), "key")
    assert set(p.siblings) == {"id", "op"}


def test_unclosed_flow_sequence_in_needs() -> None:
    p = place(STAGES + "    - id: B\n      needs: [MuonVars, Bas|\n")
    assert (p.path, p.role, p.index, p.prefix) == (("analysis", "stages", 1, "needs"), "item", 1, "Bas")


def test_block_sequence_item_under_needs() -> None:
    p = place(STAGES + "    - id: B\n      needs:\n        - MuonVars\n        - |\n")
    assert (p.path, p.role, p.index) == (("analysis", "stages", 1, "needs"), "item", 1)


def test_unclosed_quote_in_flow_mapping_gives_the_expression_text() -> None:
    p = place(STAGES + '          - {name: Muon_Eta, expr: "sqrt(Mu|\n')
    assert (p.path, p.role, p.key) == (("analysis", "stages", 0, "params", "variables", 1), "value", "expr")
    assert p.quote == '"'
    assert p.scalar_text == "sqrt(Mu"
    assert p.prefix == "Mu"


def test_block_scalar_content_is_recognised() -> None:
    p = place(STAGES + "          - name: X\n            expr: |\n              Muon_Pt‸\n", marker="‸")
    assert p.block and p.role == "value" and p.key == "expr"
    assert p.path == ("analysis", "stages", 0, "params", "variables", 1)


def test_sequence_at_the_same_indentation_as_its_key() -> None:
    p = place("analysis:\n  stages:\n  - id: A\n  - id: B\n    op: x|\n")
    assert (p.path, p.key) == (("analysis", "stages", 1), "op")


def test_flow_mapping_value_in_render() -> None:
    p = place(STAGES + "      render: {style: mu|, when: final}\n")
    assert (p.path, p.role, p.key, p.word) == (("analysis", "stages", 0, "render"), "value", "style", "mu")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a:\n  b:\n    c: 1\n    |", ("a", "b")),
        ("a:\n  - x: 1\n    |", ("a", 0)),
        ("# comment\na:\n\n  # c\n  b: |", ("a",)),
    ],
)
def test_parents_skip_comments_and_blank_lines(text: str, expected: tuple) -> None:
    assert place(text).path == expected
