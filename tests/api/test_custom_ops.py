"""`@fasthep_flow.op`: the params' JSON Schema from type hints (or a dataclass), check errors on wrong values,
runs through the Python API and the CLI, the `ops` listing, and the editor's completion and hover — the module
imported only when the workspace is trusted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Optional

import numpy as np
import pytest

import fasthep_flow
from fasthep_flow.compiler import CompileOptions, compile_file
from fasthep_flow.document import codes
from fasthep_flow.document.spans import Pos
from fasthep_flow.ops.contract import Events
from fasthep_flow.service import Context, Document, complete, hover, path_to_uri


@fasthep_flow.op("lab.scale", reads=("column",), writes=("output",))
def scale(
    events: Events,
    column: str,
    factor: Annotated[float, "Multiplies the column."] = 2.0,
    output: str = "Scaled",
    mode: Literal["mul", "div"] = "mul",
    limit: Optional[int] = None,  # noqa: UP045  (the typing spelling is part of what is tested)
    tags: list[str] = [],  # noqa: B006  (never mutated; a list default as users write it)
    weights: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Scale a column by a constant."""
    values = np.asarray(events[column])
    return {output: values * factor if mode == "mul" else values / factor}


@dataclass
class WindowParams:
    column: str
    low: float = 0.0
    high: float = 1.0
    labels: list[str] = field(default_factory=list)


@fasthep_flow.op("lab.window", reads=("column",))
def window(events: Events, params: WindowParams, ctx: object) -> Events:
    """Keep the events whose column lies in [low, high)."""
    v = np.asarray(events[params.column])
    return events.filter((v >= params.low) & (v < params.high))


def _schema(op: object, name: str) -> dict:  # type: ignore[type-arg]
    return op.spec.param(name).json_schema()  # type: ignore[attr-defined]


def test_params_schema_from_type_hints() -> None:
    spec = scale.spec
    assert spec.name == "lab.scale" and spec.doc == "Scale a column by a constant."
    assert [p.name for p in spec.params] == ["column", "factor", "output", "mode", "limit", "tags", "weights"]
    assert [p.name for p in spec.required_params] == ["column"]
    assert _schema(scale, "column") == {"type": "string"}
    factor = _schema(scale, "factor")
    assert (factor["type"], factor["default"], factor["description"]) == (
        "number",
        2.0,
        "Multiplies the column.",
    )
    assert _schema(scale, "mode") == {"type": "string", "enum": ["mul", "div"], "default": "mul"}
    assert _schema(scale, "limit") == {"type": ["integer", "null"], "default": None}
    assert _schema(scale, "tags") == {"type": "array", "items": {"type": "string"}, "default": []}
    assert _schema(scale, "weights") == {
        "anyOf": [{"type": "object", "additionalProperties": {"type": "number"}}, {"type": "null"}],
        "default": None,
    }
    assert spec.impl == f"{__name__}:scale.run" and spec.reads == ("column",) and spec.writes == ("output",)
    assert scale(Events({"x": np.array([1.0, 2.0])}), "x")["Scaled"].tolist() == [
        2.0,
        4.0,
    ]  # still a function


def test_params_schema_from_a_dataclass() -> None:
    spec = window.spec
    assert [(p.name, p.required) for p in spec.params] == [
        ("column", True),
        ("low", False),
        ("high", False),
        ("labels", False),
    ]
    assert spec.param("labels").default == [] and _schema(window, "high") == {
        "type": "number",
        "default": 1.0,
    }


def test_optional_literal_allows_its_values_and_null() -> None:
    import jsonschema

    @fasthep_flow.op("lab.pick")
    def pick(events: Events, side: Optional[Literal["left", "right"]] = None) -> None: ...  # noqa: UP045

    schema = _schema(pick, "side")
    assert schema == {"type": ["string", "null"], "enum": ["left", "right", None], "default": None}
    valid = jsonschema.Draft202012Validator(schema).is_valid
    assert [valid(v) for v in ("left", None, "up", 1)] == [True, True, False, False]


