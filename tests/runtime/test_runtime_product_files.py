"""The product files of a run: histograms in the uhi standard serialisation, cutflows as JSON, totals per
eventtype (data and simulation never added together), and the shipped toy example's files read back with
uhi/hist and compared with the run's in-memory products."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import hist
import numpy as np
import pytest
import uhi.io.json
import uproot
from runtime_toyops import Counts

from fasthep_flow.compiler import compile_file
from fasthep_flow.ops.hep.cutflow_product import COLUMN_DOCS, Cutflow, StepCounts
from fasthep_flow.ops.totals import is_total, total_key, totals_by_eventtype
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.runtime.product_files import (
    HIST_METADATA,
    cutflow_file_columns,
    cutflows_json,
    hists_json,
    labelled_hist,
    product_entries,
)

REPO = Path(__file__).resolve().parents[2]
TOY_EXAMPLE = REPO / "examples" / "toy_zmumu.flow.yaml"


def read_hists(path: Path) -> dict[str, hist.Hist]:
    """Exactly what a user writes to read the file: json + uhi's object hook, then hist."""
    with path.open(encoding="utf-8") as f:
        entries = json.load(f, object_hook=uhi.io.json.object_hook)
    return {name: hist.Hist(ir) for name, ir in entries.items()}


def test_a_histogram_round_trips_through_uhi_json_with_flow_bins_and_variances() -> None:
    h = hist.Hist(hist.axis.Regular(2, 0, 2, name="x", label="X"), storage=hist.storage.Weight())
    h.fill([0.5, 1.5, 1.5, 5.0, np.nan], weight=[1.0, 2.0, 3.0, 4.0, 0.5])
    text = hists_json({"dy": labelled_hist(h, "dy", "Sel", "dy", "mc")})
    back = read_hists_text(text)["dy"]
    assert back == h  # axes, storage and every bin, flow included
    assert back.values(flow=True).tolist() == [0.0, 1.0, 5.0, 4.5]  # NaN is filled into overflow
    assert back.variances().tolist() == [1.0, 13.0]
    assert back.axes[0].label == "X"
    assert {k: getattr(back, k) for k, _ in HIST_METADATA} == {
        "name": "dy",
        "stage": "Sel",
        "dataset": "dy",
        "eventtype": "mc",
    }
    assert not hasattr(h, "stage")  # the run's own product is not relabelled


def read_hists_text(text: str) -> dict[str, hist.Hist]:
    entries = json.loads(text, object_hook=uhi.io.json.object_hook)
    return {name: hist.Hist(ir) for name, ir in entries.items()}


def test_nan_bin_contents_stay_nan_not_null() -> None:
    # A NaN weight makes a NaN sum of weights; a NaN sample a NaN mean.
    h = hist.Hist(hist.axis.Regular(2, 0, 2, name="x"), storage=hist.storage.Mean())
    h.fill([0.5, 1.5], sample=[2.0, np.nan])
    w = hist.Hist(hist.axis.Regular(1, 0, 1, name="x"), storage=hist.storage.Weight())
    w.fill([0.5], weight=[np.nan])
    text = hists_json({"mean": h, "nan_weight": w})
    assert "null" not in text and "NaN" in text
    back = read_hists_text(text)
    assert back["mean"].values()[0] == 2.0
    assert math.isnan(back["mean"].values()[1])
    assert math.isnan(back["nan_weight"].values()[0])


def test_category_integer_and_boolean_axes_round_trip() -> None:
    h = hist.Hist(
        hist.axis.StrCategory([], growth=True, name="dataset"),
        hist.axis.Integer(0, 2, name="n"),
        hist.axis.Boolean(name="ok"),
    )
    h.fill(dataset=["dy", "tt", "dy"], n=[0, 1, 1], ok=[True, False, True])
    back = read_hists_text(hists_json({"h": h}))["h"]
    assert back == h
    assert list(back.axes["dataset"]) == ["dy", "tt"]


def test_entries_are_named_by_dataset_and_by_product_when_a_stage_has_several() -> None:
    h1, h2 = hist.Hist.new.Reg(1, 0, 1).Double(), hist.Hist.new.Reg(1, 0, 1).Double()
    entries = product_entries(
        {"dy": {"hist": h1, "cutflow": Counts("c", 1, 1, 1.0, 1.0)}, "tt": {"a": h1, "b": h2}},
        lambda p: hasattr(p, "axes"),
    )
    assert entries == {"dy": ("dy", h1), "tt:a": ("tt", h1), "tt:b": ("tt", h2)}


def test_totals_are_per_eventtype_and_never_add_data_to_simulation() -> None:
    items = {"data_a": 1, "dy": 10, "data_b": 2, "tt": 20}
    types = {"data_a": "data", "data_b": "data", "dy": "mc", "tt": "mc"}
    totals = totals_by_eventtype(items, types, lambda a, b: a + b)
    assert totals == {"total_data": 3, "total_mc": 30}
    assert total_key("mc") == "total_mc" and is_total("total_data") and not is_total("dy")
    assert totals_by_eventtype({"x": 5}, {}, lambda a, b: a + b) == {"total_mc": 5}  # no eventtype: mc


def real_cutflow(n_in: int, n_out: int, w_in: float, w_out: float) -> Cutflow:
    step = StepCounts("NMuon >= 1", n_in, n_out, w_in, w_out, w_in * 2, w_out * 2)
    return Cutflow({"one": (step,)})


def test_the_cutflow_products_rows_are_exactly_the_documented_columns() -> None:
    rows = real_cutflow(10, 4, 2.5, 1.0).to_rows()
    assert list(rows[0]) == list(COLUMN_DOCS)
    assert [name for name, _ in cutflow_file_columns()] == ["dataset", *COLUMN_DOCS]
    assert all(doc for _, doc in cutflow_file_columns())


