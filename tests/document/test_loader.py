"""parse_yaml: YAML text to nodes with exact spans; every mistake a diagnostic, never an exception."""

from __future__ import annotations

import gc
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fasthep_flow.document import (
    Diagnostic,
    MapNode,
    Node,
    Pos,
    ScalarNode,
    ScalarStyle,
    SeqNode,
    Severity,
    codes,
    parse_yaml,
    to_python,
)

LOADERS = pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure"])


def only(diagnostics: tuple[Diagnostic, ...]) -> Diagnostic:
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def mapping(node: Node | None) -> MapNode:
    assert isinstance(node, MapNode)
    return node


def scalar(node: Node | None) -> ScalarNode:
    assert isinstance(node, ScalarNode)
    return node


def shape(node: Node | None) -> object:
    """Everything a node holds (spans, offsets, styles, values, entry order), to compare two trees."""
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        return ("scalar", node.span, node.value, node.text, node.style, node.offsets)
    if isinstance(node, SeqNode):
        return ("seq", node.span, [shape(n) for n in node.items])
    assert isinstance(node, MapNode)
    return ("map", node.span, [(shape(e.key), shape(e.value)) for e in node.entries])


# --- spans --------------------------------------------------------------------------------------------------


@LOADERS
def test_keys_and_values_have_code_point_spans(libyaml: bool) -> None:
    text = "version: 1.0\nnamé😋: {kéy: välue😋}\nlist:\n  - a\n  - 'b'\n"
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert loaded.diagnostics == ()
    root = mapping(loaded.root)
    assert root.keys() == ["version", "namé😋", "list"]
    entry = root.entries[1]
    assert (entry.key.span.start, entry.key.span.end) == (Pos(1, 0), Pos(1, 5))
    inner = mapping(entry.value)
    assert (inner.span.start, inner.span.end) == (Pos(1, 7), Pos(1, 20))
    assert (inner.entries[0].key.span.start, inner.entries[0].key.span.end) == (Pos(1, 8), Pos(1, 11))
    value = scalar(inner.get("kéy"))
    assert (value.span.start, value.span.end) == (Pos(1, 13), Pos(1, 19))
    assert value.span.file == "wf.yaml"
    assert value.index is loaded.index
    items = root.get("list")
    assert isinstance(items, SeqNode)
    assert (items.items[0].span.start, items.items[0].span.end) == (Pos(3, 4), Pos(3, 5))
    assert (items.items[1].span.start, items.items[1].span.end) == (Pos(4, 4), Pos(4, 7))


@LOADERS
def test_a_block_collection_ends_at_its_last_value_not_at_the_next_key(libyaml: bool) -> None:
    text = "stage:\n  id: A\n  op: hep.hist\n\n# a comment\n\nnext: 1\n"
    root = mapping(parse_yaml(text, "wf.yaml", libyaml=libyaml).root)
    stage = mapping(root.get("stage"))
    assert (stage.span.start, stage.span.end) == (Pos(1, 2), Pos(2, 14))
    assert root.span.end == Pos(6, 7)


@LOADERS
def test_bom_and_crlf_keep_positions_right(libyaml: bool) -> None:
    text = "\ufeffa: 1\r\nb: [x, y]\r\n"
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert loaded.diagnostics == ()
    root = mapping(loaded.root)
    assert root.entries[0].key.span.start == Pos(0, 1)
    y = mapping(root).get("b")
    assert isinstance(y, SeqNode)
    assert scalar(y.items[1]).span.start == Pos(1, 7)
    assert to_python(root) == {"a": 1, "b": ["x", "y"]}


@LOADERS
def test_unusual_line_breaks_inside_values_do_not_shift_later_columns(libyaml: bool) -> None:
    text = 'a: "x\u2028y"\nb: "p\x85q"\nc: zz\n'
    root = mapping(parse_yaml(text, "wf.yaml", libyaml=libyaml).root)
    c = scalar(root.get("c"))
    assert c.span.start == Pos(2, 3)
    assert c.span.start == parse_yaml(text, "wf.yaml", libyaml=libyaml).index.pos(text.index("zz"))


