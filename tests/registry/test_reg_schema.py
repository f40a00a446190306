"""The JSON Schema: committed file is fresh, the DESIGN example validates, mistakes are caught."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from regtools import parse

from fasthep_flow.registry import builtin_registry, load_registry
from fasthep_flow.registry.schema import (
    REFRESH_COMMAND,
    builtin_schema_text,
    committed_path,
    main,
    workflow_schema,
)

DESIGN_EXAMPLE = Path(__file__).parent / "fixtures" / "design_example.yaml"
SCHEMA = workflow_schema(builtin_registry())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def errors(doc: object) -> list[tuple[list[object], str]]:
    return [(list(e.absolute_path), e.validator) for e in VALIDATOR.iter_errors(doc)]  # type: ignore[misc]


def example() -> dict:
    return yaml.safe_load(DESIGN_EXAMPLE.read_text(encoding="utf-8"))


def test_committed_schema_is_fresh() -> None:
    path = committed_path()
    assert path is not None, "tests run from a source checkout"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    assert current == builtin_schema_text(), f"{path} is stale; refresh it with: {REFRESH_COMMAND}"


def test_schema_is_valid_2020_12_with_sorted_two_space_json() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    text = builtin_schema_text()
    assert text.endswith("}\n") and text.startswith('{\n  "$defs"')  # sorted keys, 2-space indent
    assert json.loads(text) == SCHEMA


def test_check_and_write_modes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.json"
    assert main(["--check", "--path", str(target)]) == 1
    assert REFRESH_COMMAND in capsys.readouterr().err
    assert main(["--write", "--path", str(target)]) == 0
    assert main(["--check", "--path", str(target)]) == 0
    target.write_text(target.read_text() + " ", encoding="utf-8")
    assert main(["--check", "--path", str(target)]) == 1


def test_design_example_is_valid() -> None:
    assert errors(example()) == []


def test_more_valid_forms() -> None:
    doc = {
        "version": "1",
        "include": "common.yaml",
        "use": {"profiles": ["hep", "./lab.yaml", "labpkg:fast"]},
        "datasets": {"dy": {"files": "dy.root", "eventtype": "mc", "color": "blue"}},
        "sources": {
            "toy": {"kind": "toy", "nevents": 100, "seed": 3},
            "tab": {"kind": "parquet", "columns": ["a"]},
        },
        "primary_stream": "toy",
        "fields": {"pt": "Muon_Pt"},
        "outputs": {"skim": {"kind": "root_tree", "path": "skim.root", "format": "ttree"}},
        "observers": [{"kind": "hep.branches", "at": ["read.toy", "stage.Sel"], "mode": "partition"}],
        "execution": {"executor": "dask", "workers": 2, "chunk_size": 100000, "timeout": "5m"},
        "registry": [{"spec": "mypkg.ops:SPEC", "impl": "mypkg.ops:run", "name": "my.op"}],
        "styles": {
            "base": {
                "op": "hep.render.hist1d",
                "figure": {"size": [6, 4], "dpi": 150},
                "legend": {"loc": "best"},
            },
            "log": {"use": "base", "with": {"axes": {"y": {"scale": "log"}}}},
            "stack": {"op": "hep.render.data_mc", "data": "data", "ratio": True},
        },
        "analysis": {
            "globals": {"iso_cut": 0.1},
            "stages": [
                {
                    "id": "Sel",
                    "op": "hep.select_objects",
                    "params": {"collection": "Muon", "output": "Good", "keep": ["Px"], "sort": False},
                    "applies_to": {"eventtype": "mc"},
                    "execution": {"timeout": 30, "retries": 2},
                    "inspect": {"kind": "hep.schema_snapshot", "when": "partition"},
                },
                {
                    "id": "Cuts",
                    "op": "hep.selection.cutflow",
                    "needs": [],
                    "from": [{"node": "Sel", "port": "events", "as": "events"}],
                    "params": {
                        "selection": {
                            "a": [
                                "x > 1",
                                {"expr": "y", "label": "why"},
                                {"reduce": {"op": "any", "over": "z"}},
                            ],
                            "b": {"cuts": ["w"], "from": "a"},
                        },
                        "filter": "any",
                    },
                    "write": [{"output": "skim"}, {"kind": "parquet", "path": "c.parquet", "when": "final"}],
                    "render": [{"style": "log", "out": ["a.png", "a.pdf"], "when": "dataset"}],
                },
                {"id": "Mass", "op": "hep.di_object_mass"},
                {"id": "Flag", "op": "hep.selection.flag", "params": {"selection": "NMuon > 1"}},
                {"id": "Write", "op": "root_tree", "role": "sink", "params": {"path": "o.root"}},
            ],
        },
    }
    assert errors(doc) == []


@pytest.mark.parametrize(
    ("change", "where", "validator"),
    [
        (
            lambda d: d["analysis"]["stages"][0].update(op="hep.defne"),
            ["analysis", "stages", 0, "op"],
            "enum",
        ),
        (
            lambda d: d["analysis"]["stages"][2]["params"].update(storag="weighted"),
            ["analysis", "stages", 2, "params"],
            "additionalProperties",
        ),
        (
            lambda d: d["analysis"]["stages"][2]["params"].update(storage="weight"),
            ["analysis", "stages", 2, "params", "storage"],
            "enum",
        ),
        (
            lambda d: d["analysis"]["stages"][2]["params"]["axes"][0].update(type="regulr"),
            ["analysis", "stages", 2, "params", "axes", 0, "type"],
            "enum",
        ),
        (
            lambda d: d["analysis"]["stages"][0].update(nedds=[]),
            ["analysis", "stages", 0],
            "additionalProperties",
        ),
        (
            lambda d: d["analysis"]["stages"][1]["params"].pop("selection"),
            ["analysis", "stages", 1, "params"],
            "required",
        ),
        (lambda d: d["sources"]["events"].update(kind="root_tre"), ["sources", "events", "kind"], "enum"),
        (lambda d: d["sources"]["events"].update(tre="x"), ["sources", "events"], "additionalProperties"),
        (lambda d: d["sources"]["events"].pop("tree"), ["sources", "events"], "required"),
        (lambda d: d.update(analysys={}), [], "additionalProperties"),
        (
            lambda d: d["styles"]["muon_pt"]["axes"]["x"].update(lable="x"),
            ["styles", "muon_pt", "axes", "x"],
            "additionalProperties",
        ),
        (
            lambda d: d["styles"]["muon_pt"].update(op="hep.render.hist2d"),
            ["styles", "muon_pt", "op"],
            "enum",
        ),
        (
            lambda d: d["data"]["datasets"][0].update(eventtype="simulation"),
            ["data", "datasets", 0, "eventtype"],
            "enum",
        ),
        (
            lambda d: d["analysis"]["stages"][0].update(applies_to={"eventtype": "sim"}),
            ["analysis", "stages", 0, "applies_to", "eventtype"],
            "enum",
        ),
        (lambda d: d.update(execution={"executor": "spark"}), ["execution", "executor"], "enum"),
        (lambda d: d.update(execution={"timeout": "5 weeks"}), ["execution", "timeout"], "anyOf"),
    ],
)
def test_mistakes_are_errors_at_their_place(change, where, validator) -> None:
    doc = copy.deepcopy(example())
    change(doc)
    assert (where, validator) in errors(doc)


@pytest.mark.parametrize("as_list", [False, True])
def test_bad_when_is_rejected_at_the_value(as_list: bool) -> None:
    doc = copy.deepcopy(example())
    stage = doc["analysis"]["stages"][1]
    stage["render"]["when"] = "end"
    if as_list:
        stage["render"] = [stage["render"]]
    where = ["analysis", "stages", 1, "render", *([0] if as_list else []), "when"]
    assert errors(doc) == [(where, "enum")]


def test_editor_hints_docs_enums_defaults_and_snippets() -> None:
    stage = SCHEMA["$defs"]["stage"]
    op = stage["properties"]["op"]
    assert len(op["enum"]) == len(op["enumDescriptions"]) == len(builtin_registry().stage_ops())
    snippets = {s["label"]: s["body"] for s in stage["defaultSnippets"]}
    assert set(snippets) == set(op["enum"])
    hist = snippets["hep.hist"]
    assert hist["op"] == "hep.hist" and hist["id"] == "${1:StageId}"
    assert set(hist["params"]) == {"axes"}
    assert set(hist["params"]["axes"][0]) == {"name", "source", "type"}
    assert "params" not in snippets["hep.di_object_mass"]  # nothing required
    params = SCHEMA["$defs"]["params.stages.hep.hist"]
    storage = params["properties"]["storage"]
    assert "default" not in storage and storage["enumDescriptions"]  # it follows `weight_expr` (upstream)
    assert (
        SCHEMA["$defs"]["params.stages.hep.di_object_mass"]["properties"]["collection"]["default"] == "Muon"
    )
    assert "markdownDescription" in params and "markdownDescription" in storage
    assert SCHEMA["$defs"]["when"]["enum"] == [
        "partition",
        "dataset",
        "final",
        "partition_end",
        "dataset_end",
        "run_end",
    ]


def test_schema_of_a_registry_with_user_layers_knows_their_ops(tmp_path: Path) -> None:
    root = parse(
        'registry: [{spec: "fasthep_flow.ops.hep.flag:SPEC", name: lab.flag}]\n', str(tmp_path / "w.yaml")
    )
    reg, _ = load_registry(root, tmp_path, trust=True)
    validator = jsonschema.Draft202012Validator(workflow_schema(reg))
    doc = {"analysis": {"stages": [{"id": "F", "op": "lab.flag", "params": {"selection": ["x"]}}]}}
    assert list(validator.iter_errors(doc)) == []
    assert not VALIDATOR.is_valid(doc)
