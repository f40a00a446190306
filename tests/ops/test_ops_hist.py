"""``hep.hist``: axis kinds, jagged fills, NaN to overflow, missing values, weights, dataset and variation axes."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import awkward as ak
import hist
import numpy as np
import pytest

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core.products import merge_products
from fasthep_flow.ops.hep import hist_impl

MakeCtx = Callable[..., RunContext]

EVENTS = Events(
    {
        "x": np.array([0.5, 1.5, np.nan, 5.0, -1.0]),
        "w": np.array([1.0, 2.0, 3.0, 4.0, 0.5]),
        "obj": ak.Array([[0.5, 2.5], [], [1.5], [np.nan, 0.1, 0.2], [9.0]]),
        "maybe": ak.Array([1.5, None, 2.5, None, 0.5]),
        "n": np.array([0, 1, 1, 2, 3]),
        "flag": np.array([True, False, True, True, False]),
        "tag": ak.Array(["a", "b", "a", "c", "a"]),
    }
)
REG = {"type": "regular", "bins": {"low": 0, "high": 3, "nbins": 3}}


def _fill(make_ctx: MakeCtx, params: dict, **ctx_kw) -> hist.Hist:
    return hist_impl.run(EVENTS, params, make_ctx(**ctx_kw)).products["hist"]


def test_nan_goes_to_overflow_and_counts_store_no_variance(make_ctx: MakeCtx) -> None:
    h = _fill(make_ctx, {"axes": [{"name": "x", "source": "x", **REG}]})
    assert h.values(flow=True).tolist() == [1.0, 1.0, 1.0, 0.0, 2.0]  # underflow -1; overflow 5.0 and NaN
    assert h.storage_type == hist.storage.Double


def test_weighted_storage_sums_weights_and_squares(make_ctx: MakeCtx) -> None:
    h = _fill(
        make_ctx, {"axes": [{"name": "x", "source": "x", **REG}], "storage": "weighted", "weight_expr": "w"}
    )
    assert h.values(flow=True).tolist() == [0.5, 1.0, 2.0, 0.0, 7.0]
    assert h.variances(flow=True).tolist() == [0.25, 1.0, 4.0, 0.0, 25.0]


def test_jagged_source_fills_once_per_object_with_the_event_weight(make_ctx: MakeCtx) -> None:
    params = {"axes": [{"name": "o", "source": "obj", **REG}], "storage": "weighted", "weight_expr": "w * 2"}
    h = _fill(make_ctx, params)
    # objects: 0.5(w2) 2.5(w2) 1.5(w6) nan(w8) 0.1(w8) 0.2(w8) 9.0(w1)
    assert h.values(flow=True).tolist() == [0.0, 2.0 + 8 + 8, 6.0, 2.0, 8.0 + 1.0]
    assert h.variances(flow=True)[1] == pytest.approx(4 + 64 + 64)


def test_missing_values_fill_nothing(make_ctx: MakeCtx) -> None:
    h = _fill(make_ctx, {"axes": [{"name": "m", "source": "maybe", **REG}], "weight_expr": "w"})
    assert h.values(flow=True).tolist() == [0.0, 0.5, 1.0, 3.0, 0.0]


def test_two_axes_mix_per_event_and_per_object_values(make_ctx: MakeCtx) -> None:
    params = {
        "axes": [
            {"name": "o", "source": "obj", "type": "variable", "bins": [0, 1, 10]},
            {"name": "n", "source": "n", "type": "int", "bins": {"low": 0, "high": 4}},
        ]
    }
    h = _fill(make_ctx, params)
    assert h.axes.name == ("o", "n")
    # (obj, n): (0.5,0) (2.5,0) (1.5,1) (nan,2) (0.1,2) (0.2,2) (9.0,3)
    assert h.values().tolist() == [[1, 0, 2, 0], [1, 1, 0, 1]]
    assert list(h.axes["n"]) == [0, 1, 2, 3]  # `int`: growing categories; the bins are ignored (upstream)
    assert h.values(flow=True)[-1].tolist() == [0, 0, 1, 0]  # the NaN object (n = 2) in overflow of `o`


def test_int_axis_grows_categories_in_order_of_first_appearance(make_ctx: MakeCtx) -> None:
    """Upstream (LANGUAGE.md §9.4, probe p03): `int` is a growing IntCategory; merged partitions unite."""
    a = _fill(make_ctx, {"axes": [{"name": "n", "source": "n[::-1]", "type": "int"}]})
    assert type(a.axes[0]).__name__ == "IntCategory" and list(a.axes[0]) == [3, 2, 1, 0]
    assert a.values(flow=True).tolist() == [1.0, 1.0, 2.0, 1.0]
    b = _fill(
        make_ctx, {"axes": [{"name": "n", "source": "n + 3", "type": "int", "bins": {"low": 0, "high": 1}}]}
    )
    merged = merge_products(a, b)  # 3, 4, 4, 5, 6 join the categories already met
    assert list(merged.axes[0]) == [3, 2, 1, 0, 4, 5, 6]
    assert merged.values(flow=True).tolist() == [2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0]


def test_storage_default_follows_the_weight_and_count_ignores_it(make_ctx: MakeCtx) -> None:
    """Upstream (§9.4, probe p03b): a weight without `storage` is weighted; `storage: count` ignores it."""
    axes = [{"name": "x", "source": "x", **REG}]
    implied = _fill(make_ctx, {"axes": axes, "weight_expr": "w"})
    assert implied.storage_type == hist.storage.Weight
    assert implied.values(flow=True).tolist() == [0.5, 1.0, 2.0, 0.0, 7.0]
    assert implied.variances(flow=True).tolist() == [0.25, 1.0, 4.0, 0.0, 25.0]
    counted = _fill(make_ctx, {"axes": axes, "weight_expr": "w", "storage": "count"})
    assert counted.storage_type == hist.storage.Double
    assert counted.values(flow=True).tolist() == [1.0, 1.0, 1.0, 0.0, 2.0]


def test_bool_and_category_axes(make_ctx: MakeCtx) -> None:
    h = _fill(make_ctx, {"axes": [{"name": "f", "source": "flag", "type": "bool"}]})
    assert h.values().tolist() == [2.0, 3.0]
    assert list(h.axes[0]) == [0, 1] and h.values(flow=True).tolist() == [2.0, 3.0, 0.0]  # upstream's form
    h = _fill(make_ctx, {"axes": [{"name": "t", "source": "tag", "type": "category", "bins": ["a", "b"]}]})
    assert list(h.axes[0]) == ["a", "b"] and h.values(flow=True).tolist() == [3.0, 1.0, 1.0]
    grown = _fill(make_ctx, {"axes": [{"name": "t", "source": "tag", "type": "category"}]})
    assert sorted(grown.axes[0]) == ["a", "b", "c"] and grown.values().sum() == 5
    ints = _fill(make_ctx, {"axes": [{"name": "n", "source": "n", "type": "category", "bins": [1, 2]}]})
    assert type(ints.axes[0]).__name__ == "IntCategory" and ints.values().tolist() == [2.0, 1.0]


def test_expression_sources_and_scalar_weights(make_ctx: MakeCtx) -> None:
    h = _fill(make_ctx, {"axes": [{"name": "s", "source": "num(obj)", **REG}], "weight_expr": 2})
    assert h.values(flow=True).tolist() == [0.0, 2.0, 4.0, 2.0, 2.0]  # num(obj) = 2, 0, 1, 3, 1


def test_dataset_axis_and_merging_across_datasets(make_ctx: MakeCtx) -> None:
    params = {"axes": [{"name": "x", "source": "x", **REG}], "dataset_axis": {"name": "process"}}
    a = _fill(make_ctx, params, dataset="dy")
    b = _fill(make_ctx, params, dataset="ttbar")
    assert a.axes.name == ("process", "x") and list(a.axes["process"]) == ["dy"]  # first, as upstream
    total = merge_products(a, b)
    assert list(total.axes["process"]) == ["dy", "ttbar"]
    assert total["ttbar", :].values().tolist() == a["dy", :].values().tolist()
    same = merge_products(a, _fill(make_ctx, params, dataset="dy"))
    assert same["dy", :].values().tolist() == (2 * a["dy", :].values()).tolist()
    full = {
        **params,
        "dataset_axis": {"name": "ds", "type": "category", "source": "dataset_name", "bins": ["mc"]},
    }
    fixed = _fill(make_ctx, full, dataset="data")  # upstream's full axis mapping: fixed bins, others overflow
    assert list(fixed.axes["ds"]) == ["mc"] and fixed.values(flow=True)[0].sum() == 0
    assert fixed.values(flow=True)[1].sum() == 5
    assert pickle.loads(pickle.dumps(total)) == total


def test_variations_axis_and_apply_to(make_ctx: MakeCtx) -> None:
    """Upstream (§9.4, probes p05/p05b): one bin per `weights` key, last; no extra nominal; weighted implied;
    datasets outside `apply_to` fill `nominal` only, unweighted (overflow when `nominal` is not a key)."""
    params = {
        "axes": [{"name": "x", "source": "x", **REG}],
        "weight_expr": "w",
        "dataset_axis": True,
        "variations": {
            "weights": {"nominal": "w", "up": "w * 1.5", "flat": "1"},
            "apply_to": {"eventtype": "mc"},
        },
    }
    mc = _fill(make_ctx, params, dataset="mc")
    assert mc.axes.name == ("dataset", "x", "variation") and mc.storage_type == hist.storage.Weight
    assert list(mc.axes["variation"]) == ["nominal", "up", "flat"]
    assert mc["mc", :, "nominal"].values().tolist() == [1.0, 2.0, 0.0]
    assert mc["mc", :, "up"].values().tolist() == [1.5, 3.0, 0.0]
    assert mc["mc", :, "flat"].values().tolist() == [1.0, 1.0, 0.0]
    assert mc["mc", :, "up"].variances().tolist() == [2.25, 9.0, 0.0]
    data = _fill(make_ctx, params, dataset="data", eventtype="data")
    assert data["data", :, "nominal"].values().tolist() == [1.0, 1.0, 0.0]  # unweighted
    assert data["data", :, "up"].values().sum() == 0 and data["data", :, "flat"].values().sum() == 0
    no_nominal = {**params, "variations": {"weights": {"up": "w * 1.5"}, "apply_to": {"eventtype": "mc"}}}
    off = _fill(make_ctx, no_nominal, dataset="data", eventtype="data")
    assert off.values().sum() == 0 and off.values(flow=True)[..., -1].sum() == 5  # variation overflow


def test_empty_partition_gives_an_empty_histogram_that_merges(make_ctx: MakeCtx) -> None:
    params = {"axes": [{"name": "x", "source": "x", **REG}], "storage": "weighted", "weight_expr": "w"}
    empty = hist_impl.run(Events({k: v[:0] for k, v in EVENTS.columns.items()}), params, make_ctx())
    full = _fill(make_ctx, params)
    merged = merge_products(empty.products["hist"], full)
    assert merged.values(flow=True).tolist() == full.values(flow=True).tolist()
    assert empty.events is None


def test_hist_outputs_as_json_and_root(tmp_path, make_ctx: MakeCtx) -> None:
    """A filled histogram survives the runtime's writers: uhi JSON read back by hist with flow bins and
    variances, ROOT flow bins, TH2 for a dataset axis (the one place histograms are turned into files)."""
    import json

    import hist
    import uhi.io.json
    import uproot

    from fasthep_flow.runtime.product_files import hists_json, write_hists_root

    params = {"axes": [{"name": "x", "source": "x", **REG}], "storage": "weighted", "weight_expr": "w"}
    h = _fill(make_ctx, params)
    back = hist.Hist(json.loads(hists_json({"x": h}), object_hook=uhi.io.json.object_hook)["x"])
    assert back.axes[0].edges.tolist() == [0.0, 1.0, 2.0, 3.0] and back.storage_type is hist.storage.Weight
    assert back.values(flow=True).tolist() == [0.5, 1.0, 2.0, 0.0, 7.0]
    assert back.variances(flow=True).tolist() == [0.25, 1.0, 4.0, 0.0, 25.0]
    by_dataset = _fill(make_ctx, {**params, "dataset_axis": True}, dataset="dy")
    path = tmp_path / "h.root"
    assert write_hists_root(path, {"x": h, "x_by_dataset": by_dataset}) == []
    with uproot.open(path) as f:
        assert f["x"].values(flow=True).tolist() == [0.5, 1.0, 2.0, 0.0, 7.0]
        assert f["x"].variances(flow=True).tolist() == [0.25, 1.0, 4.0, 0.0, 25.0]
        assert f["x_by_dataset"].classname == "TH2D"
    assert [p.name for p in tmp_path.iterdir()] == ["h.root"]


def test_dataset_axis_has_a_bin_per_dataset_of_the_run(make_ctx: MakeCtx) -> None:
    """Upstream (§9.4): `dataset_axis: true` lists every dataset, in the run's order, plus an overflow bin; a
    dataset filling nothing is a row of zeros, and every partition's histogram has the same axes."""
    from dataclasses import replace

    params = {"axes": [{"name": "x", "source": "x", **REG}], "dataset_axis": True}
    ctx = replace(make_ctx(dataset="dy"), symbols={"dataset_names": ("data", "dy", "tt")})
    h = hist_impl.run(EVENTS, params, ctx).products["hist"]
    assert list(h.axes["dataset"]) == ["data", "dy", "tt"]
    assert h.values(flow=True).sum(axis=1).tolist() == [0, 5, 0, 0]  # data, dy, tt, overflow
    empty = hist_impl.run(Events({k: v[:0] for k, v in EVENTS.columns.items()}), params, ctx).products["hist"]
    assert merge_products(empty, h) == h