def test_libyaml_and_pure_python_give_the_same_tree() -> None:
    text = (
        "\ufeffversion: 1.0\n"
        "defaults: &d {eventtype: mc, tree: events}\n"
        "data:\n  datasets:\n    - {<<: *d, name: 'dy', files: [\"dy é.root\"]}\n"
        "    - name: data\n      eventtype: data\n      note: >\n        folded\n        text\n\n"
        "analysis:\n  stages:\n    - id: S😋\n      params:\n        expr: |-\n          a >= 2\n"
        "        sel: [\"x\\ty\", 'it''s', plain words\n          continued]\n"
    )
    c = parse_yaml(text, "wf.yaml", libyaml=True)
    p = parse_yaml(text, "wf.yaml", libyaml=False)
    assert c.diagnostics == p.diagnostics == ()
    assert shape(c.root) == shape(p.root)


@pytest.mark.parametrize("loader", [yaml.CSafeLoader, yaml.SafeLoader], ids=["libyaml", "pure"])
def test_parser_marks_count_code_points(loader: type) -> None:
    """What the loader relies on: mark indices are code points; libyaml leaves out a leading BOM."""
    for bom in ("", "\ufeff"):
        text = f"{bom}é😋: [😋x, 'é']\n"
        parser = loader(text)
        try:
            events = [parser.get_event() for _ in range(9)]
        finally:
            parser.dispose()
        shift = 1 if bom and loader is yaml.CSafeLoader else 0
        scalars = [e for e in events if isinstance(e, yaml.ScalarEvent)]
        assert [e.start_mark.index + shift for e in scalars] == [text.index(v) for v in ("é😋", "😋x", "'é'")]


# --- values as SafeLoader resolves them ---------------------------------------------------------------------

SCALARS = """\
int: 42
neg: -7
hex: 0x1F
octal: 0o17
old_octal: 010
under: 1_000
sexagesimal: 1:30
float: 1.0
exp: 1.5e3
inf: .inf
ninf: -.Inf
bool_yes: yes
bool_on: On
bool_true: True
null_tilde: ~
null_word: null
null_empty:
str: hello
quoted_int: "42"
quoted_bool: 'true'
version: 1.0
date_is_text: 2024-01-02
block: |
  kept
"""


@LOADERS
def test_scalars_resolve_as_safe_loader(libyaml: bool) -> None:
    loaded = parse_yaml(SCALARS, "wf.yaml", libyaml=libyaml)
    assert loaded.diagnostics == ()
    got = to_python(loaded.root)
    expected = yaml.safe_load(SCALARS)
    expected["date_is_text"] = "2024-01-02"  # timestamps stay strings
    assert isinstance(got, dict)
    assert math.isnan(got.pop("nan", math.nan))
    assert got == expected
    assert type(got["float"]) is float and type(got["int"]) is int and got["version"] == 1.0
    root = mapping(loaded.root)
    assert scalar(root.get("hex")).text == "0x1F", "text keeps the written form"
    assert scalar(root.get("block")).style is ScalarStyle.LITERAL


def test_nan_is_a_float() -> None:
    value = scalar(mapping(parse_yaml("x: .nan\n", "wf.yaml").root).get("x")).value
    assert isinstance(value, float) and math.isnan(value)


@LOADERS
def test_a_huge_integer_is_kept_as_text_with_a_warning(libyaml: bool) -> None:
    digits = "9" * 5000
    loaded = parse_yaml(f"n: {digits}\n", "wf.yaml", libyaml=libyaml)
    assert scalar(mapping(loaded.root).get("n")).value == digits
    d = only(loaded.diagnostics)
    assert (d.code, d.severity, d.span.start) == (codes.UNSUPPORTED_YAML, Severity.WARNING, Pos(0, 3))


