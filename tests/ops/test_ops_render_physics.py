"""Physics-ready plots: simulation scaled by lumi × cross section / sum of weights (checked in numbers, in
the drawn stack and through a real run), the experiment look (style sheet, label with the luminosity, no
"Simulation Simulation"), data as points, PNG and PDF."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hist
import numpy as np
import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.core.toy_impl import generate
from fasthep_flow.ops.render import data_mc_impl, hist1d_impl
from fasthep_flow.ops.render.normalisation import (
    DATASETS_KEY,
    cross_section,
    luminosity,
    mc_scales,
    sum_of_weights,
)
from fasthep_flow.ops.render.plotting_impl import experiment_of, label_plot, output_paths
from fasthep_flow.runtime import RunOptions, run_plan

MakeCtx = Callable[..., RunContext]


def flat(value: float, nbins: int = 4) -> hist.Hist:
    """``value`` in every bin, with variance ``value`` (as if filled with unit weights)."""
    h = hist.Hist(hist.axis.Regular(nbins, 0, nbins, name="x", label="x"), storage=hist.storage.Weight())
    h.view().value = value
    h.view().variance = value
    return h


def infos(**datasets: dict[str, Any]) -> dict[str, Any]:
    return {DATASETS_KEY: datasets, "_eventtypes": {n: d["eventtype"] for n, d in datasets.items()}}


def test_the_scale_is_lumi_in_inverse_fb_times_cross_section_in_pb_over_the_sum_of_weights() -> None:
    style = {"experiment": {"lumi": 10.0}} | infos(
        dy={
            "eventtype": "mc",
            "meta": {"cross_section": 5.0},
            "events_read": 4000,
            "generator_weights": 1000.0,
        }
    )
    (scale,) = mc_scales(style, ["dy"]).values()
    assert scale.factor == pytest.approx(10.0 * 1000 * 5.0 / 1000.0)  # 50
    assert (scale.lumi, scale.cross_section, scale.sum_weights) == (10.0, 5.0, 1000.0)


def test_upstream_spellings_and_the_order_of_the_sum_of_weights() -> None:
    assert cross_section({"xs": 2.0}) == 2.0
    assert cross_section({"cross_section": 3.0, "xs": 2.0}) == 3.0
    assert cross_section({"xs": 2.0, "filter_efficiency": 0.25}) == 0.5
    assert cross_section({}) is None
    measured = {"events_read": 100, "generator_weights": 80.0}
    assert sum_of_weights({"meta": {"sum_weights": 7.0, "n_unskimmed_events": 9}, **measured}) == 7.0
    assert sum_of_weights({"meta": {"n_unskimmed_events": 9}, **measured}) == 9.0
    assert sum_of_weights({"meta": {}, **measured}) == 80.0
    assert sum_of_weights({"meta": {}, "events_read": 100, "generator_weights": None}) == 100.0
    assert luminosity({"style": {"lumi": 3.5}}) == 3.5  # upstream's style block
    data = infos(
        d1={"eventtype": "data", "meta": {"lumi": 1.5}}, d2={"eventtype": "data", "meta": {"lumi": 2}}
    )
    assert luminosity(data, ["d1", "d2"]) == 3.5  # the data datasets' own luminosities add
    assert luminosity({"experiment": {"lumi": 1.0}, **data}, ["d1"]) == 1.0  # the style wins
    assert luminosity(data) == 3.5  # a plot of simulation only: the run's data datasets


def test_no_luminosity_or_no_cross_section_leaves_simulation_unscaled() -> None:
    mc = {"eventtype": "mc", "meta": {"cross_section": 5.0}, "events_read": 10}
    assert mc_scales(infos(dy=mc), ["dy"]) == {}
    no_xs = {"eventtype": "mc", "meta": {}, "events_read": 10}
    assert mc_scales({"experiment": {"lumi": 1.0}, **infos(dy=no_xs)}, ["dy"]) == {}


def scaled_style() -> dict[str, Any]:
    """Two simulated datasets and data: lumi 2 fb⁻¹; dy 300 pb over sumw 1200, tt 50 pb over 10 000 events."""
    return {"experiment": {"name": "CMS", "lumi": 2.0}} | infos(
        data={"eventtype": "data", "meta": {}, "events_read": 500},
        dy={
            "eventtype": "mc",
            "meta": {"cross_section": 300.0},
            "events_read": 1000,
            "generator_weights": 1200.0,
        },
        tt={"eventtype": "mc", "meta": {"xs": 50.0}, "events_read": 10_000, "generator_weights": None},
    )


def test_the_plotted_stack_holds_the_scaled_yields(tmp_path: Path, make_ctx: MakeCtx) -> None:
    products = {"data": flat(520.0), "dy": flat(1.0), "tt": flat(100.0)}
    stack = data_mc_impl.stack_of(products, scaled_style())
    dy, tt = 2.0 * 1000 * 300.0 / 1200.0, 2.0 * 1000 * 50.0 / 10_000  # 500 and 10
    assert stack.scales["dy"].factor == pytest.approx(dy)
    assert stack.scales["tt"].factor == pytest.approx(tt)
    np.testing.assert_allclose(stack.mc["dy"].values(), [dy] * 4)
    np.testing.assert_allclose(stack.mc["tt"].values(), [100.0 * tt] * 4)
    np.testing.assert_allclose(stack.mc_total.values(), [dy + 100.0 * tt] * 4)  # 1500 per bin
    np.testing.assert_allclose(stack.mc["dy"].variances(), [dy**2] * 4)  # variances scale by factor²
    np.testing.assert_allclose(stack.data.values(), [520.0] * 4)  # data is never scaled
    # The numbers the renderer writes are the ones it draws from.
    out = tmp_path / "stack.csv"
    data_mc_impl.render(products, scaled_style(), out, make_ctx())
    rows = list(csv.DictReader(out.open()))
    assert [float(r["value"]) for r in rows if r["line"] == "dy"] == pytest.approx([dy] * 4)
    assert [float(r["value"]) for r in rows if r["line"] == "tt"] == pytest.approx([100.0 * tt] * 4)


def test_the_drawn_stack_and_ratio_match_the_scaled_numbers(
    tmp_path: Path, make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib.pyplot as plt

    from fasthep_flow.ops.render import plotting_impl

    figures: list[Any] = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    products = {"data": flat(1530.0), "dy": flat(1.0), "tt": flat(100.0)}
    written = data_mc_impl.render(products, scaled_style(), tmp_path / "plot.png", make_ctx())
    monkeypatch.setattr(plt, "close", real_close)
    assert [p.suffix for p in written] == [".png", ".pdf"] and all(p.stat().st_size for p in written)
    (fig,) = figures
    ax, rax = fig.axes
    # The ratio panel's points are data over the scaled stack: 1530 / 1500.
    (points,) = [line for line in rax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(points.get_ydata(), [1530.0 / 1500.0] * 4)
    # The stacked fills: dy (500 per bin) at the bottom, tt (10 × 100) on top of it up to the total.
    fills = {p.get_label(): p.get_data() for p in ax.patches if type(p).__name__ == "StepPatch"}
    np.testing.assert_allclose(fills["dy"].values, [500.0] * 4)
    np.testing.assert_allclose(fills["tt"].values, [1500.0] * 4)
    np.testing.assert_allclose(fills["tt"].baseline, [500.0] * 4)
    texts = [t.get_text() for t in ax.texts]
    assert "CMS" in texts and any("2 $\\mathrm{fb^{-1}}$" in t for t in texts)
    assert plotting_impl.experiment_of(scaled_style(), has_data=True).sheet == "CMS"
    real_close(fig)


def test_upstream_style_blocks_choose_data_backgrounds_and_signals() -> None:
    products = {"obs": flat(1.0), "zz": flat(1.0), "h": flat(1.0), "dy": flat(1.0)}
    kinds = {"obs": {"kind": "data"}, "zz": {"kind": "background"}, "h": {"kind": "signal"}}
    style = {"style": {"datasets": kinds}, "_eventtypes": {"obs": "mc"}}
    assert data_mc_impl.split(products, style) == (["obs"], ["zz"], ["h"])
    block = {"data_mc": {"data": "obs", "backgrounds": ["dy", "zz"]}}
    assert data_mc_impl.split(products, {**style, **block}) == (["obs"], ["dy", "zz"], ["h"])
    assert data_mc_impl.split(products, {**style, **block, "mc": ["zz"]})[1] == ["zz"]  # ours wins


def test_a_scaled_count_histogram_keeps_poisson_variances_times_the_square_of_the_scale() -> None:
    from fasthep_flow.ops.render.plotting_impl import scaled

    h = hist.Hist(hist.axis.Regular(2, 0, 2, name="x"))  # count (Double) storage
    h.fill([0.5, 0.5, 1.5, 5.0])
    out = scaled(h, 0.5)
    np.testing.assert_allclose(out.values(flow=True), [0.0, 1.0, 0.5, 0.5])
    np.testing.assert_allclose(out.variances(flow=True), [0.0, 0.5, 0.25, 0.25])
    w = hist.Hist(hist.axis.Regular(1, 0, 1, name="x"), storage=hist.storage.Weight())
    w.fill([0.5], weight=[3.0])
    assert scaled(w, 2.0).variances().tolist() == [36.0]


# --- the experiment look --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("experiment", "sheet", "name"),
    [
        (None, "CMS", "CMS"),
        ("ATLAS", "ATLAS", "ATLAS"),
        ("LHCb", "LHCb2", "LHCb"),
        ({"name": "ALICE"}, "ALICE", "ALICE"),
        ("none", None, None),
        ("FCC-ee", "CMS", "FCC-ee"),  # another name: printed, with the CMS look
    ],
)
def test_the_experiment_key_selects_the_style_sheet_and_label(experiment: Any, sheet: Any, name: Any) -> None:
    style = {} if experiment is None else {"experiment": experiment}
    look = experiment_of(style, has_data=False)
    assert (look.sheet, look.name) == (sheet, name)
    assert experiment_of({"style": {"experiment": "ATLAS"}}, has_data=False).sheet == "ATLAS"  # upstream
    assert experiment_of({"mplhep_style": "ROOT"}, has_data=False).sheet == "ROOT"
    assert experiment_of({"mplhep_style": "none"}, has_data=False).sheet is None
    assert experiment_of({"experiment": "none", "mplhep_style": "ATLAS"}, has_data=False).sheet == "ATLAS"


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("Simulation", False, "Simulation"),  # was "Simulation Simulation"
        ("Simulation Preliminary", False, "Simulation Preliminary"),
        ("Preliminary", False, "Simulation Preliminary"),
        ("Open Data", True, "Open Data"),
    ],
)
def test_the_label_says_simulation_once(text: str, data: bool, expected: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    label_plot(ax, experiment_of({"experiment": {"text": text, "data": data}}, has_data=True))
    texts = [t.get_text() for t in ax.texts]
    plt.close(fig)
    assert "CMS" in texts and expected in texts, texts


def test_data_is_drawn_as_points_with_error_bars(tmp_path: Path, make_ctx: MakeCtx, monkeypatch: Any) -> None:
    import matplotlib.pyplot as plt

    figures: list[Any] = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    style = {"experiment": "none", "formats": [], **infos(data={"eventtype": "data"}, dy={"eventtype": "mc"})}
    written = hist1d_impl.render({"data": flat(3.0), "dy": flat(2.0)}, style, tmp_path / "p.png", make_ctx())
    monkeypatch.setattr(plt, "close", real_close)
    assert written == [tmp_path / "p.png"]  # `formats: []`: only the named file
    (fig,) = figures
    (ax,) = fig.axes
    containers = {c.get_label(): c for c in ax.containers}
    points = containers["data"]
    assert type(points).__name__ == "ErrorbarContainer"
    assert points.lines[0].get_linestyle() == "None" and points.lines[0].get_marker() not in (
        "",
        "None",
        None,
    )
    assert len(ax.texts) == 0  # experiment: none draws no label
    real_close(fig)


def test_output_paths_add_the_formats_beside_out(tmp_path: Path) -> None:
    out = tmp_path / "a.png"
    assert output_paths(out, {}) == [out, tmp_path / "a.pdf"]
    assert output_paths(tmp_path / "a.pdf", {}) == [tmp_path / "a.pdf", out]
    assert output_paths(tmp_path / "a.svg", {"formats": ["pdf"]}) == [tmp_path / "a.svg", tmp_path / "a.pdf"]


# --- through a real run: the runtime measures the sum of generator weights ------------------------------------

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, seed: 5}
data:
  defaults: {generator_weight: EventWeight}
  datasets:
    - {name: obs, eventtype: data, nevents: 3000, lumi: 0.02}
    - {name: dy, nevents: 5000, cross_section: 1500.0}
analysis:
  stages:
    - id: Sel
      op: hep.selection.cutflow
      params: {selection: {two: ["NMuon >= 2"]}}
    - id: N
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 6, nbins: 6}}]
      render: {style: stack, out: N.csv}
styles:
  stack: {op: hep.render.data_mc}
"""


