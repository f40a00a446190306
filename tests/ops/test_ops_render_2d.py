"""heatmap2d and project: real files from real histograms; the CSV outputs carry the numbers, checked by hand."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import hist
import numpy as np
import pytest

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.render import heatmap2d_impl, project_impl

MakeCtx = Callable[..., RunContext]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _hist2d(dataset: str, weight: float) -> hist.Hist:
    """x in [0, 2) two bins, y in [0, 2) two bins, a dataset axis with both datasets' bins (only one filled)."""
    h = hist.Hist(
        hist.axis.Regular(2, 0, 2, name="nmu", label="Muons"),
        hist.axis.Regular(2, 0, 2, name="niso", label="Isolated muons"),
        hist.axis.StrCategory(["data", "dy"], name="dataset"),
        storage=hist.storage.Weight(),
    )
    # (0.5, 0.5) twice, (1.5, 0.5) once, (1.5, 1.5) once, and (0.5, 7.0): y overflow
    h.fill(
        nmu=[0.5, 0.5, 1.5, 1.5, 0.5],
        niso=[0.5, 0.5, 0.5, 1.5, 7.0],
        dataset=dataset,
        weight=np.full(5, weight),
    )
    return h


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def test_heatmap2d_cells_per_dataset_at_its_own_bin(tmp_path: Path, make_ctx: MakeCtx) -> None:
    products = {"dy": _hist2d("dy", 2.0), "data": _hist2d("data", 1.0)}
    style = {
        "axes": {"x": {"name": "nmu"}, "y": {"name": "niso"}},
        "_eventtypes": {"dy": "mc", "data": "data"},
    }
    out = tmp_path / "heat.csv"
    heatmap2d_impl.render(products, style, out, make_ctx())
    rows = _rows(out)
    assert [r["map"] for r in rows[::4]] == ["data", "dy"]  # data first, one map per dataset
    dy = {
        (float(r["x_low"]), float(r["y_low"])): (float(r["value"]), float(r["variance"]))
        for r in rows
        if r["map"] == "dy"
    }
    # by hand: weight 2 → (0,0): 2 entries = 4, var 8; (1,0): 2, var 4; (1,1): 2, var 4; (0,1): 0
    assert dy == {
        (0.0, 0.0): (4.0, 8.0),
        (0.0, 1.0): (0.0, 0.0),
        (1.0, 0.0): (2.0, 4.0),
        (1.0, 1.0): (2.0, 4.0),
    }
    data = [float(r["value"]) for r in rows if r["map"] == "data"]
    assert data == [2.0, 0.0, 1.0, 1.0]  # not the dy bin's contents: each map reads its dataset's own bin


def test_heatmap2d_per_dataset_files_and_grid(tmp_path: Path, make_ctx: MakeCtx) -> None:
    products = {"dy": _hist2d("dy", 2.0), "data": _hist2d("data", 1.0)}
    style = {
        "figure": {"size": [4, 4], "dpi": 30},
        "formats": ["png"],
        "axes": {"x": {"name": "nmu"}, "y": {"name": "niso"}, "z": {"scale": "log", "label": "Events"}},
        "heatmap2d": {"per_dataset": True},
    }
    written = heatmap2d_impl.render(products, style, tmp_path / "maps.png", make_ctx())
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == ["maps/data.png", "maps/dy.png"]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in written)
    grid = heatmap2d_impl.render(
        products, {**style, "heatmap2d": {"max_cols": 1}}, tmp_path / "g.png", make_ctx()
    )
    assert grid == [tmp_path / "g.png"] and grid[0].read_bytes()[:8] == PNG_MAGIC


def test_heatmap2d_needs_two_axes(tmp_path: Path, make_ctx: MakeCtx) -> None:
    h = hist.Hist(hist.axis.Regular(2, 0, 2, name="x"))
    with pytest.raises(OpError, match="two different axes"):
        heatmap2d_impl.render({"dy": h}, {}, tmp_path / "h.csv", make_ctx())
    with pytest.raises(OpError, match="no axis 'nope'"):
        heatmap2d_impl.render(
            {"dy": _hist2d("dy", 1.0)},
            {"axes": {"x": {"name": "nope"}, "y": {"name": "niso"}}},
            tmp_path / "h.csv",
            make_ctx(),
        )


def test_project_sums_the_other_axes_flow_included_and_draws_with_then(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    products = {"dy": _hist2d("dy", 2.0)}
    then = {"op": "hep.render.hist1d", "overlay": "dataset"}
    style = {"project": {"axis": "nmu", "keep_dataset": True, "then": then}, "_eventtypes": {"dy": "mc"}}
    out = tmp_path / "proj.csv"
    project_impl.render(products, style, out, make_ctx())
    rows = _rows(out)
    # by hand, summed over niso with its overflow: nmu bin 0 has 3 entries × 2 = 6 (var 12), bin 1 has 2 × 2 = 4
    dy = [(float(r["low"]), float(r["value"]), float(r["variance"])) for r in rows if r["line"] == "dy"]
    assert dy == [(0.0, 6.0, 12.0), (1.0, 4.0, 8.0)]
    assert {float(r["value"]) for r in rows if r["line"] != "dy"} <= {
        0.0
    }  # the kept dataset axis: other bins empty


def test_project_onto_an_unknown_axis_or_with_itself(tmp_path: Path, make_ctx: MakeCtx) -> None:
    products = {"dy": _hist2d("dy", 1.0)}
    with pytest.raises(OpError, match="no axis 'pt'"):
        project_impl.render(
            {**products},
            {"project": {"axis": "pt", "then": {"op": "hep.render.hist1d"}}},
            tmp_path / "p.csv",
            make_ctx(),
        )
    loop = {"project": {"axis": "nmu", "then": {"op": "hep.render.project"}}}
    with pytest.raises(OpError, match="cannot draw a projection"):
        project_impl.render(products, loop, tmp_path / "p.csv", make_ctx())