def test_cutflow_json_has_one_row_per_dataset_and_step_with_the_documented_columns() -> None:
    entries = {"dy": real_cutflow(10, 4, 2.5, 1.0), "total_mc": real_cutflow(30, 9, 7.5, 3.0)}
    data = json.loads(cutflows_json("Sel", entries))
    assert data["format"] == 2 and data["stage"] == "Sel"
    assert data["columns"] == [name for name, _ in cutflow_file_columns()]
    assert [list(r) for r in data["rows"]] == [data["columns"]] * 2
    assert data["rows"][1] == {
        "dataset": "total_mc",
        "group": "one",
        "step": "NMuon >= 1",
        "events_in": 30,
        "events_out": 9,
        "weights_in": 7.5,
        "weights_out": 3.0,
        "weights_sq_in": 15.0,
        "weights_sq_out": 6.0,
        "efficiency": 0.3,
    }


# --- the shipped toy example, run for real (fewer events) -----------------------------------------------------


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    folder = tmp_path_factory.mktemp("toy")
    text = TOY_EXAMPLE.read_text(encoding="utf-8")
    small = text.replace("nevents: 100000", "nevents: 4000").replace("nevents: 200000", "nevents: 8000")
    small = small.replace("lumi: 0.05", "lumi: 0.002")  # 1/25 of the data: 1/25 of its luminosity
    # The plots' numbers as tables (the drawing itself is tested in tests/ops): `out: X.csv` writes the stack.
    small = small.replace("MuonPt.png", "MuonPt.csv").replace("DiMuonMass.png", "DiMuonMass.csv")
    assert small.count("nevents: 4000") == small.count("lumi: 0.002") == small.count("MuonPt.csv") == 1
    workflow = folder / "toy.flow.yaml"
    workflow.write_text(small, encoding="utf-8")
    compiled = compile_file(workflow)
    assert compiled.ok, [d.message for d in compiled.diagnostics]
    out = folder / "out"
    result = run_plan(compiled.plan, RunOptions(outdir=out, chunk_size=3000), registry=compiled.registry)
    assert result.ok, [d.message for d in result.errors]
    return result, out


def test_every_histogram_the_toy_example_writes_reads_back_equal_to_the_runs_products(
    toy_run: tuple[Any, Path],
) -> None:
    result, out = toy_run
    files = sorted((out / "hists").glob("*.json"))
    assert [f.stem for f in files] == ["DiMuonMass", "MuonPt"]
    for path in files:
        stage = path.stem
        read = read_hists(path)
        assert sorted(read) == sorted(["toy_data", "toy_dy", "total_data", "total_mc"])
        for name, h in read.items():
            product = result.products[(f"stage.{stage}", name)]["hist"]
            assert h == product, (stage, name)
            assert (h.stage, h.dataset) == (stage, name)
        assert read["total_mc"] == read["toy_dy"]  # one simulated dataset: its total is itself...
        assert read["total_data"] == read["toy_data"]  # ...and data is never added to it
        with uproot.open(path.with_suffix(".root")) as f:
            assert sorted(k.split(";")[0] for k in f) == sorted(read)
            for name, h in read.items():
                np.testing.assert_array_equal(f[name].values(), h.values())
    assert ("stage.MuonPt", "total") not in result.products


def test_the_toy_example_writes_each_cutflow_once_per_format(toy_run: tuple[Any, Path]) -> None:
    result, out = toy_run
    cutflow_files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if "Dimuon" in p.name)
    assert cutflow_files == ["Dimuon.csv", "cutflows/Dimuon.json"]
    data = json.loads((out / "cutflows" / "Dimuon.json").read_text())
    by_dataset = {r["dataset"] for r in data["rows"]}
    assert by_dataset == {"toy_data", "toy_dy", "total_data", "total_mc"}
    mc_last = [r for r in data["rows"] if r["dataset"] == "total_mc"][-1]
    product = result.products[("stage.Dimuon", "total_mc")]["cutflow"].to_rows()[-1]
    assert mc_last["events_out"] == product["events_out"]
    assert mc_last["weights_out"] == product["weights_out"]  # full precision in JSON
    table = (out / "Dimuon.csv").read_text().splitlines()
    assert table[0].split(",") == ["dataset", "group", "step", *list(COLUMN_DOCS)[2:]]
    assert [line.split(",")[0] for line in table[1:]].count("total_mc") == 3


def test_the_toy_examples_plot_scales_simulation_to_the_datas_luminosity(toy_run: tuple[Any, Path]) -> None:
    """The shipped example's normalisation: lumi (fb⁻¹) × 1000 × 2000 pb / the EventWeight sum of all events read."""
    from fasthep_flow.ops.core.toy_impl import generate

    result, out = toy_run
    weights = generate(0, 8000, 42, "toy_dy", "mc", ["EventWeight"])["EventWeight"]
    factor = 0.002 * 1000 * 2000 / float(np.sum(weights, dtype=np.float64))
    rows = list(csv.DictReader((out / "MuonPt.csv").open()))
    drawn = [float(r["value"]) for r in rows if r["line"] != "data"]
    mc = result.products[("stage.MuonPt", "toy_dy")]["hist"].project("pt")
    np.testing.assert_allclose(drawn, mc.values() * factor, rtol=1e-9)
    data = [float(r["value"]) for r in rows if r["line"] == "data"]
    assert sum(data) == pytest.approx(sum(drawn), rel=0.05)  # data and scaled simulation agree
