"""What the workflow schema says about one place of a document: the keys and values the editor offers there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fasthep_flow.registry import builtin_registry, load_registry
from fasthep_flow.registry.schema_paths import keys_of, schema_of, schemas_at, values_of


def _values(*by_depth: Any) -> Callable[[int], Any]:
    """The document's values along the path, depth by depth (what the editor reads from the tree)."""
    return lambda depth: by_depth[depth] if depth < len(by_depth) else None


def test_a_source_s_keys_follow_its_kind_as_written() -> None:
    reg = builtin_registry()
    path = ("sources", "events")
    root_tree = keys_of(reg, schemas_at(reg, path, _values({}, {}, {"kind": "root_tree"})))
    toy = keys_of(reg, schemas_at(reg, path, _values({}, {}, {"kind": "toy"})))
    assert "tree" in root_tree and "tree" not in toy
    assert "nevents" in toy


def test_a_kind_is_asked_for_first_and_an_unknown_value_follows_every_branch() -> None:
    reg = builtin_registry()
    no_kind = keys_of(reg, schemas_at(reg, ("sources", "events"), _values({}, {}, {})))
    assert set(no_kind) == {"kind"} and no_kind["kind"].doc and no_kind["kind"].required
    unknown = keys_of(reg, schemas_at(reg, ("sources", "events"), _values({}, {}, None)))
    assert {"kind", "tree", "nevents"} <= set(unknown)


def test_values_of_an_enum_with_their_documentation() -> None:
    reg = builtin_registry()
    found = dict(values_of(schemas_at(reg, ("analysis", "stages", 0, "render", "when"), _values())))
    assert found.get("final")  # offered, with its documentation


def test_the_schema_follows_the_registry_it_was_made_for() -> None:
    reg = builtin_registry()
    assert schema_of(reg) is schema_of(reg)  # made once per registry
    other, _ = load_registry(None)
    assert other is not reg
    assert schema_of(other) == schema_of(reg) and schema_of(other) is not schema_of(reg)
    assert schemas_at(None, ("analysis",), _values()) == ()