def test_hints_without_a_schema_are_refused_when_the_op_is_defined() -> None:
    with pytest.raises(TypeError, match=r"type hint .*complex.* is not supported"):

        @fasthep_flow.op("lab.bad")
        def bad(events: Events, z: complex = 1j) -> None: ...

    with pytest.raises(TypeError, match="give the parameter a type hint"):

        @fasthep_flow.op("lab.bad")
        def untyped(events, x=1):  # type: ignore[no-untyped-def]
            ...

    with pytest.raises(TypeError, match="'colum', which is not a param"):

        @fasthep_flow.op("lab.bad", reads=("colum",))
        def misnamed(events: Events, column: str) -> None: ...


TOY = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 2000, seed: 3}
"""
STAGES = """\
analysis:
  stages:
    - id: Scaled
      op: lab.scale
      params: {column: EventWeight, factor: 3, output: W3}
    - id: Window
      op: lab.window
      params: {column: W3, low: 0.0, high: 2.5}
    - id: WHist
      op: hep.hist
      params:
        axes: [{name: w, source: W3, type: regular, bins: {low: 0, high: 5, nbins: 10}}]
"""
LAYERS = """\
registry:
  - {spec: "labops:scale", name: lab.scale}
  - {spec: "labops:window", name: lab.window}
