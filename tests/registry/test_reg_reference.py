"""Reference Markdown from the specs, and did-you-mean."""

from __future__ import annotations

import pytest

from fasthep_flow.registry import builtin_registry
from fasthep_flow.registry.reference import function_markdown, op_markdown
from fasthep_flow.registry.specs import Struct
from fasthep_flow.registry.suggest import edit_distance, suggest

REG = builtin_registry()


@pytest.mark.parametrize(
    "spec", sorted(REG.all_ops(), key=lambda s: (s.kind.value, s.name)), ids=lambda s: s.name
)
def test_every_param_default_and_allowed_value_is_documented(spec) -> None:
    text = op_markdown(spec)
    assert text.startswith(f"## `{spec.name}` ({spec.kind.value})\n")
    for p in spec.params:
        assert f"| `{p.name}`" in text
        if p.has_default:
            assert f"`{p.default_display}`" in text
        for value in p.allowed:  # shown as the user writes it in YAML (`true`, not `True`)
            assert f"`{str(value).lower() if isinstance(value, bool) else value}`" in text
    for line in text.splitlines():
        if line.startswith("| `"):
            assert line.count(" | ") == 4, line  # five cells: no stray `|` splits a row


def test_nested_mappings_get_their_own_tables() -> None:
    text = op_markdown(REG.stage_op("hep.hist"))  # type: ignore[arg-type]
    assert "### `axes[]`: `axis`" in text
    assert "### `variations.apply_to`: `{eventtype}`" in text
    assert "| `type` (required) | `str` |  | `regular`, `variable`, `category`, `int`, `bool` |" in text
    assert "`bool or {name, type?, source?, bins?, label?}`" in text  # alternatives read "or", not "|"
    cutflow = op_markdown(REG.stage_op("hep.selection.cutflow"), heading="#")  # type: ignore[arg-type]
    assert cutflow.startswith("# `hep.selection.cutflow`") and "## `selection{}`" in cutflow


def test_ops_without_params_say_so() -> None:
    from fasthep_flow.registry.specs import OpKind, OpSpec

    assert "takes no params" in op_markdown(OpSpec("x.noop", OpKind.TRANSFORM, "Nothing."))
    assert isinstance(REG.stage_op("hep.hist").param("axes").type.item, Struct)  # type: ignore[union-attr]


def test_function_markdown() -> None:
    assert function_markdown(REG.functions["leading"]).startswith("`leading(x, default=0.0)` (1–2 arguments)")
    assert "(3 arguments)" in function_markdown(REG.functions["where"])


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("hep.hsit", ["hep.hist", "hep.define"], "hep.hist"),  # a swap is one edit
        ("hist", ["hep.hist", "hep.render.hist1d"], "hep.hist"),  # the namespace left out
        ("cutflow", ["hep.selection.cutflow", "hep.render.cutflow_csv"], "hep.selection.cutflow"),
        ("Muon_pt", ["Muon_Pt", "Muon_Px"], "Muon_Pt"),  # case only
        ("storag", ["storage", "axes"], "storage"),
        ("weight_exp", ["weight_expr", "weights"], "weight_expr"),
        ("hep.define", ["hep.define"], "hep.define"),
        ("zzz", ["hep.hist", "toy"], None),
        ("", ["a"], None),
        ("a", [], None),
        ("xy", ["ab"], None),  # two edits in a two-letter name is not a typo
    ],
)
def test_suggest(name, candidates, expected) -> None:
    assert suggest(name, candidates) == expected


def test_edit_distance() -> None:
    assert edit_distance("hep.hsit", "hep.hist") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("ca", "abc") == 3  # optimal string alignment, not unrestricted Damerau
