"""The Python builder: every valid fixture goes YAML → objects → YAML unchanged (up to formatting) and still
compiles clean; a workflow built from objects compiles; mistakes are told at the Python value that holds them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import fasthep_flow
from fasthep_flow.builder import Stage, Workflow
from fasthep_flow.compiler import CompileOptions, compile_file

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "valid"
FILES = sorted(p for p in VALID.rglob("*.yaml") if p.name.endswith((".flow.yaml", ".yaml")))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(VALID)))
def test_round_trip_is_identical_up_to_formatting(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    original = yaml.safe_load(text)
    if not isinstance(original, dict):
        pytest.fail(f"{path} is not a mapping")
    again = Workflow.from_yaml(text).to_yaml()
    assert yaml.safe_load(again) == original


@pytest.mark.parametrize("path", sorted(VALID.glob("*.flow.yaml")), ids=lambda p: p.stem)
def test_round_tripped_workflow_compiles_like_the_original(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "valid"
    shutil.copytree(VALID, copy)
    rewritten = copy / path.name
    Workflow.read(path).write(rewritten)
    # Each compiled from its own folder: tables (hep.weights.lookup_csv) are read from the working directory.
    monkeypatch.chdir(VALID)
    before = compile_file(path, CompileOptions())
    monkeypatch.chdir(copy)
    after = compile_file(rewritten, CompileOptions())
    assert after.ok, [str(d.message) for d in after.diagnostics]
    assert before.plan is not None and after.plan is not None
    assert [n.id for n in after.plan.nodes] == [n.id for n in before.plan.nodes]


def built() -> Workflow:
    return Workflow(
        sources={"events": {"kind": "toy", "nevents": 2000, "seed": 4}},
        globals={"iso_cut": 0.1},
        stages=[
            Stage(
                "Vars",
                "hep.define",
                {"variables": [{"name": "Muon_Pt", "expr": "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}]},
            ),
            Stage("Dimuon", "hep.selection.cutflow", {"selection": {"dimuon": ["NMuon >= 2"]}}),
            Stage(
                "MuonPt",
                "hep.hist",
                {
                    "axes": [
                        {
                            "name": "pt",
                            "source": "Muon_Pt",
                            "type": "regular",
                            "bins": {"low": 0, "high": 100, "nbins": 10},
                        }
                    ]
                },
            ),
        ],
    )


def test_a_built_workflow_compiles_and_runs() -> None:
    wf = built()
    assert wf.check() == []
    compiled = wf.compile()
    assert isinstance(compiled, fasthep_flow.Workflow)
    result = compiled.run()
    assert result.cutflows["Dimuon"].rows[0]["events_in"] == 2000


def test_mistakes_name_the_python_value() -> None:
    wf = built()
    wf.stage("Dimuon").params["weight_expr"] = "EventWeight >= = 2"
    wf.stage("MuonPt").op = "hep.hsit"
    wf.globals["iso_cut"] = {"nested": 1}
    with pytest.raises(fasthep_flow.WorkflowError) as caught:
        wf.compile()
    messages = [d.message for d in caught.value.diagnostics]
    assert any(m.startswith("Stage('Dimuon').params['weight_expr']: ") for m in messages), messages
    assert any(m.startswith("Stage('MuonPt').op: unknown op 'hep.hsit'") for m in messages), messages


def test_unknown_keys_survive_the_round_trip() -> None:
    text = "version: 1.0\nfuture_section: {a: 1}\nanalysis:\n  note: kept\n  stages:\n    - {id: A, op: hep.define, odd: 2}\n"
    wf = Workflow.from_yaml(text)
    assert wf.extra == {"future_section": {"a": 1}}
    assert wf.stages[0].extra == {"odd": 2}
    assert yaml.safe_load(wf.to_yaml()) == yaml.safe_load(text)


def test_workflows_and_custom_ops_from_the_builder() -> None:
    from fasthep_flow.ops.contract import Events

    @fasthep_flow.op("lab.twice", reads=("column",), writes=("output",))
    def twice(events: Events, column: str, output: str = "Twice") -> dict[str, object]:
        return {output: events[column] * 2}

    wf = built()
    wf.stages.insert(0, Stage("Doubled", "lab.twice", {"column": "NMuon", "output": "N2"}))
    wf.workflows = {"cuts": {"stages": ["Dimuon"]}, "plots": {"stages": ["MuonPt"], "extends": "cuts"}}
    assert wf.check(ops=[twice]) == []
    assert yaml.safe_load(wf.to_yaml())["workflows"]["plots"] == {"stages": ["MuonPt"], "extends": "cuts"}
    assert Workflow.from_yaml(wf.to_yaml()).workflows == wf.workflows
    cuts = wf.compile(ops=[twice]).run(workflow="cuts")
    assert list(cuts.cutflows) == ["Dimuon"] and list(cuts.hists) == []
    wf.workflows["plots"]["extends"] = "cut"
    (problem,) = wf.check(ops=[twice])
    assert problem.message == "Workflow.workflows['plots']['extends']: unknown workflow 'cut'"
    assert [d.code.id for d in wf.check()] == ["FF101", "FF309"]  # without the op: unknown op 'lab.twice'