"""
MODULE = textwrap.dedent(
    """\
    from dataclasses import dataclass, field
    from pathlib import Path
    from typing import Annotated, Literal, Optional

    import numpy as np

    import fasthep_flow

    Path(__file__).with_name("imported.marker").write_text("imported")


    @fasthep_flow.op("lab.scale", reads=("column",), writes=("output",))
    def scale(
        events,
        column: str,
        factor: Annotated[float, "Multiplies the column."] = 2.0,
        output: str = "Scaled",
        mode: Literal["mul", "div"] = "mul",
        limit: Optional[int] = None,
    ):
        \"\"\"Scale a column by a constant.\"\"\"
        values = np.asarray(events[column])
        return {output: values * factor if mode == "mul" else values / factor}


    @dataclass
    class WindowParams:
        column: str
        low: float = 0.0
        high: float = 1.0
        labels: list[str] = field(default_factory=list)


    @fasthep_flow.op("lab.window", reads=("column",))
    def window(events, params: WindowParams, ctx):
        \"\"\"Keep the events whose column lies in [low, high).\"\"\"
        v = np.asarray(events[params.column])
        return events.filter((v >= params.low) & (v < params.high))
    """
)


@pytest.fixture
def workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "labops.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "wf.flow.yaml").write_text(TOY + LAYERS + STAGES, encoding="utf-8")
    yield tmp_path
    sys.modules.pop("labops", None)


def _counts(hist) -> list[float]:  # type: ignore[no-untyped-def]
    return hist.values(flow=True).tolist()


def _expected_counts() -> list[float]:
    """W3 = 3 × EventWeight of the toy events, kept in [0, 2.5), binned by hand."""
    wf = fasthep_flow.loads(
        TOY
        + "analysis:\n  stages:\n    - {id: W, op: hep.define, params: {variables: [{name: W3, expr: '3 * EventWeight'}]}}\n"
        + "    - id: H\n      op: hep.hist\n      params:\n"
        + "        axes: [{name: w, source: W3, type: regular, bins: {low: 0, high: 5, nbins: 10}}]\n"
    )
    full = wf.run().hists["H"].values(flow=True)
    # bins of width 0.5: [0, 2.5) is the first five regular bins; the window drops the rest
    return [0.0, *full[1:6].tolist(), *([0.0] * 6)]


def test_untrusted_check_never_imports_the_module(workspace: Path) -> None:
    result = compile_file(workspace / "wf.flow.yaml", CompileOptions(trust=False))
    assert not (workspace / "imported.marker").exists() and "labops" not in sys.modules
    assert {d.code for d in result.diagnostics} == {codes.UNTRUSTED}
    with pytest.raises(fasthep_flow.WorkflowError, match="refusing to run"):
        fasthep_flow.load(workspace / "wf.flow.yaml").run()


def test_trusted_check_reports_wrong_param_types_at_their_values(workspace: Path) -> None:
    bad = STAGES.replace("factor: 3,", "factor: three,").replace("low: 0.0", "low: 0.0, mode: x")
    bad = bad.replace("{column: EventWeight,", "{column: EventWeight, mode: add, limit: 2.5,")
    (workspace / "bad.flow.yaml").write_text(TOY + LAYERS + bad, encoding="utf-8")
    result = compile_file(workspace / "bad.flow.yaml", CompileOptions(trust=True))
    text = (workspace / "bad.flow.yaml").read_text().splitlines()
    got = {
        (d.code.id, d.span.start.line, text[d.span.start.line][d.span.start.col :][:5])
        for d in result.diagnostics
    }
    line = next(i for i, t in enumerate(text) if "factor: three" in t)
    window_line = next(i for i, t in enumerate(text) if "low: 0.0, mode: x" in t)
    assert got == {
        ("FF106", line, "three"),  # factor: float
        ("FF107", line, "add, "),  # mode: Literal["mul", "div"]
        ("FF106", line, "2.5, "),  # limit: Optional[int]
        ("FF104", window_line, "mode:"),  # the dataclass has no such field
    }
    assert (workspace / "imported.marker").exists()


def test_python_api_runs_decorated_ops_without_a_module(tmp_path: Path) -> None:
    wf = fasthep_flow.loads(TOY + STAGES, ops=[scale, window])
    result = wf.run()
    assert _counts(result.hists["WHist"]) == _expected_counts()
    with pytest.raises(fasthep_flow.WorkflowError, match=r"unknown op 'lab\.scale'"):
        fasthep_flow.loads(TOY + STAGES)


def test_an_op_defined_inside_a_function_runs_in_this_process() -> None:
    @fasthep_flow.op("lab.double", writes=("output",))
    def double(events: Events, column: str, output: str) -> dict[str, np.ndarray]:
        return {output: np.asarray(events[column]) * 2}

    text = TOY + (
        "analysis:\n  stages:\n    - {id: D, op: lab.double, params: {column: NMuon, output: N2}}\n"
        "    - id: H\n      op: hep.hist\n      params:\n"
        "        axes: [{name: n, source: N2, type: regular, bins: {low: 0, high: 20, nbins: 20}}]\n"
    )
    hist = fasthep_flow.loads(text, ops=[double]).run().hists["H"]
    assert hist.sum(flow=True) == 2000 and hist.values()[1::2].sum() == 0  # only even values


def test_trusted_workspace_runs_through_the_api_and_the_cli(workspace: Path) -> None:
    result = fasthep_flow.load(workspace / "wf.flow.yaml", trust=True).run()
    assert _counts(result.hists["WHist"]) == _expected_counts()
    cli = [sys.executable, "-m", "fasthep_flow", "run", str(workspace / "wf.flow.yaml"), "--quiet"]
    refused = subprocess.run(
        [*cli, "--outdir", str(workspace / "no")], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1 and "registry layer 'labops:scale'" in refused.stderr
    ran = subprocess.run(
        [*cli, "--trust", "--outdir", str(workspace / "out")], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    record = json.loads((workspace / "out" / "run.json").read_text())
    rows = {r["node"]: r for r in record["stages"]}
    assert rows["stage.Window"]["events_out"] == sum(_expected_counts())
    assert rows["stage.Scaled"]["events_in"] == 2000


def test_ops_listing_shows_the_workflows_ops_with_trust(workspace: Path) -> None:
    def ops(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fasthep_flow", "ops", *extra, "--from", str(workspace / "wf.flow.yaml")],
            capture_output=True,
            text=True,
            check=False,
        )

    untrusted = ops()
    assert untrusted.returncode == 0 and "lab.scale" not in untrusted.stdout
    assert "not loaded: workspace not trusted" in untrusted.stderr
    assert not (workspace / "imported.marker").exists()
    listing = ops("--trust")
    assert "lab.scale" in listing.stdout and "Scale a column by a constant." in listing.stdout
    one = ops("lab.scale", "--trust", "--render", "markdown")
    assert "| `mode` | `str` | `mul` | `mul`, `div` |" in one.stdout
    assert "Multiplies the column." in one.stdout


def _doc(workspace: Path, text: str) -> tuple[Document, Pos]:
    """The text without its `|` cursor marker, as an editor buffer, and the marker's position."""
    before, after = text.split("|")
    pos = Pos(before.count("\n"), len(before) - (before.rfind("\n") + 1))
    clean = before + after
    return Document(path_to_uri(str(workspace / "wf.flow.yaml")), clean, 1), pos


