"""Offset tables: every character of a decoded scalar maps back to the file character it came from."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fasthep_flow.document import MapNode, Pos, ScalarNode, ScalarStyle, SeqNode, parse_yaml
from fasthep_flow.document.nodes import walk
from fasthep_flow.document.scalars import decode_scalar, skip_properties

LOADERS = pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure"])
BREAKS = "\r\n\x85\u2028\u2029"


def scalar_at(text: str, *path: str | int, libyaml: bool = True) -> ScalarNode:
    loaded = parse_yaml(text, "t.yaml", libyaml=libyaml)
    node = loaded.root
    for part in path:
        if isinstance(part, str):
            assert isinstance(node, MapNode)
            node = node.get(part)
        else:
            assert isinstance(node, SeqNode)
            node = node.items[part]
    assert isinstance(node, ScalarNode)
    return node


def span_of_text(node: ScalarNode, needle: str) -> tuple[Pos, Pos]:
    """The document span of the last occurrence of ``needle`` in the decoded value."""
    start = node.text.rindex(needle)
    span = node.span_of(start, start + len(needle))
    return span.start, span.end


def check_offsets(source: str, node: ScalarNode) -> None:
    """Each offset points at a source character consistent with the decoded character."""
    offsets = node.offsets
    assert len(offsets) == len(node.text) + 1
    assert list(offsets) == sorted(offsets), "offsets run forwards through the file"
    assert len(set(offsets[:-1])) == len(offsets) - 1, "two characters from one source character"
    for i, ch in enumerate(node.text):
        src = source[offsets[i]]
        if node.style is ScalarStyle.DOUBLE and src == "\\":
            continue  # an escape: the character is shown at its backslash
        if ch == " " and src in BREAKS:
            continue  # a folded line break
        if ch == "\n" and src in BREAKS:
            continue  # a kept (or blank-line) line break, normalised to \n
        assert src == ch, f"character {i} ({ch!r}) maps to {src!r}"


# --- exact columns inside strings, per style ----------------------------------------------------------------


@LOADERS
def test_span_inside_a_double_quoted_flow_item(libyaml: bool) -> None:
    text = 'selection: ["NMuon >= = 2"]\n'
    node = scalar_at(text, "selection", 0, libyaml=libyaml)
    assert node.text == "NMuon >= = 2"
    assert span_of_text(node, "=") == (Pos(0, 22), Pos(0, 23))


@LOADERS
def test_span_inside_single_quotes_after_a_doubled_quote(libyaml: bool) -> None:
    text = "selection:\n  - 'it''s NMuon >= = 2'\n"
    node = scalar_at(text, "selection", 0, libyaml=libyaml)
    assert node.text == "it's NMuon >= = 2"
    assert node.style is ScalarStyle.SINGLE
    # the '' is one character, so every later character sits one column further right than its index says
    assert span_of_text(node, "=") == (Pos(1, 20), Pos(1, 21))
    assert span_of_text(node, "'") == (Pos(1, 7), Pos(1, 9))  # the decoded quote covers both quotes


@LOADERS
def test_span_inside_double_quotes_with_escapes_before_the_error(libyaml: bool) -> None:
    text = 'expr: "\\t\\u00e9\\"x\\" >= = 2"\n'
    node = scalar_at(text, "expr", libyaml=libyaml)
    assert node.text == '\té"x" >= = 2'
    assert span_of_text(node, "=") == (Pos(0, 24), Pos(0, 25))
    # an escaped character spans its whole escape sequence
    assert span_of_text(node, "é") == (Pos(0, 9), Pos(0, 15))
    assert span_of_text(node, "\t") == (Pos(0, 7), Pos(0, 9))


@LOADERS
def test_span_inside_a_literal_block(libyaml: bool) -> None:
    text = "a:\n  expr: |\n    NMuon >= 2 and\n    x >= = 2\nb: 1\n"
    node = scalar_at(text, "a", "expr", libyaml=libyaml)
    assert node.text == "NMuon >= 2 and\nx >= = 2\n"
    assert span_of_text(node, "= 2") == (Pos(3, 9), Pos(3, 12))
    assert node.span.start == Pos(1, 8)
    assert node.span.end == Pos(3, 12), "the span stops at the last character, not at the next key"


@LOADERS
def test_span_inside_a_folded_block_with_chomping(libyaml: bool) -> None:
    text = "expr: >-\n  NMuon >= 2\n  and x >= = 2\n\n"
    node = scalar_at(text, "expr", libyaml=libyaml)
    assert node.text == "NMuon >= 2 and x >= = 2"
    assert span_of_text(node, "= 2") == (Pos(2, 11), Pos(2, 14))
    folded_space = node.text.index(" and")
    assert node.pos_of(folded_space) == Pos(1, 12), "a folded break is shown at the newline"


@LOADERS
def test_span_inside_a_multi_line_plain_scalar(libyaml: bool) -> None:
    text = "expr: NMuon >= 2\n  and x >= = 2\nnext: 1\n"
    node = scalar_at(text, "expr", libyaml=libyaml)
    assert node.text == "NMuon >= 2 and x >= = 2"
    assert span_of_text(node, "= 2") == (Pos(1, 11), Pos(1, 14))
    assert node.pos_of(node.text.index(" and")) == Pos(0, 16)


@LOADERS
def test_block_with_an_indentation_indicator_nested(libyaml: bool) -> None:
    text = "outer:\n  - inner:\n      code: |2\n          indented\n        x = = 1\n"
    node = scalar_at(text, "outer", 0, "inner", "code", libyaml=libyaml)
    assert node.text == "  indented\nx = = 1\n"
    assert span_of_text(node, "= 1") == (Pos(4, 12), Pos(4, 15))
    assert span_of_text(node, "indented") == (Pos(3, 10), Pos(3, 18))


@LOADERS
def test_keep_chomping_and_blank_lines_in_a_literal_block(libyaml: bool) -> None:
    text = "k: |+\n  a\n\n  b\n\n\nz: 1\n"
    node = scalar_at(text, "k", libyaml=libyaml)
    assert node.text == "a\n\nb\n\n\n"
    check_offsets(text, node)
    assert node.pos_of(node.text.index("b")) == Pos(3, 2)


@LOADERS
def test_anchor_and_tag_before_a_scalar_are_skipped(libyaml: bool) -> None:
    text = 'a: !!str &x "p = = q"\nb: *x\n'
    loaded = parse_yaml(text, "t.yaml", libyaml=libyaml)
    assert isinstance(loaded.root, MapNode)
    node = loaded.root.get("a")
    assert isinstance(node, ScalarNode)
    assert node.span.start == Pos(0, 12)
    assert span_of_text(node, "= q") == (Pos(0, 17), Pos(0, 20))
    assert loaded.root.get("b") is node


@LOADERS
def test_columns_count_code_points_in_values_and_keys(libyaml: bool) -> None:
    text = 'é😋: "😋 x >= = é"\n'
    loaded = parse_yaml(text, "t.yaml", libyaml=libyaml)
    assert isinstance(loaded.root, MapNode)
    entry = loaded.root.entries[0]
    assert entry.key.text == "é😋"
    assert (entry.key.span.start, entry.key.span.end) == (Pos(0, 0), Pos(0, 2))
    value = entry.value
    assert isinstance(value, ScalarNode)
    assert span_of_text(value, "= é") == (Pos(0, 12), Pos(0, 15))
    assert value.span.end == Pos(0, 16)


@LOADERS
def test_crlf_line_endings(libyaml: bool) -> None:
    text = "a: x\r\nexpr: 'p >= = 2'\r\nlong: one\r\n  two\r\n"
    node = scalar_at(text, "expr", libyaml=libyaml)
    assert span_of_text(node, "= 2") == (Pos(1, 12), Pos(1, 15))
    folded = scalar_at(text, "long", libyaml=libyaml)
    assert folded.text == "one two"
    assert folded.pos_of(4) == Pos(3, 2)


def test_text_offset_at_inverts_pos_of() -> None:
    text = "expr: 'it''s = 2'\n"
    node = scalar_at(text, "expr")
    for i in range(len(node.text)):
        assert node.text_offset_at(node.pos_of(i)) == i


# --- the decoder on its own -----------------------------------------------------------------------------------


def test_decoder_falls_back_when_it_cannot_reproduce_the_value() -> None:
    source = "k: 'abc'\n"
    start, end, offsets, exact = decode_scalar(source, 3, 8, ScalarStyle.SINGLE, "something else")
    assert not exact
    assert (start, end) == (3, 8)
    assert offsets == (3,) * len("something else") + (8,)


def test_decoder_reports_an_exact_table_when_it_reproduces_the_value() -> None:
    source = "k: 'a''b\n  c'\n"
    start, end, offsets, exact = decode_scalar(source, 3, 13, ScalarStyle.SINGLE, "a'b c")
    assert exact
    assert (start, end) == (3, 13)
    assert offsets == (4, 5, 7, 8, 11, 12)


def test_skip_properties() -> None:
    source = "k: &anchor !tag  value"
    assert skip_properties(source, 3, len(source)) == source.index("value")
    source = "k: !<tag:x.org,2000:a> &a\n  value"
    assert skip_properties(source, 3, len(source)) == source.index("value")


# --- property test: whatever PyYAML writes, the table reproduces it ---------------------------------------------

ALPHABET = st.sampled_from(
    [
        *"abcxyz019 =<>!&|#:,-'\"\\[]{}.%@`?*",
        "é",
        "😋",
        "\t",
        "\n",
        "\r",
        "  ",
        "\x07",
        "\u2028",
        "\x85",
        "\ufeff",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.lists(ALPHABET, max_size=30).map("".join),
    style=st.sampled_from([None, "'", '"', "|", ">"]),
    width=st.sampled_from([8, 20, 80]),
    unicode=st.booleans(),
    nesting=st.sampled_from(["top", "nested", "list", "flow"]),
    libyaml=st.booleans(),
)
@example(value="a b\n\nc ", style="|", width=80, unicode=True, nesting="nested", libyaml=True)
@example(value=" a\n b", style=">", width=80, unicode=True, nesting="list", libyaml=False)
@example(value="x" * 15 + " " + "y" * 15, style=None, width=8, unicode=True, nesting="top", libyaml=True)
def test_decoder_reproduces_every_dumped_string(
    value: str, style: str | None, width: int, unicode: bool, nesting: str, libyaml: bool
) -> None:
    doc: object = {
        "top": {"k": value},
        "nested": {"a": {"b": {"k": value}}},
        "list": {"a": [{"k": value}, "z"]},
        "flow": {"a": [value, "z"]},
    }[nesting]
    source = yaml.safe_dump(
        doc, default_style=style, width=width, allow_unicode=unicode, default_flow_style=nesting == "flow"
    )
    # what the parser reads back (PyYAML does not round-trip every string, e.g. a lone U+0085 in quotes)
    reread = yaml.safe_load(source)
    expected = {
        "top": lambda d: d["k"],
        "nested": lambda d: d["a"]["b"]["k"],
        "list": lambda d: d["a"][0]["k"],
        "flow": lambda d: d["a"][0],
    }[nesting](reread)
    loaded = parse_yaml(source, "t.yaml", libyaml=libyaml)
    assert loaded.diagnostics == ()
    found = [n for n in walk(loaded.root) if isinstance(n, ScalarNode) and n.value == expected]  # type: ignore[arg-type]
    assert found, f"value not found in {source!r}"
    for node in found:
        check_offsets(
            source, node
        )  # the fallback table (all at the start) fails this for two characters or more


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abxé😋=<>", min_size=1, max_size=8), min_size=1, max_size=12),
    width=st.sampled_from([4, 10, 30]),
    flow=st.booleans(),
    libyaml=st.booleans(),
)
def test_plain_scalars_folded_over_lines(words: list[str], width: int, flow: bool, libyaml: bool) -> None:
    value = " ".join(words)
    source = yaml.safe_dump({"a": {"k": [value]}}, width=width, allow_unicode=True, default_flow_style=flow)
    loaded = parse_yaml(source, "t.yaml", libyaml=libyaml)
    found = [n for n in walk(loaded.root) if isinstance(n, ScalarNode) and n.text == value]  # type: ignore[arg-type]
    assert found, f"value not found in {source!r}"
    for node in found:
        check_offsets(source, node)
        if node.style is ScalarStyle.PLAIN:
            assert node.span.start == loaded.index.pos(node.offsets[0])
