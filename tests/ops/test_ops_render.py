"""Renders: hist1d and data_mc draw real image files; CSV outputs carry the numbers; cutflow tables."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import hist
import numpy as np
import pytest

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep.cutflow_product import Cutflow, StepCounts
from fasthep_flow.ops.render import cutflow_csv_impl, data_mc_impl, hist1d_impl

MakeCtx = Callable[..., RunContext]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _hist(scale: float, dataset_axis: bool = False, variation: bool = False) -> hist.Hist:
    axes = [hist.axis.Regular(4, 0, 4, name="pt", label="Muon $p_T$")]
    if dataset_axis:
        axes.append(hist.axis.StrCategory(["dy", "tt"], name="dataset"))
    if variation:
        axes.append(hist.axis.StrCategory(["nominal", "up"], name="variation"))
    h = hist.Hist(*axes, storage=hist.storage.Weight())
    x = np.array([0.5, 1.5, 1.5, 2.5, 3.5, 9.0])
    extra = {}
    if dataset_axis:
        extra["dataset"] = "dy"
    if variation:
        h.fill(x, **extra, variation="up", weight=np.full(6, 100.0))
        extra["variation"] = "nominal"
    h.fill(x, **extra, weight=np.full(6, scale))
    return h


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_hist1d_png_follows_the_figure_style(tmp_path: Path, make_ctx: MakeCtx) -> None:
    style = {
        "figure": {"size": [4, 3], "dpi": 50},
        "axes": {"x": {"label": "pT", "scale": "linear"}},
        "legend": True,
    }
    out = tmp_path / "plots" / "pt.png"
    written = hist1d_impl.render({"dy": _hist(1.0), "tt": _hist(2.0)}, style, out, make_ctx())
    assert written == [out, out.with_suffix(".pdf")]
    width, height = _png_size(out)
    assert 150 <= width <= 260 and 100 <= height <= 200  # ~4x3 inches at 50 dpi, cropped tight
    assert sorted(p.name for p in out.parent.iterdir()) == ["pt.pdf", "pt.png"]  # formats: png and pdf


def test_hist1d_pdf(tmp_path: Path, make_ctx: MakeCtx) -> None:
    out = tmp_path / "pt.pdf"
    hist1d_impl.render({"dy": _hist(1.0)}, {"axes": {"y": {"scale": "log"}}}, out, make_ctx())
    assert out.read_bytes()[:5] == b"%PDF-"


def test_hist1d_csv_has_the_drawn_numbers(tmp_path: Path, make_ctx: MakeCtx) -> None:
    out = tmp_path / "pt.csv"
    products = {"all": _hist(2.0, dataset_axis=True, variation=True)}
    hist1d_impl.render(products, {"overlay": "dataset", "labels": {"dy": "Drell-Yan"}}, out, make_ctx())
    rows = list(csv.DictReader(out.open()))
    lines = {r["line"] for r in rows}
    assert lines == {"Drell-Yan", "tt"}
    dy = [float(r["value"]) for r in rows if r["line"] == "Drell-Yan"]
    assert dy == [2.0, 4.0, 2.0, 2.0]  # nominal variation only; overflow not in the table
    assert [float(r["variance"]) for r in rows if r["line"] == "Drell-Yan"] == [4.0, 8.0, 4.0, 4.0]
    assert [float(r["value"]) for r in rows if r["line"] == "tt"] == [0.0] * 4


def test_unknown_output_suffix_and_axis(tmp_path: Path, make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="cannot render"):
        hist1d_impl.render({"dy": _hist(1.0)}, {}, tmp_path / "pt.gif", make_ctx())
    with pytest.raises(OpError, match="no axis 'eta'"):
        hist1d_impl.render(
            {"dy": _hist(1.0)}, {"axes": {"x": {"name": "eta"}}}, tmp_path / "x.png", make_ctx()
        )


def test_data_mc_splits_by_eventtype_and_draws(tmp_path: Path, make_ctx: MakeCtx) -> None:
    products = {"data": _hist(1.0), "dy": {"hist": _hist(0.5)}, "tt": _hist(0.25)}
    style = {"_eventtypes": {"data": "data", "dy": "mc", "tt": "mc"}, "axes": {"ratio": {"limits": [0, 2]}}}
    assert data_mc_impl.split(products, style) == (["data"], ["dy", "tt"], [])
    assert data_mc_impl.split(products, {**style, "signal": ["tt"]}) == (["data"], ["dy"], ["tt"])
    out = tmp_path / "dimuon.png"
    data_mc_impl.render(products, {**style, "figure": {"size": [5, 5], "dpi": 40}}, out, make_ctx())
    width, height = _png_size(out)
    assert 150 <= width <= 260 and 150 <= height <= 260
    table = tmp_path / "dimuon.csv"
    data_mc_impl.render(products, style, table, make_ctx())
    rows = list(csv.DictReader(table.open()))
    assert [float(r["value"]) for r in rows if r["line"] == "data"] == [1.0, 2.0, 1.0, 1.0]
    assert [float(r["value"]) for r in rows if r["line"] == "tt"] == [0.25, 0.5, 0.25, 0.25]


def test_data_mc_without_datasets_is_an_error(tmp_path: Path, make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="neither data nor simulated"):
        data_mc_impl.render({}, {}, tmp_path / "x.png", make_ctx())


CUTFLOW = Cutflow({"dimuon": (StepCounts("NMuon >= 2", 10, 4, 10.0, 4.5, 12.0, 5.25),)})


def test_cutflow_csv_rows_total_and_columns(tmp_path: Path, make_ctx: MakeCtx) -> None:
    out = tmp_path / "cutflow.csv"
    types = {"_eventtypes": {"dy": "mc", "tt": "mc"}}
    cutflow_csv_impl.render({"dy": CUTFLOW, "tt": CUTFLOW}, types, out, make_ctx())
    rows = list(csv.DictReader(out.open()))
    assert [r["dataset"] for r in rows] == ["dy", "tt", "total_mc"]
    assert list(rows[0]) == ["dataset", "group", "step", "events_in", "events_out", "weights_in", "weights_out",
                             "weights_sq_in", "weights_sq_out", "efficiency"]  # fmt: skip
    assert rows[2]["events_in"] == "20" and rows[2]["weights_out"] == "9" and rows[0]["efficiency"] == "0.4"
    picked = tmp_path / "picked.csv"
    style = {"columns": ["events_out"], "total": False, "delimiter": ";"}
    cutflow_csv_impl.render({"dy": CUTFLOW, "tt": CUTFLOW}, style, picked, make_ctx())
    assert picked.read_text().splitlines() == ["dataset;group;step;events_out", "dy;dimuon;NMuon >= 2;4",
                                               "tt;dimuon;NMuon >= 2;4"]  # fmt: skip


def test_cutflow_json(tmp_path: Path, make_ctx: MakeCtx) -> None:
    out = tmp_path / "cutflow.json"
    cutflow_csv_impl.render({"dy": {"cutflow": CUTFLOW}}, {}, out, make_ctx())
    (row,) = json.loads(out.read_text())
    assert row["dataset"] == "dy" and row["events_out"] == 4 and row["weights_sq_out"] == 5.25


def test_int_axes_of_different_datasets_line_up(tmp_path: Path, make_ctx: MakeCtx) -> None:
    """`int` axes grow per dataset in the order values are met (upstream's categories): the plots redraw every
    dataset over one sorted category list, and pick the int axis (not the dataset axis) as x."""
    from fasthep_flow.ops.contract import Events
    from fasthep_flow.ops.hep import hist_impl

    params = {"axes": [{"name": "n", "source": "n", "type": "int"}], "dataset_axis": True}
    data = hist_impl.run(Events({"n": np.array([2, 2, 0])}), params, make_ctx(dataset="data")).products[
        "hist"
    ]
    mc = hist_impl.run(Events({"n": np.array([1, 0, 0, 3])}), params, make_ctx(dataset="dy")).products["hist"]
    assert list(data.axes["n"]) == [2, 0] and list(mc.axes["n"]) == [1, 0, 3]
    table = tmp_path / "n.csv"
    style = {"_eventtypes": {"data": "data", "dy": "mc"}}
    data_mc_impl.render({"data": data, "dy": mc}, style, table, make_ctx())
    rows = [(r["line"], r["low"], r["value"]) for r in csv.DictReader(table.open())]
    assert rows == [
        ("dy", "0", "2"), ("dy", "1", "1"), ("dy", "2", "0"), ("dy", "3", "1"),
        ("data", "0", "1"), ("data", "1", "0"), ("data", "2", "2"), ("data", "3", "0"),
    ]  # fmt: skip
    lines = hist1d_impl.lines_of({"data": data, "dy": mc}, {})
    assert [list(h.axes[0]) for _, h in lines.values()] == [[0, 1, 2, 3], [0, 1, 2, 3]]
    assert lines["data"][1].values().tolist() == [1, 0, 2, 0]


def test_overlay_on_the_dataset_axis_draws_each_dataset_once(tmp_path: Path, make_ctx: MakeCtx) -> None:
    """Each dataset's histogram has a bin for every dataset of the run (upstream's dataset axis); overlaid on
    that axis, a dataset's product gives its own line, not empty lines for the others."""
    dy, tt = _hist(1.0, dataset_axis=True), _hist(0.0, dataset_axis=True)
    tt.fill(np.array([0.5]), dataset="tt", weight=np.array([3.0]))
    lines = hist1d_impl.lines_of({"dy": dy, "tt": tt}, {"overlay": "dataset"})
    assert list(lines) == ["dy", "tt"]
    assert lines["tt"][1].values().tolist() == [3.0, 0.0, 0.0, 0.0]
