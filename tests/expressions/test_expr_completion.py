"""expected_at: what may come at a cursor, written with a `|` marker in the expression."""

from __future__ import annotations

import pytest

from fasthep_flow.expressions import CompletionContext, expected_at


def at_cursor(marked: str, marker: str = "|") -> tuple[str, int]:
    """The text without the marker, and the offset where the marker was."""
    assert marked.count(marker) == 1, marked
    offset = marked.index(marker)
    return marked.replace(marker, ""), offset


def expect(marked: str) -> CompletionContext:
    text, offset = at_cursor(marked)
    return expected_at(text, offset)


def test_after_a_comparison_an_operand_is_wanted() -> None:
    ctx = expect("NMuon >= |")
    assert (ctx.wants_operand, ctx.wants_operator, ctx.prefix, ctx.prefix_start) == (True, False, "", 9)
    assert ctx.in_call is None and ctx.after_dot is None


def test_after_an_operand_an_operator_is_wanted() -> None:
    ctx = expect("NMuon |")
    assert (ctx.wants_operand, ctx.wants_operator) == (False, True)
    assert ctx.keywords == {"and", "or", "if"}


def test_prefix_inside_a_call() -> None:
    ctx = expect("sqrt(Mu|")
    assert (ctx.prefix, ctx.prefix_start, ctx.wants_operand, ctx.in_call, ctx.arg_index) == (
        "Mu",
        5,
        True,
        "sqrt",
        0,
    )


def test_second_argument_of_the_innermost_call() -> None:
    ctx = expect("leading(Muon_Pt, |")
    assert (ctx.in_call, ctx.arg_index, ctx.wants_operand) == ("leading", 1, True)
    ctx = expect("where(a > 1, sqrt(b|), c)")
    assert (ctx.in_call, ctx.arg_index, ctx.prefix) == ("sqrt", 0, "b")
    ctx = expect("where(a > 1, sqrt(b), |")
    assert (ctx.in_call, ctx.arg_index) == ("where", 2)


def test_inside_parentheses_in_a_call_still_names_the_call() -> None:
    ctx = expect("sqrt((Muon_Px + |")
    assert (ctx.in_call, ctx.wants_operand) == ("sqrt", True)


def test_subscript_is_not_a_call() -> None:
    ctx = expect("Muon_Pt[|")
    assert (ctx.in_call, ctx.wants_operand) == (None, True)


def test_after_a_dot_completes_dotted_fields() -> None:
    ctx = expect("Dimuon.|")
    assert (ctx.after_dot, ctx.prefix, ctx.prefix_start, ctx.wants_operand) == ("Dimuon", "", 7, True)
    ctx = expect("x > 1 and Dimuon.dim|")
    assert (ctx.after_dot, ctx.prefix, ctx.prefix_start) == ("Dimuon", "dim", 17)
    ctx = expect("a.b.|")
    assert ctx.after_dot == "a.b"


def test_cursor_in_the_middle_of_a_word_uses_the_part_before_it() -> None:
    ctx = expect("NMu|on > 2")
    assert (ctx.prefix, ctx.prefix_start, ctx.wants_operand) == ("NMu", 0, True)


def test_partial_keyword_is_a_prefix_in_operator_position() -> None:
    ctx = expect("NMuon > 2 an|")
    assert (ctx.prefix, ctx.prefix_start, ctx.wants_operator) == ("an", 10, True)
    assert "and" in ctx.keywords


def test_empty_text_wants_an_operand_and_not() -> None:
    ctx = expect("|")
    assert (ctx.wants_operand, ctx.wants_operator, ctx.keywords) == (True, False, frozenset({"not"}))


def test_conditional_offers_else() -> None:
    ctx = expect("a if b |")
    assert ctx.wants_operator and "else" in ctx.keywords


def test_inside_an_unfinished_string() -> None:
    ctx = expect("dataset == 'da|")
    assert (ctx.in_string, ctx.prefix, ctx.prefix_start) == (True, "da", 12)
    assert not ctx.wants_operand and not ctx.wants_operator


def test_nothing_is_wanted_after_an_error_before_the_cursor() -> None:
    ctx = expect("NMuon >= = |")
    assert (ctx.wants_operand, ctx.wants_operator) == (False, False)
    ctx = expect("x $ |")
    assert (ctx.wants_operand, ctx.wants_operator) == (False, False)


@pytest.mark.parametrize("offset", [-5, 0, 3, 100])
def test_offsets_are_clamped(offset: int) -> None:
    ctx = expected_at("abc", offset)
    assert 0 <= ctx.prefix_start <= 3