@LOADERS
def test_keys_are_scalar_nodes_and_complex_keys_are_refused(libyaml: bool) -> None:
    text = "1: one\n? [a, b]\n: two\n{x: 1}: three\nok: yes\n"
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    root = mapping(loaded.root)
    assert root.keys() == ["1", "ok"]
    assert root.entries[0].key.value == 1
    assert [(d.code, d.span.start) for d in loaded.diagnostics] == [
        (codes.UNSUPPORTED_YAML, Pos(1, 2)),
        (codes.UNSUPPORTED_YAML, Pos(3, 0)),
    ]


@LOADERS
def test_custom_tags_warn_and_keep_the_value(libyaml: bool) -> None:
    text = "a: !Ref other\nb: !!int '12'\nc: !!binary aGk=\n"
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert to_python(loaded.root) == {"a": "other", "b": 12, "c": "aGk="}
    assert [(d.code, d.severity, d.span.start, d.span.end) for d in loaded.diagnostics] == [
        (codes.UNSUPPORTED_YAML, Severity.WARNING, Pos(0, 3), Pos(0, 7)),
        (codes.UNSUPPORTED_YAML, Severity.WARNING, Pos(2, 3), Pos(2, 11)),
    ]


@LOADERS
def test_a_bad_explicit_tag_is_an_error(libyaml: bool) -> None:
    loaded = parse_yaml("a: !!int twelve\n", "wf.yaml", libyaml=libyaml)
    assert scalar(mapping(loaded.root).get("a")).value == "twelve"
    d = only(loaded.diagnostics)
    assert (d.code, d.severity) == (codes.UNSUPPORTED_YAML, Severity.ERROR)


# --- aliases and merge keys ---------------------------------------------------------------------------------


@LOADERS
def test_an_alias_reuses_the_anchored_node(libyaml: bool) -> None:
    text = "base: &b {x: 1}\nuse: *b\nitem: &i hello\nagain: *i\n"
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    root = mapping(loaded.root)
    assert root.get("use") is root.get("base")
    assert root.get("again") is root.get("item")
    assert scalar(root.get("again")).span.start == Pos(2, 9)
    assert root.span.end == Pos(3, 9), "the mapping ends at the alias, not at the anchored node"


@LOADERS
def test_merge_keys_explicit_keys_win_and_earlier_merges_win(libyaml: bool) -> None:
    text = (
        "a: &a {x: 1, y: 1, z: 1}\nb: &b {y: 2, w: 2}\nc:\n  <<: [*b, *a]\n  z: 3\nd: {k: 0, <<: *a, x: 4}\n"
    )
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert loaded.diagnostics == ()
    root = mapping(loaded.root)
    assert to_python(root.get("c")) == yaml.safe_load(text)["c"] == {"y": 2, "w": 2, "x": 1, "z": 3}
    assert to_python(root.get("d")) == yaml.safe_load(text)["d"]
    d = mapping(root.get("d"))
    assert d.keys() == ["k", "y", "z", "x"], (
        "merged entries take the place of `<<`, explicit ones are not repeated"
    )
    merged_y = d.entry("y")
    assert merged_y is not None and merged_y.key.span.start == Pos(0, 13), (
        "merged entries keep the anchor's spans"
    )
    assert "<<" not in d


@LOADERS
def test_a_merge_of_a_scalar_is_refused(libyaml: bool) -> None:
    loaded = parse_yaml("a: {<<: 3, b: 1}\n", "wf.yaml", libyaml=libyaml)
    assert to_python(loaded.root) == {"a": {"b": 1}}
    d = only(loaded.diagnostics)
    assert (d.code, d.span.start) == (codes.UNSUPPORTED_YAML, Pos(0, 8))


