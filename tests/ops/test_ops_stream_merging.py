"""`hep.merge_fields` and `hep.zip_join`: stages reading several streams of one partition, on the real
``uproot-HZZ.root``, against hand computations (plain Python over the branches as lists)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import awkward as ak
import pytest
import uproot

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.ops.contract import Events
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep import merge_fields_impl, zip_join_impl
from fasthep_flow.runtime import RunOptions, run_plan

HEAD = """version: 1.0
use: {profiles: [hep]}
data:
  datasets: [{name: zz, eventtype: mc, files: [DATA]}]
analysis:
  stages:
    - id: A
      op: hep.define
      params:
        variables: [{name: x, expr: "NMuon * 2"}, {name: s, expr: "NJet"}]
    - id: B
      op: hep.define
      from: events
      params:
        variables: [{name: y, expr: "NJet + 1"}, {name: s, expr: "NMuon"}]
"""
BINS = "type: regular, bins: {low: 0, high: 20, nbins: 20}"


@pytest.fixture(scope="module")
def raw(shared_data_dir: Path) -> dict[str, list[int]]:
    with uproot.open(shared_data_dir / "uproot-HZZ.root") as f:
        arrays = f["events"].arrays(["NMuon", "NJet"], library="ak")
    return {name: ak.to_list(arrays[name]) for name in ("NMuon", "NJet")}


def _compile(text: str, data: Path, tmp_path: Path):
    path = tmp_path / "wf.yaml"
    text = text.replace("DATA", str(data / "uproot-HZZ.root"))
    path.write_text(text, encoding="utf-8")
    return compile_text(text, str(path), CompileOptions(trust=False))


def _run_hist(text: str, data: Path, tmp_path: Path) -> dict[int, float]:
    """Compile (clean), run, and read stage H's one-axis histogram as {bin low edge: count}."""
    result = _compile(text, data, tmp_path)
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    run = run_plan(result.plan, RunOptions(outdir=tmp_path / "out"), registry=result.registry)
    assert run.ok, [e.message for e in run.errors]
    h = run.products[("stage.H", "zz")]["hist"]
    edges = h.axes[0].edges
    return {int(edges[i]): float(v) for i, v in enumerate(h.values()) if v}


@pytest.mark.parametrize(
    ("mode", "expected_s"),
    [("keep_first", "NJet"), ("keep_last", "NMuon")],
)
def test_merge_fields_takes_a_clashing_field_from_the_input_on_conflict_names(
    mode: str, expected_s: str, shared_data_dir: Path, tmp_path: Path, raw: dict[str, list[int]]
) -> None:
    text = HEAD + (
        "    - id: M\n      op: hep.merge_fields\n      from: [{node: A, as: a}, {node: B, as: b}]\n"
        f"      params: {{on_conflict: {mode}}}\n"
        "    - id: H\n      op: hep.hist\n      params:\n"
        f"        axes: [{{name: t, source: 'x * 100 + y * 10 + s', {BINS.replace('20, nbins: 20', '900, nbins: 900')}}}]\n"
    )
    got = _run_hist(text, shared_data_dir, tmp_path)
    s = raw[expected_s]
    expected = Counter(
        m * 2 * 100 + (j + 1) * 10 + s[i]
        for i, (m, j) in enumerate(zip(raw["NMuon"], raw["NJet"], strict=True))
    )
    assert got == {k: float(v) for k, v in expected.items() if k < 900}
    assert sum(got.values()) == 2421


def test_zip_join_puts_each_input_under_its_prefix(
    shared_data_dir: Path, tmp_path: Path, raw: dict[str, list[int]]
) -> None:
    text = HEAD + (
        "    - id: Z\n      op: hep.zip_join\n      from: [{node: A, as: l}, {node: B, as: r}]\n"
        "      params: {inputs: [{name: l, prefix: pa}, {name: r, prefix: pb}]}\n"
        "    - id: P\n      op: hep.project_fields\n      params: {aliases: {ax: pa.x, by: pb.y, m: pb.NMuon}}\n"
        f"    - id: H\n      op: hep.hist\n      params:\n        axes: [{{name: t, source: 'ax + by - m', {BINS}}}]\n"
    )
    got = _run_hist(text, shared_data_dir, tmp_path)
    expected = Counter(m * 2 + j + 1 - m for m, j in zip(raw["NMuon"], raw["NJet"], strict=True))
    assert got == {k: float(v) for k, v in expected.items()}


