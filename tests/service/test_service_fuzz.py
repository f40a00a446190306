"""Any text, any cursor: the service answers (never raises), and what it answers is placed sensibly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from service_workflows import HEAD, STYLES

from fasthep_flow.document.spans import Pos
from fasthep_flow.service import (
    Context,
    Document,
    complete,
    definition,
    document_symbols,
    folding_ranges,
    hover,
    prepare_rename,
    semantic_tokens,
)

BASE = (
    HEAD
    + "    - id: Plot\n      op: hep.hist\n      needs: [Baseline]\n      render: {style: muon_pt}\n"
    + STYLES
)
ALPHABET = " :-[]{}\"'#\n|>abcMuonPt_.,0129é😋"
CTX = Context()


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, Pos]:
    text = BASE
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 8))
        text = text[:at] + draw(st.text(alphabet=ALPHABET, max_size=6)) + text[at + cut :]
    lines = text.split("\n")
    line = draw(st.integers(0, len(lines) - 1))
    col = draw(st.integers(0, len(lines[line])))
    return text, Pos(line, col)


@settings(max_examples=150, deadline=None)
@given(case=edited())
def test_answers_are_placed_at_the_cursor(case: tuple[str, Pos]) -> None:
    text, pos = case
    doc = Document("file:///fuzz/w.flow.yaml", text, 1)
    for c in complete(doc, pos, CTX):
        assert c.replace.start <= pos <= c.replace.end, c
        assert c.replace.start.line == c.replace.end.line or "\n" in text
    found = hover(doc, pos, CTX)
    if found is not None:
        assert found.span.start <= pos <= found.span.end
    for span in definition(doc, pos, CTX):
        assert span.file
    prepare_rename(doc, pos, CTX)
    for t in semantic_tokens(doc, CTX):
        assert t.span.start.line == t.span.end.line and t.span.start.col < t.span.end.col
    for f in folding_ranges(text):
        assert 0 <= f.start_line < f.end_line < len(text.split("\n"))
    for s in document_symbols(doc, CTX):
        assert s.span.start <= s.selection.start and s.selection.end <= s.span.end