def test_a_run_scales_simulation_by_the_generator_weights_of_every_event_read(tmp_path: Path) -> None:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(WORKFLOW)
    compiled = compile_file(path)
    assert compiled.ok, [d.message for d in compiled.diagnostics]
    result = run_plan(
        compiled.plan, RunOptions(outdir=tmp_path / "out", chunk_size=1200), registry=compiled.registry
    )
    assert result.ok, [d.message for d in result.errors]
    # Every event read, before the selection: the toy generator's weights for entries [0, 5000).
    sumw = float(np.sum(generate(0, 5000, 5, "dy", "mc", ["EventWeight"])["EventWeight"], dtype=np.float64))
    assert sumw != pytest.approx(5000.0, rel=1e-6)  # weighted events: counting them would be wrong
    factor = 0.02 * 1000 * 1500.0 / sumw
    mc = result.products[("stage.N", "dy")]["hist"]
    rows = list(csv.DictReader((tmp_path / "out" / "N.csv").open()))
    drawn = [float(r["value"]) for r in rows if r["line"] == "dy"]
    np.testing.assert_allclose(drawn, mc.values() * factor, rtol=1e-9)
    data = [float(r["value"]) for r in rows if r["line"] == "data"]
    np.testing.assert_allclose(data, result.products[("stage.N", "obs")]["hist"].values())
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    reads = {r["dataset"]: r for r in record["datasets"]}  # the scaling's inputs are in the record
    assert reads["dy"]["events_read"] == 5000
    assert reads["dy"]["generator_weights"] == pytest.approx(sumw, rel=1e-12)
    assert reads["obs"]["generator_weights"] == 3000.0  # toy data has unit weights
    again = run_plan(
        compiled.plan,
        RunOptions(outdir=tmp_path / "p", executor="processes", workers=2, chunk_size=700),
        registry=compiled.registry,
    )
    record_p = json.loads((tmp_path / "p" / "run.json").read_text())
    assert again.ok
    assert record_p["datasets"][1]["generator_weights"] == pytest.approx(sumw, rel=1e-12)  # any executor


def test_the_generator_weight_branch_is_read_even_when_no_stage_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(
        "version: 1.0\nsources:\n  events: {kind: toy, seed: 1}\n"
        "data:\n  datasets:\n    - {name: dy, nevents: 500, cross_section: 10, generator_weight: EventWeight}\n"
        "analysis:\n  stages:\n    - id: N\n      op: hep.hist\n      params:\n"
        "        axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]\n"
    )
    compiled = compile_file(path)
    assert compiled.ok, [d.message for d in compiled.diagnostics]
    assert "EventWeight" in compiled.plan.source("events").fields  # the plan reads it for the sum
    result = run_plan(compiled.plan, RunOptions(outdir=tmp_path / "out"), registry=compiled.registry)
    weights = generate(0, 500, 1, "dy", "mc", ["EventWeight"])["EventWeight"]
    assert result.record["datasets"][0]["generator_weights"] == pytest.approx(
        float(np.sum(weights, dtype=np.float64))
    )
