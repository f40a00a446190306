"""Param types know their JSON Schema and display name; every built-in spec is well formed."""

from __future__ import annotations

import jsonschema
import pytest

from fasthep_flow.registry import builtin_registry
from fasthep_flow.registry.dataflow import path_type, use_kind
from fasthep_flow.registry.specs import (
    NO_DEFAULT,
    Bool,
    Choice,
    Const,
    Expr,
    Field,
    Int,
    ListOf,
    MapOf,
    Number,
    OneOf,
    OpKind,
    OpSpec,
    Param,
    Port,
    Str,
    Struct,
)

AXIS = Struct(
    (
        Param("name", Str, required=True),
        Param("bins", OneOf(Struct((Param("low", Number, required=True),)), ListOf(Number))),
    ),
    name="axis",
)


@pytest.mark.parametrize(
    ("ptype", "display"),
    [
        (Str, "str"),
        (ListOf(Str), "list[str]"),
        (MapOf(Expr), "map[str, expr]"),
        (OneOf(Bool, Struct((Param("name", Str),))), "bool | {name?}"),
        (ListOf(AXIS), "list[axis]"),
        (Const(False), "false"),
        (Struct((Param("a", Int, required=True), Param("b", Int))), "{a, b?}"),
    ],
)
def test_display_names(ptype, display) -> None:
    assert ptype.display == display


@pytest.mark.parametrize(
    ("ptype", "good", "bad"),
    [
        (Str, "x", 1),
        (Int, 3, 2.5),
        (Number, 2.5, "2.5"),
        (Bool, True, "yes"),
        (Expr, "a > 1", [1]),
        (Expr, 1, {"a": 1}),
        (Field, "Muon_Pt", 1),
        (ListOf(Str), ["a", "b"], ["a", 1]),
        (MapOf(Expr), {"up": "w * 1.1"}, {"up": [1]}),
        (ListOf(AXIS), [{"name": "pt", "bins": {"low": 0}}], [{"bins": [1, 2]}]),
        (ListOf(AXIS), [{"name": "pt", "bins": [0, 1, 2]}], [{"name": "pt", "colour": "red"}]),
        (Struct((Param("x", Int),), open=True), {"x": 1, "anything": 2}, {"x": "1"}),
        (OneOf(Struct((Param("by", Str),)), Const(False)), False, True),
        (Choice(("a", "b")), "a", "c"),
    ],
)
def test_json_schema_accepts_and_rejects(ptype, good, bad) -> None:
    validator = jsonschema.Draft202012Validator(ptype.json_schema())
    assert validator.is_valid(good)
    assert not validator.is_valid(bad)


def test_param_schema_carries_docs_enum_default_and_minimum() -> None:
    p = Param(
        "storage",
        Str,
        default="count",
        allowed=("count", "weighted"),
        allowed_docs=("counts", "sums of weights"),
        minimum=None,
        doc="What each bin `stores`.",
    )
    schema = p.json_schema()
    assert schema == {
        "type": "string",
        "enum": ["count", "weighted"],
        "enumDescriptions": ["counts", "sums of weights"],
        "default": "count",
        "markdownDescription": "What each bin `stores`.",
        "description": "What each bin stores.",
    }
    assert Param("n", Int, minimum=1).json_schema()["minimum"] == 1
    assert Param("sel", ListOf(Expr), default=()).json_schema()["default"] == []


def test_param_invariants() -> None:
    with pytest.raises(ValueError, match="allowed_docs"):
        Param("x", Str, allowed=("a", "b"), allowed_docs=("only one",))
    with pytest.raises(ValueError, match="required"):
        Param("x", Str, required=True, default="a")
    assert not Param("x", Str).has_default
    assert Param("x", Str, default=None).has_default  # YAML null is a real default
    assert NO_DEFAULT is not None and not NO_DEFAULT


def test_opspec_invariants() -> None:
    with pytest.raises(ValueError, match="port"):
        OpSpec("x", OpKind.TRANSFORM, "doc", inputs=(Port("events", "river"),))
    with pytest.raises(ValueError, match="twice"):
        OpSpec("x", OpKind.TRANSFORM, "doc", params=(Param("a", Str), Param("a", Int)))


ALL_OPS = sorted(builtin_registry().all_ops(), key=lambda s: (s.kind.value, s.name))


@pytest.mark.parametrize("spec", ALL_OPS, ids=lambda s: f"{s.kind.value}:{s.name}")
def test_builtin_spec_is_documented_and_paths_resolve(spec: OpSpec) -> None:
    assert spec.doc.strip()
    assert spec.plugin in ("core", "hep", "render")
    for p in spec.params:
        assert p.doc.strip(), f"{spec.name}.{p.name} has no doc"
        if p.allowed and p.has_default:
            assert p.default in p.allowed
    for path in spec.reads:
        assert use_kind(path_type(spec, path)) in ("expr", "field")
    for path in spec.writes:
        path_type(spec, path)  # raises InternalError when the path does not match the params


