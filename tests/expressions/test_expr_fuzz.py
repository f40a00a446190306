"""Random text never makes parse / check / expected_at raise; errors always point inside the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fasthep_flow.expressions import Expr, ExprError, FunctionSig, check, expected_at, parse

SIGS = {"sqrt": FunctionSig("sqrt", 1, 1), "where": FunctionSig("where", 3, 3, params=("c", "a", "b"))}

# Pieces of the language, so that random text often gets deep into the grammar instead of failing at once.
# fmt: off
PIECES = [
    "x", "Muon_Pt", "Dimuon.dimuon", "sqrt", "where", "(", ")", "[", "]", ",", ":", ".", "...", "=", "==", "<",
    "<=", ">=", "!=", "+", "-", "*", "**", "/", "//", "%", "&", "|", "^", "~", "&&", "||", "and", "or", "not",
    "if", "else", "lambda", "for", "in", ":=", "1", "2.5", ".5", "1e-3", "'s'", '"', "'", "f'x'", "True",
    "none", "__class__", "$", "!", "{", "\\", "é", "😋", " ", " ", " ", "\n",
]
# fmt: on

texts = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
)


def _within(err: ExprError, text: str) -> bool:
    return 0 <= err.start <= err.end <= len(text)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_parse_and_check_never_raise(text: str) -> None:
    result = parse(text)
    assert isinstance(result, (Expr, ExprError))
    if isinstance(result, ExprError):
        assert _within(result, text) and result.message
        return
    for err in check(result, SIGS):
        assert _within(err, text) and err.message
    for _name, start, end in result.symbol_spans():
        assert 0 <= start < end <= len(text)
    for _kind, start, end in result.tokens():
        assert 0 <= start < end <= len(text)


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=0, max_value=60))
def test_expected_at_never_raises(text: str, offset: int) -> None:
    ctx = expected_at(text, min(offset, len(text)))
    assert 0 <= ctx.prefix_start <= len(text)
    assert text[ctx.prefix_start :].startswith(ctx.prefix)
