"""Caches keyed by an object's id() must not answer for another object that reuses the id, and a registry
built from a local profile is shared while the profile's content is unchanged (issue 13)."""

from __future__ import annotations

import gc
from pathlib import Path

import jsonschema
import pytest

from fasthep_flow.compiler import compile_text, dataflow, structure
from fasthep_flow.document.loader import parse_yaml
from fasthep_flow.expressions import FunctionSig, parse
from fasthep_flow.registry import load_registry


def _same_id(old_id: int, make):  # type: ignore[no-untyped-def]
    """Allocate objects until one gets ``old_id`` (CPython reuses freed memory); None if none did."""
    keep = []
    for _ in range(2000):
        obj = make()
        if id(obj) == old_id:
            return obj
        keep.append(obj)
    return None


def test_schema_errors_are_not_answered_for_another_validator_with_the_same_id() -> None:
    def strings() -> object:
        return jsonschema.Draft202012Validator({"type": "string"})

    def integers() -> object:
        return jsonschema.Draft202012Validator({"type": "integer"})

    first = strings()
    assert len(structure._errors_of(first, "x", 5)) == 1  # type: ignore[arg-type]
    old = id(first)
    del first
    gc.collect()
    other = _same_id(old, integers)
    if other is None:  # the reuse could not be provoked: plant an entry under the new validator's id
        other = integers()
        structure._ERRORS_CACHE[(id(other), "x", "5")] = (strings(), ("stale",))  # type: ignore[assignment]
    assert structure._errors_of(other, "x", 5) == ()  # type: ignore[arg-type]


def test_expression_checks_are_not_answered_for_another_function_table() -> None:
    expr = parse("sqrt(x)")
    with_sqrt = {"sqrt": FunctionSig("sqrt", 1, 1, "")}
    assert dataflow._checked(expr, with_sqrt) == ()  # type: ignore[arg-type]
    key = ("sqrt(x)", id(with_sqrt))
    del with_sqrt
    gc.collect()
    without = _same_id(key[1], dict)
    if without is None:  # could not provoke the reuse: check the guard directly
        without = {}
        dataflow._CHECKED[("sqrt(x)", id(without))] = ({"other": 1}, ())  # type: ignore[assignment]
    assert [e.code.id for e in dataflow._checked(expr, without)] == ["FF203"]  # type: ignore[arg-type]


def test_a_local_profile_registry_is_shared_until_the_profile_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the project root: `./local.yaml` found there is not a path fallback (FF141)
    profile = tmp_path / "local.yaml"
    profile.write_text("doc: local\ndefaults: {execution: {executor: threads}}\n", encoding="utf-8")
    root = parse_yaml("version: 1.0\nuse: {profiles: [./local.yaml]}\n", str(tmp_path / "w.yaml")).root
    first, d1 = load_registry(root, tmp_path)
    again, _ = load_registry(root, tmp_path)
    assert not d1
    assert again is first  # no schema and validators rebuilt on the next keystroke
    profile.write_text("doc: local\ndefaults: {execution: {executor: processes}}\n", encoding="utf-8")
    changed, _ = load_registry(root, tmp_path)
    assert changed is not first
    assert changed.defaults != first.defaults


def test_compiling_with_a_local_profile_twice_reuses_the_validators(tmp_path: Path) -> None:
    (tmp_path / "local.yaml").write_text("doc: local\n", encoding="utf-8")
    text = "version: 1.0\nuse: {profiles: [./local.yaml]}\nsources:\n  events: {kind: toy}\nanalysis:\n  stages:\n"
    text += "    - {id: A, op: hep.define, params: {variables: [{name: x, expr: 'NMuon'}]}}\n"
    a = compile_text(text, str(tmp_path / "w.yaml"))
    b = compile_text(text, str(tmp_path / "w.yaml"))
    assert a.registry is b.registry
    assert structure._validators_for(a.registry) is structure._validators_for(b.registry)