def test_paths_and_kinds_of_hist() -> None:
    hist = builtin_registry().stage_op("hep.hist")
    assert hist is not None
    assert use_kind(path_type(hist, "axes[].source")) == "expr"
    assert use_kind(path_type(hist, "variations.weights{}")) == "expr"
    sink = builtin_registry().stage_op("root_tree")
    assert sink is not None and use_kind(path_type(sink, "keep[]")) == "field"


# DESIGN §2.1, param by param: name -> (required, default or NO_DEFAULT, allowed)
DESIGN_PARAMS = {
    ("sources", "root_tree"): {
        "tree": (True, NO_DEFAULT, ()),
        "branches": (False, NO_DEFAULT, ()),
        "missing_branches": (False, "error", ("error", "ignore")),
        "start": (False, NO_DEFAULT, ()),
        "stop": (False, NO_DEFAULT, ()),
        "stream_type": (False, "event_stream", ()),
        "metadata_only": (False, False, ()),
    },
    ("sources", "parquet"): {"columns": (False, NO_DEFAULT, ())},
    ("sources", "toy"): {"nevents": (False, 10000, ()), "seed": (False, 0, ())},
    ("stages", "hep.define"): {"variables": (True, NO_DEFAULT, ())},
    ("stages", "hep.selection.cutflow"): {
        "selection": (True, NO_DEFAULT, ()),
        "weight_expr": (False, NO_DEFAULT, ()),
        "filter": (False, "all", ("all", "any", "none")),
        "emit_flags": (False, True, ()),
        "output_field": (False, NO_DEFAULT, ()),
    },
    ("stages", "hep.selection.flag"): {
        "selection": (True, NO_DEFAULT, ()),
        "output": (False, NO_DEFAULT, ()),
    },
    ("stages", "hep.hist"): {
        "axes": (True, NO_DEFAULT, ()),
        "weight_expr": (False, NO_DEFAULT, ()),
        "storage": (False, NO_DEFAULT, ("count", "weighted")),  # LANGUAGE.md §9.4: follows weight_expr
        "dataset_axis": (False, NO_DEFAULT, ()),
        "variations": (False, NO_DEFAULT, ()),
    },
    ("stages", "hep.di_object_mass"): {
        "collection": (False, "Muon", ()),
        "mask": (False, NO_DEFAULT, ()),
        "out_var": (False, "DiMuon_Mass", ()),
    },
    ("stages", "hep.select_objects"): {
        "collection": (True, NO_DEFAULT, ()),
        "output": (True, NO_DEFAULT, ()),
        "keep": (True, NO_DEFAULT, ()),
        "selection": (False, (), ()),
        "derived": (False, NO_DEFAULT, ()),
        "sort": (False, {"by": "pt", "order": "descending"}, ()),
        "missing_fields": (False, "error", ()),
    },
    ("stages", "hep.project_fields"): {
        "aliases": (True, NO_DEFAULT, ()),
        "include_existing": (False, True, ()),
    },
    ("stages", "root_tree"): {
        "path": (True, NO_DEFAULT, ()),
        "tree": (False, "events", ()),
        "keep": (False, NO_DEFAULT, ()),
        "format": (False, "rntuple", ("rntuple", "ttree")),
        "compression": (False, "zlib", ("zlib", "lz4", "zstd", "none")),
        "compression_level": (False, 1, ()),
    },
    ("stages", "parquet"): {"path": (True, NO_DEFAULT, ()), "keep": (False, NO_DEFAULT, ())},
    ("observers", "hep.schema_snapshot"): {"out": (False, NO_DEFAULT, ()), "format": (False, "json", ())},
    ("observers", "hep.branches"): {"out": (False, NO_DEFAULT, ()), "format": (False, "json", ())},
}


@pytest.mark.parametrize("key", sorted(DESIGN_PARAMS), ids=lambda k: f"{k[0]}:{k[1]}")
def test_specs_match_the_design_reference(key) -> None:
    group, name = key
    spec = builtin_registry().ops_for(group)[name]
    for pname, (required, default, allowed) in DESIGN_PARAMS[key].items():
        p = spec.param(pname)
        assert p is not None, f"{name} lacks {pname}"
        assert p.required is required, pname
        if default is NO_DEFAULT:
            assert not p.has_default, pname
        else:
            assert p.default == default or dict(p.default) == default, pname  # type: ignore[call-overload]
        assert p.allowed == allowed, pname


def test_define_reduce_ops_and_axis_types_match_the_design() -> None:
    reg = builtin_registry()
    schema = reg.stage_op("hep.define").params_struct.json_schema()  # type: ignore[union-attr]
    reduce = schema["properties"]["variables"]["items"]["anyOf"][1]["properties"]["reduce"]
    assert reduce["properties"]["op"]["enum"] == ["count_nonzero", "any", "all", "sum", "min", "max"]
    axis = reg.stage_op("hep.hist").param("axes").type.item  # type: ignore[union-attr]
    assert axis.param("type").allowed == ("regular", "variable", "category", "int", "bool")
    modes = reg.observer("hep.schema_snapshot").param("mode").allowed  # type: ignore[union-attr]
    assert modes == ("partition", "first_partition")
