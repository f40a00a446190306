"""Which node of the document tree is at the cursor — it must work on text that does not parse (the cursor's
line is patched and parsed again by the one loader)."""

from __future__ import annotations

import pytest
from cursor_marks import at_cursor

from fasthep_flow.document.loader import parse_yaml
from fasthep_flow.document.nodes import MapNode, to_python, walk
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.service.cursor import PLACEHOLDER, place_at, tolerant_root

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


def test_the_placeholder_never_reaches_the_answer_and_later_columns_stay_real() -> None:
    text, pos = at_cursor(STAGES + "    - id: B\n      needs: [MuonVars, |, Other]\n")
    p = place_at(text, pos)
    assert (p.path, p.role, p.index, p.word) == (("analysis", "stages", 1, "needs"), "item", 1, "")
    seq = p.container
    other = seq.items[2]
    line = text.split("\n")[pos.line]
    assert other.text == "Other" and other.span.start == Pos(pos.line, line.index("Other"))
    assert other.span_of(0, 5).end == Pos(pos.line, line.index("Other") + 5)
    assert all(PLACEHOLDER not in getattr(n, "text", "") for n in walk(p.nodes[0]))


def test_an_unclosed_expression_string_is_a_scalar_with_exact_offsets() -> None:
    text, pos = at_cursor(STAGES + '          - {name: Muon_Eta, expr: "sqrt(Mu|\n')
    p = place_at(text, pos)
    assert p.scalar is not None and p.scalar.text == "sqrt(Mu"
    assert p.scalar.text_offset_at(pos) == len("sqrt(Mu")
    assert p.scalar.span_of(5, 7) == Span("", Pos(pos.line, pos.col - 2), pos)


def test_a_broken_line_elsewhere_is_blanked_not_the_answer() -> None:
    broken = STAGES.replace("      op: hep.define\n", "      op: hep.define\n      bad: [unclosed\n")
    text, pos = at_cursor(broken + "    - id: B\n      op: hep.h|\n")
    p = place_at(text, pos)
    assert (p.path, p.role, p.key, p.prefix) == (("analysis", "stages", 1), "value", "op", "hep.h")


def test_a_comment_is_no_place() -> None:
    assert place(STAGES + "    # a comm|ent\n").role == "none"


def test_after_a_closing_quote_the_cursor_is_not_in_the_string() -> None:
    assert place('a: "xy"|\n').role == "none"  # nothing may be typed there
    inside = place('a: "x|y"\n')
    assert (inside.role, inside.key, inside.quote, inside.prefix) == ("value", "a", '"', "x")


def test_a_parsed_document_is_answered_from_its_own_tree() -> None:
    text, pos = at_cursor(STAGES.replace("op: hep.define", "op: hep.de|fine"))
    parsed = parse_yaml(text, "t.yaml")
    p = place_at(text, pos, "t.yaml", parsed)
    stage = parsed.root.get("analysis").get("stages").items[0]  # type: ignore[union-attr]
    assert p.node_at(3) is stage  # no second parse: the very nodes of the document's tree
    assert (p.key, p.word, p.prefix) == ("op", "hep.define", "hep.de")


def test_tolerant_root_keeps_the_rest_of_a_broken_file() -> None:
    root = tolerant_root("a:\n  b: [1, 2\nc:\n  d: 3\n")
    assert isinstance(root, MapNode) and to_python(root.get("c")) == {"d": 3}


def _many_stages(n: int) -> str:
    body = "".join(
        f"    - id: S{i}\n      op: hep.define\n      params:\n        variables:\n"
        f'          - {{name: V{i}, expr: "Muon_Px * {i}"}}\n'
        for i in range(n)
    )
    return "version: 1.0\nsources:\n  events: {kind: toy, nevents: 10}\nanalysis:\n  stages:\n" + body


@pytest.mark.parametrize(
    ("old_line", "typed"),
    [
        ("      op: hep.define", "      needs: [S3, S|\n      op: hep.define"),  # an unclosed flow sequence
        ("      params:", "      |\n      params:"),  # a new key on an empty line
        ("          - {name: V", '          - {name: W, expr: "sqrt(Mu|'),  # an unclosed string
    ],
)
def test_a_long_workflow_reparses_only_the_stage_being_typed_in_with_the_same_answer(
    old_line: str, typed: str
) -> None:
    old = _many_stages(30)
    lines = old.split("\n")
    at = [i for i, line in enumerate(lines) if line == old_line or line.startswith(old_line)][12]
    text, pos = at_cursor("\n".join([*lines[:at], typed, *lines[at + 1 :]]))
    reference = (old, parse_yaml(old, "t.yaml"))
    windowed = place_at(text, pos, "t.yaml", reference=reference)
    whole = place_at(text, pos, "t.yaml")
    assert windowed.path[:3] == ("analysis", "stages", 12)
    first_stage = reference[1].root.get("analysis").get("stages").items[0]  # type: ignore[union-attr]
    assert windowed.node_at(2).items[0] is first_stage  # type: ignore[union-attr]  # only stage 12 was parsed
    assert (windowed.path, windowed.role, windowed.index, windowed.key, windowed.word, windowed.start) == (
        whole.path,
        whole.role,
        whole.index,
        whole.key,
        whole.word,
        whole.start,
    )
    assert windowed.siblings == whole.siblings
    assert to_python(windowed.node_at(3)) == to_python(whole.node_at(3))
    assert windowed.scalar is not None and whole.scalar is not None
    assert windowed.scalar.span == whole.scalar.span and windowed.scalar.text == whole.scalar.text


def test_a_stale_reference_is_not_trusted_for_the_window() -> None:
    old = _many_stages(30)
    text, pos = at_cursor(
        old.replace("    - id: S5\n", "    - id: S5\n      # added\n", 1) + "    - id: X\n      ne|\n"
    )
    p = place_at(text, pos, "t.yaml", reference=(_many_stages(31), parse_yaml(_many_stages(31), "t.yaml")))
    assert (p.path, p.role, p.word) == (("analysis", "stages", 30), "key", "ne")


def test_an_edit_outside_the_stage_keeps_the_reference_out() -> None:
    old = _many_stages(30)
    gone = "    - id: S2\n      op: hep.define\n      params:\n        variables:\n"
    gone += '          - {name: V2, expr: "Muon_Px * 2"}\n'
    assert gone in old
    text, pos = at_cursor(old.replace(gone, "").replace("    - id: S12\n", "    - id: S12\n      ne|\n"))
    p = place_at(text, pos, "t.yaml", reference=(old, parse_yaml(old, "t.yaml")))
    assert (p.path, p.role, p.word) == (("analysis", "stages", 11), "key", "ne")  # S12 is the 12th stage now
