"""`systematics:` in the editor: its keys complete from the schema, as every block's do."""

from __future__ import annotations

from cursor_marks import at_cursor

from fasthep_flow.service import Context, Document, complete

HEAD = """\
version: 1.0
sources: {events: {kind: toy, nevents: 10}}
systematics:
"""


def _labels(text: str, ctx: Context) -> list[str]:
    clean, pos = at_cursor(text)
    return [c.label for c in complete(Document("file:///w/t.flow.yaml", clean, 1), pos, ctx)]


def test_systematics_keys_complete(ctx: Context) -> None:
    assert _labels(HEAD + "  |\n", ctx) == ["include_nominal", "profiles", "variations"]


def test_a_variation_offers_its_keys_but_not_the_ones_written(ctx: Context) -> None:
    got = _labels(HEAD + "  variations:\n    - name: w_up\n      |\n", ctx)
    assert {"weight", "replace", "datasets", "applies_to", "group", "direction"} <= set(got)
    assert "name" not in got