@LOADERS
def test_undefined_and_recursive_aliases(libyaml: bool) -> None:
    loaded = parse_yaml("a: *nowhere\n", "wf.yaml", libyaml=libyaml)
    d = only(loaded.diagnostics)
    assert (d.code, d.span.start, d.span.end) == (codes.YAML_SYNTAX, Pos(0, 3), Pos(0, 11))
    assert to_python(loaded.root) == {"a": None}
    loaded = parse_yaml("a: &r [1, *r]\n", "wf.yaml", libyaml=libyaml)
    d = only(loaded.diagnostics)
    assert (d.code, d.span.start) == (codes.UNSUPPORTED_YAML, Pos(0, 10))
    assert "contains it" in d.message
    assert to_python(loaded.root) == {"a": [1, None]}


# --- duplicate keys -----------------------------------------------------------------------------------------


@LOADERS
def test_duplicate_keys_are_reported_on_the_second_and_both_kept(libyaml: bool) -> None:
    text = "analysis:\n  stages: []\n  globals: {}\n  stages: [1]\n"
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    d = only(loaded.diagnostics)
    assert (d.code, d.severity) == (codes.DUPLICATE_KEY, Severity.ERROR)
    assert (d.span.start, d.span.end) == (Pos(3, 2), Pos(3, 8))
    assert [(r.span.start, r.message) for r in d.related] == [(Pos(1, 2), "first defined here")]
    analysis = mapping(mapping(loaded.root).get("analysis"))
    assert analysis.keys() == ["stages", "globals", "stages"]
    assert to_python(analysis.get("stages")) == [], "the first definition is the one read"


# --- syntax errors ------------------------------------------------------------------------------------------


@LOADERS
@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("a: 1\nb: 'unclosed\nc: 2\n", Pos(3, 0), "quoted scalar"),
        ('a: 1\nb: "unclosed\n', Pos(2, 0), "quoted scalar"),
        ("a: [1, 2\nb: 3\n", Pos(1, 1), "flow sequence"),
        ("a: b\n c: d\n", Pos(1, 2), "mapping values"),
        ("a:\n  b: 1\n c: 2\n", Pos(2, 1), ""),
    ],
    ids=["single-quote", "double-quote", "bracket", "mapping-in-plain", "indentation"],
)
def test_syntax_errors_are_one_ff001_at_the_problem(libyaml: bool, text: str, where: Pos, words: str) -> None:
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert loaded.root is None
    d = only(loaded.diagnostics)
    assert (d.code, d.severity, d.span.start, d.span.file) == (
        codes.YAML_SYNTAX,
        Severity.ERROR,
        where,
        "wf.yaml",
    )
    assert words in d.message
    assert d.hint


@LOADERS
def test_unclosed_quote_points_back_at_where_it_opened(libyaml: bool) -> None:
    d = only(parse_yaml("a: 1\nb: 'unclosed\n", "wf.yaml", libyaml=libyaml).diagnostics)
    assert [r.span.start for r in d.related] == [Pos(1, 3)]


@LOADERS
def test_tabs_in_indentation(libyaml: bool) -> None:
    d = only(parse_yaml("a:\n\tb: 1\n", "wf.yaml", libyaml=libyaml).diagnostics)
    assert (d.code, d.span.start.line) == (codes.YAML_SYNTAX, 1)
    assert d.hint is not None and "tab" in d.hint


@LOADERS
@pytest.mark.parametrize("bad", ["\x00", "\x07", "\ud800"])
def test_characters_yaml_forbids(libyaml: bool, bad: str) -> None:
    loaded = parse_yaml(f"a: é{bad}\n", "wf.yaml", libyaml=libyaml)
    d = only(loaded.diagnostics)
    assert (d.code, d.span.start, d.span.end) == (codes.YAML_SYNTAX, Pos(0, 4), Pos(0, 5))
    assert f"U+{ord(bad):04X}" in d.message
    assert loaded.root is None


@LOADERS
def test_deep_nesting_is_refused_without_crashing(libyaml: bool) -> None:
    loaded = parse_yaml("[" * 100_000 + "]" * 100_000, "wf.yaml", libyaml=libyaml)
    assert loaded.root is None
    d = only(loaded.diagnostics)
    assert (d.code, d.span.start) == (codes.UNSUPPORTED_YAML, Pos(0, 200))
    assert "nesting" in d.message