def test_editor_completes_and_hovers_custom_ops_only_when_trusted(workspace: Path) -> None:
    typing_op = TOY + LAYERS + "analysis:\n  stages:\n    - id: S\n      op: lab.s|\n"
    doc, pos = _doc(workspace, typing_op)
    assert [c.label for c in complete(doc, pos, Context(trust=False))] == []
    assert not (workspace / "imported.marker").exists()
    doc, pos = _doc(workspace, typing_op)  # a new buffer: one snapshot keeps the compile it was first given
    found = complete(doc, pos, Context(trust=True))
    assert [c.label for c in found] == ["lab.scale"]
    assert "Scale a column by a constant." in found[0].documentation
    params = (
        TOY + LAYERS + "analysis:\n  stages:\n    - id: S\n      op: lab.scale\n      params:\n        |\n"
    )
    doc, pos = _doc(workspace, params)
    assert {"column", "factor", "mode", "limit"} <= {c.label for c in complete(doc, pos, Context(trust=True))}
    values = params.replace("        |\n", "        mode: |\n")
    doc, pos = _doc(workspace, values)
    assert [c.label for c in complete(doc, pos, Context(trust=True))] == ["mul", "div"]
    doc, pos = _doc(workspace, TOY + LAYERS + STAGES.replace("op: lab.scale", "op: lab.sc|ale"))
    shown = hover(doc, pos, Context(trust=True))
    assert shown is not None and "Scale a column by a constant." in shown.markdown
    assert "Multiplies the column." in shown.markdown


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python_op" / "python_op.flow.yaml"


def test_shipped_python_op_example_checks_only_with_trust_and_runs(tmp_path: Path) -> None:
    untrusted = compile_file(EXAMPLE, CompileOptions(trust=False))
    assert {d.code for d in untrusted.diagnostics} == {codes.UNTRUSTED} and "muon_ops" not in sys.modules
    try:
        smeared = fasthep_flow.load(EXAMPLE, trust=True).run(chunk_size=5000)
        # with smearing off, the Python window keeps exactly the events a built-in selection keeps
        exact = fasthep_flow.load(EXAMPLE, ["analysis.stages[Smeared].params.mode=none"], trust=True).run(
            chunk_size=5000
        )
    finally:
        sys.modules.pop("muon_ops", None)
    reference = fasthep_flow.loads(
        EXAMPLE.read_text().split("registry:")[0]
        + "sources:\n  events: {kind: toy, nevents: 20000, seed: 11}\nanalysis:\n  stages:\n"
        + "    - {id: V, op: hep.define, params: {variables: [{name: Muon_Pt, expr: 'sqrt(Muon_Px ** 2 + Muon_Py ** 2)'},"
        + " {name: Lead, expr: 'leading(Muon_Pt, -1)'}]}}\n"
        + "    - {id: W, op: hep.selection.cutflow, params: {selection: {w: ['Lead >= 20', 'Lead < 80']}}}\n"
    ).run()
    kept = reference.cutflows["W"].rows[-1]["events_out"]
    assert exact.hists["SmearedPt"].sum(flow=True) == kept
    rows = {r["node"]: r for r in smeared.record["stages"]}
    assert 0 < rows["stage.Window"]["events_out"] < 20000
    assert smeared.hists["SmearedPt"].sum(flow=True) == rows["stage.Window"]["events_out"] != kept
