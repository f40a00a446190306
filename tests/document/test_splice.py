"""Re-parsing only the stage items an edit touches gives exactly the tree a full parse gives, and shares the
items the edit did not touch."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fasthep_flow.document.loader import Loaded, _parse, parse_yaml
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode
from fasthep_flow.document.splice import splice_stages

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "tests" / "fixtures" / "valid").glob("*.yaml")) + sorted(
    (ROOT / "examples").glob("*.flow.yaml")
)


def _same(a: Node, b: Node) -> None:
    """Shapes, values, spans and per-character positions agree."""
    assert type(a) is type(b)
    assert a.span == b.span
    if isinstance(a, ScalarNode):
        assert isinstance(b, ScalarNode)
        assert (a.value, a.text, a.style) == (b.value, b.text, b.style)
        assert [a.pos_of(i) for i in range(len(a.text) + 1)] == [b.pos_of(i) for i in range(len(b.text) + 1)]
        assert [a.offset_of(i) for i in range(len(a.text) + 1)] == [
            b.offset_of(i) for i in range(len(b.text) + 1)
        ]
    elif isinstance(a, MapNode):
        assert isinstance(b, MapNode)
        assert [e.key.text for e in a.entries] == [e.key.text for e in b.entries]
        for x, y in zip(a.entries, b.entries, strict=True):
            _same(x.key, y.key)
            _same(x.value, y.value)
    elif isinstance(a, SeqNode):
        assert isinstance(b, SeqNode)
        assert len(a.items) == len(b.items)
        for x, y in zip(a.items, b.items, strict=True):
            _same(x, y)


def _stages(loaded: Loaded) -> SeqNode | None:
    root = loaded.root
    analysis = root.get("analysis") if isinstance(root, MapNode) else None
    stages = analysis.get("stages") if isinstance(analysis, MapNode) else None
    return stages if isinstance(stages, SeqNode) and stages.items else None


def _line_edit(text: str, loaded: Loaded, rng: random.Random) -> str:
    """A multi-line or key edit somewhere in (or around) the stage items."""
    lines = text.split("\n")
    stages = _stages(loaded)
    assert stages is not None
    first, last = stages.items[0].span.start.line, stages.span.end.line
    n = rng.randint(first - 1, min(last, len(lines) - 1))
    kind = rng.choice(["delete", "duplicate", "key", "insert_stage", "append_stage", "dedent", "blank"])
    if kind == "delete":
        del lines[n]
    elif kind == "duplicate":
        lines[n:n] = lines[n : n + rng.randint(1, 6)]
    elif kind == "key":
        line = lines[n]
        col = line.find(":")
        if col > 0:
            lines[n] = line[: col - 1] + line[col:] if rng.random() < 0.5 else line[:col] + "x" + line[col:]
    elif kind == "insert_stage":
        item = rng.choice(stages.items)
        dash = " " * stages.span.start.col
        at = item.span.start.line
        lines[at:at] = [f"{dash}- id: New{n}", f"{dash}  op: hep.selection.flag", f"{dash}  params: {{}}"]
    elif kind == "append_stage":
        dash = " " * stages.span.start.col
        at = len(lines) - 1 if lines[-1] == "" else len(lines)
        lines[at:at] = [f"{dash}- id: Tail{n}", f"{dash}  op: hep.hist"]
    elif kind == "dedent":
        lines[n] = lines[n].lstrip()
    else:
        lines[n:n] = ["", "# a comment"]
    return "\n".join(lines)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_spliced_tree_equals_a_full_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    file = str(path)
    loaded = parse_yaml(text, file)
    if loaded.diagnostics or loaded.anchors or _stages(loaded) is None:
        pytest.skip("no block list of stages to edit")
    rng = random.Random(path.name)
    spliced = 0
    for _ in range(40):
        new_text = _line_edit(text, loaded, rng)
        full = parse_yaml(new_text, file)
        incremental = parse_yaml(new_text, file, previous=(text, loaded))
        assert incremental.diagnostics == full.diagnostics
        if full.root is None:
            assert incremental.root is None
            continue
        _same(incremental.root, full.root)  # type: ignore[arg-type]
        found = splice_stages(
            text, loaded.root, loaded.index, new_text, file, lambda t, i: _parse(t, file, i, True)
        )
        if found is not None:
            spliced += 1
    assert spliced >= 8, "the splice was hardly ever taken: this test would not notice it going wrong"


BASE = (
    "version: 1.0\nsources: {events: {kind: toy}}\nanalysis:\n  globals: {c: 1}\n  stages:\n"
    "    - id: A\n      op: hep.define\n      params:\n        variables: [{name: x, expr: 'NMuon + 1'}]\n"
    "    - id: B\n      op: hep.selection.flag\n      params:\n        selection: ['x > 1']\n"
    "    - id: C\n      op: hep.hist\n"
    "styles:\n  s: {op: hep.render.hist1d}\n"
)


def _splice(old: str, new: str, loaded: Loaded | None = None) -> Node | None:
    loaded = loaded or parse_yaml(old, "t.yaml")
    found = splice_stages(
        old, loaded.root, loaded.index, new, "t.yaml", lambda t, i: _parse(t, "t.yaml", i, True)
    )
    if found is None:
        return None
    _same(found[0], parse_yaml(new, "t.yaml").root)  # type: ignore[arg-type]
    return found[0]


def test_untouched_items_are_shared_and_later_ones_moved() -> None:
    old = parse_yaml(BASE, "t.yaml")
    new = BASE.replace("      op: hep.selection.flag\n", "      op: hep.selection.flag\n      needs: [A]\n")
    root = _splice(BASE, new, old)
    assert root is not None
    before, after = _stages(old), _stages(Loaded(root, (), old.index))
    assert before is not None and after is not None
    assert after.items[0] is before.items[0]  # A: before the edit, shared
    assert after.items[1] is not before.items[1]  # B: parsed again
    assert after.items[2] is not before.items[2]  # C: moved one line down
    assert after.items[2].span.start.line == before.items[2].span.start.line + 1
    # an edit that moves nothing shares what follows
    same_length = BASE.replace("      op: hep.selection.flag\n", "      op: hep.selection.flat\n")
    root = _splice(BASE, same_length, old)
    assert root is not None
    shared = _stages(Loaded(root, (), old.index))
    assert shared is not None and shared.items[2] is before.items[2]


def test_edits_outside_the_items_or_leaving_them_are_parsed_whole() -> None:
    assert _splice(BASE, BASE.replace("globals: {c: 1}", "globals: {c: 2}")) is None  # before the items
    assert _splice(BASE, BASE.replace("  s: {op", "  t: {op")) is None  # after them
    new_key = BASE.replace("    - id: C\n", "extra: 1\n    - id: C\n")  # a top-level key typed among them
    assert parse_yaml(new_key, "t.yaml").diagnostics  # (it does not parse; the full parse says so)
    assert _splice(BASE, new_key) is None
    flow = "analysis:\n  stages: [{id: A, op: hep.hist}]\n"
    assert _splice(flow, flow.replace("id: A", "id: AB\n")) is None