def _codes(text: str, data: Path, tmp_path: Path) -> list[tuple[int, str]]:
    result = _compile(text, data, tmp_path)
    return sorted(
        (d.span.start.line + 1, d.code.id) for d in result.diagnostics if d.severity is Severity.ERROR
    )


def test_check_reports_what_would_fail_at_run(shared_data_dir: Path, tmp_path: Path) -> None:
    # two inputs under one name (upstream: "duplicate bound input name" at run time)
    same = HEAD + "    - id: M\n      op: hep.merge_fields\n      from: [{node: A}, {node: A}]\n"
    assert [c for _, c in _codes(same, shared_data_dir, tmp_path)] == ["FF123"]
    # a zip input naming no bound stream
    unbound = HEAD + (
        "    - id: Z\n      op: hep.zip_join\n      from: [{node: A, as: l}, {node: B, as: r}]\n"
        "      params: {inputs: [{name: l, prefix: pa}, {name: rr, prefix: pb}]}\n"
    )
    assert [c for _, c in _codes(unbound, shared_data_dir, tmp_path)] == ["FF301"]
    # after a zip only the prefixed fields exist
    hidden = HEAD + (
        "    - id: Z\n      op: hep.zip_join\n      from: [{node: A, as: l}, {node: B, as: r}]\n"
        "      params: {inputs: [{name: l, prefix: pa}, {name: r, prefix: pb}]}\n"
        f"    - id: H\n      op: hep.hist\n      params:\n        axes: [{{name: t, source: x, {BINS}}}]\n"
    )
    assert [c for _, c in _codes(hidden, shared_data_dir, tmp_path)] == ["FF303"]
    # inputs reading two sources: that is a `joins:` entry
    two = (
        HEAD.replace(
            "analysis:",
            "sources:\n  events: {kind: root_tree, tree: events}\n  other: {kind: root_tree, tree: events}\nanalysis:",
        )
        + "    - id: M\n      op: hep.merge_fields\n      from: [{node: A, as: a}, {node: other, as: o}]\n"
    )
    assert [c for _, c in _codes(two, shared_data_dir, tmp_path)] == ["FF107"]
    # `on_conflict: error` with `s` defined on both branches fails every partition: reported at the mode
    clash = (
        HEAD
        + "    - id: M\n      op: hep.merge_fields\n      from: [{node: A, as: a}, {node: B, as: b}]\n"
        + ("      params: {on_conflict: error}\n")
    )
    assert _codes(clash, shared_data_dir, tmp_path) == [(19, "FF107")]
    # a field defined on the other branch is visible after the merge, and not before
    before = HEAD + (
        "    - id: C\n      op: hep.define\n      from: A\n      params: {variables: [{name: z, expr: 'y'}]}\n"
    )
    assert [c for _, c in _codes(before, shared_data_dir, tmp_path)] == ["FF303"]


def test_streams_of_unequal_lengths_fail_the_partition() -> None:
    a = Events({"x": [1, 2, 3]}, 3)
    b = Events({"y": [1, 2]}, 2)
    with pytest.raises(OpError, match="different numbers of events"):
        merge_fields_impl.run({"a": a, "b": b}, {}, None)  # type: ignore[arg-type]
    with pytest.raises(OpError, match="different numbers of events"):
        zip_join_impl.run(
            {"a": a, "b": b}, {"inputs": [{"name": "a", "prefix": "p"}, {"name": "b", "prefix": "q"}]}, None
        )  # type: ignore[arg-type]


def test_merge_fields_error_mode_names_the_clash_but_not_a_shared_column() -> None:
    shared = [1, 2]
    a = Events({"n": shared, "s": [5, 6]}, 2)
    b = Events({"n": shared, "s": [7, 8]}, 2)
    with pytest.raises(OpError, match="field 's' is in inputs 'a' and 'b'"):
        merge_fields_impl.run({"a": a, "b": b}, {"on_conflict": "error"}, None)  # type: ignore[arg-type]
    same_values = Events({"n": list(shared), "t": [0, 1]}, 2)  # another list of the same values
    assert (
        merge_fields_impl.run({"a": a, "b": same_values}, {"on_conflict": "error"}, None).events is not None
    )  # type: ignore[arg-type]
    merged = merge_fields_impl.run(
        {"a": a, "b": Events({"n": shared, "t": [0, 1]}, 2)}, {"on_conflict": "error"}, None
    )  # type: ignore[arg-type]
    assert merged.events is not None and list(merged.events) == ["n", "s", "t"]
