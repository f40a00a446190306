"""Re-using the previous parse for an edit inside one scalar gives exactly the tree a full parse gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fasthep_flow.document.loader import Loaded, parse_yaml
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, ScalarStyle, SeqNode, walk
from fasthep_flow.document.reparse import reparse

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "tests" / "fixtures" / "valid").glob("*.yaml")) + sorted(
    (ROOT / "examples").glob("*.flow.yaml")
)
QUOTED_CHARS = "abcxyz_019 +-*/<>=!()&|."
PLAIN_CHARS = "abcxyzABC_019."


def _same(a: Node, b: Node) -> None:
    """Two trees agree on everything a caller can observe: shapes, values, spans, per-character positions."""
    assert type(a) is type(b)
    assert a.span == b.span
    if isinstance(a, ScalarNode):
        assert isinstance(b, ScalarNode)
        assert (a.value, a.text, a.style) == (b.value, b.text, b.style)
        assert [a.pos_of(i) for i in range(len(a.text) + 1)] == [b.pos_of(i) for i in range(len(b.text) + 1)]
        assert a.span_of(0, len(a.text)) == b.span_of(0, len(b.text))
    elif isinstance(a, MapNode):
        assert isinstance(b, MapNode)
        assert len(a.entries) == len(b.entries)
        for x, y in zip(a.entries, b.entries, strict=True):
            _same(x.key, y.key)
            _same(x.value, y.value)
    elif isinstance(a, SeqNode):
        assert isinstance(b, SeqNode)
        assert len(a.items) == len(b.items)
        for x, y in zip(a.items, b.items, strict=True):
            _same(x, y)


def _value_scalars(loaded: Loaded) -> list[ScalarNode]:
    keys = {id(e.key) for n in walk(loaded.root) if isinstance(n, MapNode) for e in n.entries}  # type: ignore[arg-type]
    return [
        n
        for n in walk(loaded.root)  # type: ignore[arg-type]
        if isinstance(n, ScalarNode)
        and id(n) not in keys
        and isinstance(n.value, str)
        and n.span.start.line == n.span.end.line
        and n.style in (ScalarStyle.PLAIN, ScalarStyle.DOUBLE, ScalarStyle.SINGLE)
    ]


def _edit(text: str, loaded: Loaded, node: ScalarNode, rng: random.Random) -> str:
    first = loaded.index.offset(node.span.start)
    last = loaded.index.offset(node.span.end)
    if node.style is not ScalarStyle.PLAIN:
        first, last = first + 1, last - 1
    chars = PLAIN_CHARS if node.style is ScalarStyle.PLAIN else QUOTED_CHARS
    a = rng.randint(first, last)
    b = rng.randint(a, min(last, a + 3))
    insert = "".join(rng.choice(chars) for _ in range(rng.randint(0, 4)))
    return text[:a] + insert + text[b:]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_reused_tree_equals_a_full_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    file = str(path)
    rng = random.Random(path.name)
    loaded = parse_yaml(text, file)
    targets = _value_scalars(loaded)
    assert targets
    reused = 0
    for _ in range(40):
        node = rng.choice(targets)
        new_text = _edit(text, loaded, node, rng)
        full = parse_yaml(new_text, file)
        incremental = parse_yaml(new_text, file, previous=(text, loaded))
        assert incremental.diagnostics == full.diagnostics
        if full.root is None:
            assert incremental.root is None
            continue
        _same(incremental.root, full.root)  # type: ignore[arg-type]
        if reparse(text, loaded.root, loaded.index, new_text, file) is not None:
            reused += 1
    assert reused >= 10, "the shortcut was hardly ever taken: this test would not notice it going wrong"


def test_shortcut_shares_untouched_nodes_and_refuses_structural_edits() -> None:
    text = 'version: 1.0\nanalysis:\n  stages:\n    - {id: A, op: hep.define, params: {x: "a + b"}}\n    - id: B\n'
    loaded = parse_yaml(text, "t.yaml")
    new_text = text.replace('"a + b"', '"a + bc"')
    found = reparse(text, loaded.root, loaded.index, new_text, "t.yaml")
    assert found is not None
    root = found[0]
    assert isinstance(root, MapNode) and isinstance(loaded.root, MapNode)
    assert root.entries[0].value is loaded.root.entries[0].value  # `version` is shared, not copied
    for changed in (
        text.replace("id: A", "idx: A"),  # a key
        text.replace('"a + b"', '"a + "b"'),  # a quote
        text.replace('"a + b"', '"a +\\n b"'),  # an escape
        text.replace("hep.define", "hep define"),  # a space in a plain scalar
        text.replace("hep.define", "true"),  # no longer a string
        text.replace("- id: B", "- id: B\n      op: x"),  # a new line
    ):
        assert reparse(text, loaded.root, loaded.index, changed, "t.yaml") is None, changed


def test_compiling_with_the_previous_parse_reports_what_a_fresh_compile_reports() -> None:
    """Through the whole compiler: edits inside expression strings that add or fix mistakes."""
    from fasthep_flow.compiler import CompileOptions, compile_text

    text = (ROOT / "examples" / "toy_zmumu.flow.yaml").read_text(encoding="utf-8")
    file = str(ROOT / "examples" / "toy_zmumu.flow.yaml")
    first = compile_text(text, file)
    assert first.ok and first.loaded.main is not None
    edits = [
        ('"NIsoMuon >= 2"', '"NIsoMuon >= = 2"'),  # expression syntax (FF201 at its column)
        ('"NIsoMuon >= 2"', '"NIsoMuonn >= 2"'),  # unknown field (FF303, did-you-mean)
        ('"sqrt(Muon_Px ** 2 + Muon_Py ** 2)"', '"sqrtt(Muon_Px ** 2 + Muon_Py ** 2)"'),  # unknown function
        ("out: MuonPt.png", "out: MuonPtX.png"),  # a plain scalar
    ]
    for old, new in edits:
        assert old in text
        changed = text.replace(old, new, 1)
        options = CompileOptions(previous=(text, first.loaded.main))
        assert reparse(text, first.loaded.main.root, first.loaded.main.index, changed, file) is not None
        incremental = compile_text(changed, file, options)
        fresh = compile_text(changed, file)
        assert [(d.code, d.span, d.message, d.hint) for d in incremental.diagnostics] == [
            (d.code, d.span, d.message, d.hint) for d in fresh.diagnostics
        ]
        assert fresh.diagnostics or new.startswith("out:")
        assert (incremental.plan is None) == (fresh.plan is None)
        if fresh.plan is not None:
            assert incremental.plan.hash == fresh.plan.hash  # type: ignore[union-attr]


_TEXTS = [p.read_text(encoding="utf-8") for p in WORKFLOWS[:6]]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    which=st.integers(min_value=0, max_value=len(_TEXTS) - 1),
    pick=st.floats(min_value=0, max_value=1),
    where=st.floats(min_value=0, max_value=1),
    cut=st.integers(min_value=0, max_value=3),
    insert=st.text(alphabet="aZ_0 .:#-,'\"\\[]{}&*!|>é😋\t", max_size=5),
)
def test_any_edit_the_shortcut_accepts_matches_a_full_parse(
    which: int, pick: float, where: float, cut: int, insert: str
) -> None:
    """Whatever is typed (quotes, colons, brackets, anchors, non-ASCII), if the shortcut takes it, it is right."""
    text = _TEXTS[which]
    loaded = parse_yaml(text, "w.yaml")
    targets = _value_scalars(loaded)
    node = targets[min(int(pick * len(targets)), len(targets) - 1)]
    first = loaded.index.offset(node.span.start)
    last = loaded.index.offset(node.span.end)
    a = first + int(where * (last - first))
    new_text = text[:a] + insert + text[min(a + cut, len(text)) :]
    found = reparse(text, loaded.root, loaded.index, new_text, "w.yaml")
    if found is None:
        return
    full = parse_yaml(new_text, "w.yaml")
    assert not full.diagnostics, "the shortcut accepted an edit that makes the file wrong"
    _same(found[0], full.root)  # type: ignore[arg-type]