# --- documents and roots ------------------------------------------------------------------------------------


@LOADERS
@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "--- # c\n...\n", "\n\n  \n"])
def test_empty_documents_have_no_root_and_no_diagnostics(libyaml: bool, text: str) -> None:
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert (loaded.root, loaded.diagnostics) == (None, ())


@LOADERS
@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "a list"), ("just text\n", "a string"), ("42\n", "a number")]
)
def test_a_root_that_is_not_a_mapping(libyaml: bool, text: str, kind: str) -> None:
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    d = only(loaded.diagnostics)
    assert (d.code, d.span.start) == (codes.NOT_A_MAPPING, Pos(0, 0))
    assert kind in d.message
    assert loaded.root is not None and not isinstance(loaded.root, MapNode)


@LOADERS
def test_only_the_first_document_is_read(libyaml: bool) -> None:
    loaded = parse_yaml("a: 1\n---\nb: 2\n---\nc: 3\n", "wf.yaml", libyaml=libyaml)
    assert to_python(loaded.root) == {"a": 1}
    d = only(loaded.diagnostics)
    assert (d.code, d.severity, d.span.start) == (codes.UNSUPPORTED_YAML, Severity.WARNING, Pos(1, 0))


@LOADERS
def test_a_syntax_error_after_the_first_document_keeps_it(libyaml: bool) -> None:
    loaded = parse_yaml("a: 1\n...\n]\n", "wf.yaml", libyaml=libyaml)
    assert to_python(loaded.root) == {"a": 1}
    assert only(loaded.diagnostics).code == codes.YAML_SYNTAX


# --- never raises -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.binary(max_size=80).map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.lists(
            st.sampled_from(
                [
                    "a",
                    ":",
                    " ",
                    "- ",
                    "\n",
                    "  ",
                    "[",
                    "]",
                    "{",
                    "}",
                    ",",
                    "'",
                    '"',
                    "&x",
                    "*x",
                    "<<",
                    "|",
                    ">",
                    "#",
                    "\t",
                    "!t",
                    "?",
                    "---",
                    "é",
                    "😋",
                    "\\",
                    "1.0",
                    "\r\n",
                ]
            ),
            max_size=40,
        ).map("".join),
    ),
    libyaml=st.booleans(),
)
def test_any_text_gives_a_tree_or_diagnostics_never_an_exception(text: str, libyaml: bool) -> None:
    loaded = parse_yaml(text, "wf.yaml", libyaml=libyaml)
    assert loaded.index.text == text
    if loaded.root is None and not loaded.diagnostics:
        same_parser = yaml.CSafeLoader if libyaml else yaml.SafeLoader
        assert yaml.load(text, Loader=same_parser) is None, (
            "no tree and no diagnostic: only for an empty document"
        )
    for d in loaded.diagnostics:
        assert d.span.file == "wf.yaml"
        assert loaded.index.offset(d.span.start) <= len(text)


# --- a parse leaves the garbage collector as it was (no process-wide switching) ----------------------------


def test_parse_restores_the_garbage_collector_state() -> None:
    assert gc.isenabled()
    parse_yaml("a: [1, 2]\n", "wf.yaml")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_yaml("a: [1, 2]\n", "wf.yaml")
        assert not gc.isenabled(), "a collector switched off by the caller stays off"
    finally:
        gc.enable()
    parse_yaml("a: [\n", "wf.yaml")
    assert gc.isenabled(), "also after a syntax error"


def test_concurrent_parses_leave_the_collector_on() -> None:
    text = "".join(f"k{i}: {{a: [1, 2, 'x'], b: \"y\"}}\n" for i in range(2000))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: parse_yaml(text, "wf.yaml"), range(8)))
    assert all(len(mapping(r.root).entries) == 2000 for r in results)
    assert gc.isenabled()
