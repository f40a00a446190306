"""What the language's types allow at one place of a document: the keys and values the editor offers there,
walked over the same types the JSON Schema is rendered from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fasthep_flow.registry import builtin_registry, load_registry
from fasthep_flow.registry.schema import workflow_schema
from fasthep_flow.registry.type_paths import document_type, keys_at, values_at


def _values(*by_depth: Any) -> Callable[[int], Any]:
    """The document's values along the path, depth by depth (what the editor reads from the tree)."""
    return lambda depth: by_depth[depth] if depth < len(by_depth) else None


def test_a_source_s_keys_follow_its_kind_as_written() -> None:
    root = document_type(builtin_registry())
    path = ("sources", "events")
    root_tree = keys_at(root, path, _values({}, {}, {"kind": "root_tree"}))
    toy = keys_at(root, path, _values({}, {}, {"kind": "toy"}))
    assert "tree" in root_tree and "tree" not in toy
    assert "nevents" in toy


def test_a_kind_is_asked_for_first_and_an_unknown_value_follows_every_branch() -> None:
    root = document_type(builtin_registry())
    no_kind = keys_at(root, ("sources", "events"), _values({}, {}, {}))
    assert set(no_kind) == {"kind"} and no_kind["kind"].doc and no_kind["kind"].required
    unknown = keys_at(root, ("sources", "events"), _values({}, {}, None))
    assert {"kind", "tree", "nevents"} <= set(unknown)
    misspelt = keys_at(root, ("sources", "events"), _values({}, {}, {"kind": "root_tre"}))
    assert set(misspelt) == {"kind"}


def test_values_of_a_choice_with_their_documentation() -> None:
    root = document_type(builtin_registry())
    found = dict(values_at(root, ("analysis", "stages", 0, "render", "when"), _values()))
    assert found.get("final")  # offered, with its documentation
    assert dict(values_at(root, ("execution", "cache"), _values())) == {True: "", False: ""}


def test_a_stage_s_keys_and_its_op_s_params_come_from_the_op_written() -> None:
    root = document_type(builtin_registry())
    stage = {"id": "H", "op": "hep.hist", "params": {}}
    keys = keys_at(root, ("analysis", "stages", 0), _values({}, {}, {}, stage))
    assert {"id", "op", "params", "needs", "write"} <= set(keys) and keys["id"].required
    params = keys_at(root, ("analysis", "stages", 0, "params"), _values({}, {}, {}, stage))
    assert "axes" in params and params["axes"].required
    defines = keys_at(root, ("analysis", "stages", 0, "params"), _values({}, {}, {}, {"op": "hep.define"}))
    assert "axes" not in defines


def test_every_key_the_schema_lists_is_a_key_the_walk_offers() -> None:
    """The schema is rendered from the types the walk reads: the top level and a source agree key for key."""
    reg = builtin_registry()
    schema = workflow_schema(reg)
    root = document_type(reg)
    assert set(keys_at(root, ())) == set(schema["properties"])
    execution = schema["properties"]["execution"]["properties"]
    assert set(keys_at(root, ("execution",))) == set(execution)


def test_the_types_follow_the_registry_they_were_made_for() -> None:
    reg = builtin_registry()
    assert document_type(reg) is document_type(reg)  # made once per registry
    other, _ = load_registry(None)
    assert other is not reg
    assert document_type(other) == document_type(reg) and document_type(other) is not document_type(reg)
