"""hep.render.comparison: which histograms are compared, and the panel's numbers, checked by hand via CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import hist
import numpy as np
import pytest

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.render import comparison_impl

MakeCtx = Callable[..., RunContext]
DATASETS = ["data", "dy", "tt"]
EVENTTYPES = {"data": "data", "dy": "mc", "tt": "mc"}


def _hist(dataset: str, xs: list[float], weight: float = 1.0, variation: bool = False) -> hist.Hist:
    """pt in [0, 3), three bins, with the run's dataset axis (only ``dataset``'s bin filled)."""
    axes = [
        hist.axis.StrCategory(DATASETS, name="dataset"),
        hist.axis.Regular(3, 0, 3, name="pt"),
    ]
    if variation:
        axes.append(hist.axis.StrCategory(["nominal", "up"], name="variation"))
    h = hist.Hist(*axes, storage=hist.storage.Weight())
    extra = {"variation": "nominal"} if variation else {}
    h.fill(dataset=dataset, pt=xs, weight=np.full(len(xs), weight), **extra)
    if variation:
        h.fill(dataset=dataset, pt=xs, weight=np.full(len(xs), 2 * weight), variation="up")
    return h


def _table(path: Path) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(path.open())]


PRODUCTS = {
    "data": _hist("data", [0.5, 0.5, 1.5, 1.5, 1.5, 1.5]),  # 2, 4, 0
    "dy": _hist("dy", [0.5, 1.5, 2.5], weight=0.5),  # 0.5, 0.5, 0.5
    "tt": _hist("tt", [0.5, 1.5, 1.5, 2.5], weight=0.5),  # 0.5, 1.0, 0.5
}


def test_named_datasets_ratio_is_reference_over_target(tmp_path: Path, make_ctx: MakeCtx) -> None:
    style = {"comparison": {"reference": "data", "target": "tt"}, "_eventtypes": EVENTTYPES}
    out = tmp_path / "c.csv"
    comparison_impl.render(PRODUCTS, style, out, make_ctx())
    rows = _table(out)
    assert [r["reference"] for r in rows] == [2.0, 4.0, 0.0]  # data's own bin, not the others'
    assert [r["target"] for r in rows] == [0.5, 1.0, 0.5]
    assert [r["comparison"] for r in rows] == [4.0, 4.0, 0.0]  # 2/0.5, 4/1, 0/0.5


def test_default_is_data_against_the_sum_of_simulation(tmp_path: Path, make_ctx: MakeCtx) -> None:
    style = {"comparison": {"comparison": "difference"}, "_eventtypes": EVENTTYPES}
    out = tmp_path / "c.csv"
    comparison_impl.render(PRODUCTS, style, out, make_ctx())
    rows = _table(out)
    assert [r["target"] for r in rows] == [1.0, 1.5, 1.0]  # dy + tt
    assert [r["target_variance"] for r in rows] == [0.5, 0.75, 0.5]  # 0.25 per entry of weight 0.5
    assert [r["comparison"] for r in rows] == [1.0, 2.5, -1.0]


def test_pull_by_hand(tmp_path: Path, make_ctx: MakeCtx) -> None:
    style = {
        "comparison": {"reference": "data", "target": "tt", "comparison": "pull"},
        "_eventtypes": EVENTTYPES,
    }
    out = tmp_path / "c.csv"
    comparison_impl.render(PRODUCTS, style, out, make_ctx())
    pulls = [r["comparison"] for r in _table(out)]
    # (ref − target) / sqrt(var_ref + var_target): var_ref = ref (unit weights), var_target = 0.25 per entry
    expected = [
        (2 - 0.5) / math.sqrt(2 + 0.25),
        (4 - 1.0) / math.sqrt(4 + 0.5),
        (0 - 0.5) / math.sqrt(0 + 0.25),
    ]
    assert pulls == pytest.approx(expected, rel=1e-9)


def test_area_normalised_densities(tmp_path: Path, make_ctx: MakeCtx) -> None:
    style = {
        "comparison": {"reference": "data", "target": "dy", "normalise": "area"},
        "_eventtypes": EVENTTYPES,
    }
    out = tmp_path / "c.csv"
    comparison_impl.render(PRODUCTS, style, out, make_ctx())
    rows = _table(out)
    assert [r["reference"] for r in rows] == pytest.approx([2 / 6, 4 / 6, 0.0])  # unit-width bins
    assert [r["reference_variance"] for r in rows] == pytest.approx([2 / 36, 4 / 36, 0.0])
    assert [r["target"] for r in rows] == pytest.approx([1 / 3] * 3)


def test_variation_axis_form(tmp_path: Path, make_ctx: MakeCtx) -> None:
    products = {
        "data": _hist("data", [0.5, 1.5], variation=True),
        "dy": _hist("dy", [0.5, 0.5], variation=True),
    }
    opts = {"variation_axis": "variation", "variation": "up"}
    out = tmp_path / "c.csv"
    comparison_impl.render(products, {"comparison": opts, "_eventtypes": EVENTTYPES}, out, make_ctx())
    rows = _table(out)
    assert [r["reference"] for r in rows] == [1.0, 1.0, 0.0]  # data at nominal
    assert [r["target"] for r in rows] == [4.0, 0.0, 0.0]  # dy at `up` (weight 2)


def test_png_and_unknown_names(tmp_path: Path, make_ctx: MakeCtx) -> None:
    style = {
        "comparison": {"reference": "data", "target": "dy"},
        "_eventtypes": EVENTTYPES,
        "formats": ["png"],
    }
    written = comparison_impl.render(PRODUCTS, style, tmp_path / "c.png", make_ctx())
    assert written == [tmp_path / "c.png"] and written[0].read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(OpError, match="'ttbar' is neither a dataset"):
        comparison_impl.render(
            PRODUCTS, {"comparison": {"reference": "ttbar"}}, tmp_path / "c.csv", make_ctx()
        )
    with pytest.raises(OpError, match="no rendered dataset has eventtype 'data'"):
        comparison_impl.render(
            {"dy": PRODUCTS["dy"]}, {"_eventtypes": EVENTTYPES}, tmp_path / "c.csv", make_ctx()
        )
