"""The analysis ops on the real CMS Zmumu tutorial file, against plain uproot + awkward + hist + NumPy.

The chain (read → define → cutflow → hist / di_object_mass) runs on two partitions whose products are merged,
as the runtime would; the reference is computed on the whole file in one go with different code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import awkward as ak
import hist
import numpy as np
import pytest
import uproot

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core.products import merge_products
from fasthep_flow.ops.hep import cutflow_impl, define_impl, di_object_mass_impl, hist_impl, root_tree_impl
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan

MakeCtx = Callable[..., RunContext]
BRANCHES = ["NMuon", "Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "Muon_Iso", "EventWeight", "triggerIsoMu24"]
ISO_CUT = 0.10
DEFINE = {
    "variables": [
        {"name": "Muon_Pt", "expr": "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"},
        {"name": "IsoMuon", "expr": "(Muon_Iso / Muon_Pt) < iso_cut"},
        {"name": "NIsoMuon", "reduce": {"op": "count_nonzero", "over": "IsoMuon"}},
    ]
}
CUTFLOW = {
    "selection": {
        "dimuon": ["NIsoMuon >= 2", {"expr": "NMuon < 3", "label": "two muons"}],
        "triggered": {"steps": ["triggerIsoMu24", "leading(Muon_Pt) > 40"], "parents": ["dimuon"]},
    },
    "weight_expr": "EventWeight",
}
HIST = {
    "storage": "weighted",
    "weight_expr": "EventWeight",
    "axes": [
        {"name": "pt", "source": "Muon_Pt", "type": "regular", "bins": {"low": 0, "high": 120, "nbins": 30}}
    ],
}


@pytest.fixture(scope="module")
def hzz(shared_data_dir: Path) -> Path:
    return shared_data_dir / "uproot-HZZ.root"


@pytest.fixture(scope="module")
def reference(hzz: Path) -> dict[str, ak.Array]:
    return uproot.open(hzz)["events"].arrays(BRANCHES, library="ak")


def _chain(hzz: Path, make_ctx: MakeCtx, start: int, stop: int) -> tuple[Events, dict]:
    source = SourcePlan("events", "root_tree", {"tree": "events"})
    ctx = make_ctx(dataset="hzz", file=str(hzz), start=start, stop=stop, globals={"iso_cut": ISO_CUT})
    events = root_tree_impl.read(source, Partition("hzz", str(hzz), start, stop), BRANCHES, ctx)
    events = define_impl.run(events, DEFINE, ctx).events
    products = {}
    mass = di_object_mass_impl.run(events, {"mask": "IsoMuon"}, ctx).events
    products["mass"] = hist_impl.run(
        mass,
        {
            "axes": [
                {
                    "name": "m",
                    "source": "DiMuon_Mass",
                    "type": "regular",
                    "bins": {"low": 60, "high": 120, "nbins": 12},
                }
            ]
        },
        ctx,
    ).products["hist"]
    result = cutflow_impl.run(events, CUTFLOW, make_ctx(stage="Dimuon", dataset="hzz", globals={}))
    products["cutflow"] = result.products["cutflow"]
    products["pt"] = hist_impl.run(result.events, HIST, ctx).products["hist"]
    return result.events, products


@pytest.fixture(scope="module")
def merged(hzz: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Events], dict]:
    def make_ctx(stage="Stage", dataset="hzz", file=None, start=0, stop=None, globals=None):
        ds = DatasetPlan(dataset, "mc", (file,) if file else ())
        return RunContext(
            stage,
            ds,
            Partition(dataset, file, start, stop),
            tmp_path_factory.mktemp("o"),
            dict(globals or {}),
        )

    n = uproot.open(hzz)["events"].num_entries
    ev1, p1 = _chain(hzz, make_ctx, 0, 1200)
    ev2, p2 = _chain(hzz, make_ctx, 1200, n)
    return [ev1, ev2], {k: merge_products(p1[k], p2[k]) for k in p1}


def _ref_masks(ref: dict[str, ak.Array]) -> dict[str, np.ndarray]:
    pt = np.hypot(ref["Muon_Px"], ref["Muon_Py"])
    iso = ref["Muon_Iso"] < ISO_CUT * pt
    n_iso = ak.to_numpy(ak.sum(iso, axis=1))
    dimuon_1 = n_iso >= 2
    dimuon_2 = dimuon_1 & (ak.to_numpy(ref["NMuon"]) < 3)
    trig_1 = dimuon_2 & ak.to_numpy(ref["triggerIsoMu24"])
    first_pt = np.array([float(p[0]) if len(p) else -1.0 for p in pt.tolist()])
    trig = trig_1 & (first_pt > 40)
    return {"pt": pt, "iso": iso, "d1": dimuon_1, "d2": dimuon_2, "trig1": trig_1, "trig": trig}


def test_cutflow_counts_and_weights_per_step(merged, reference) -> None:
    _, products = merged
    cutflow = products["cutflow"]
    masks = _ref_masks(reference)
    w = ak.to_numpy(reference["EventWeight"]).astype(np.float64)
    everything = np.ones(len(w), dtype=bool)
    expected = {
        "dimuon": [("NIsoMuon >= 2", everything, masks["d1"]), ("two muons", masks["d1"], masks["d2"])],
        "triggered": [
            ("triggerIsoMu24", masks["d2"], masks["trig1"]),
            ("leading(Muon_Pt) > 40", masks["trig1"], masks["trig"]),
        ],
    }
    assert list(cutflow.groups) == ["dimuon", "triggered"]
    for group, steps in expected.items():
        got = cutflow.steps(group)
        assert [s.label for s in got] == [label for label, _, _ in steps]
        for step, (_, before, after) in zip(got, steps, strict=True):
            assert step.events_in == before.sum() and step.events_out == after.sum()
            assert step.weights_in == pytest.approx(w[before].sum(), rel=1e-9)
            assert step.weights_out == pytest.approx(w[after].sum(), rel=1e-9)
            assert step.weights_sq_out == pytest.approx((w[after] ** 2).sum(), rel=1e-9)
    assert 0 < masks["trig"].sum() < masks["d2"].sum() < masks["d1"].sum() < len(w)


def test_filtered_stream_and_flags(merged, reference) -> None:
    streams, _ = merged
    masks = _ref_masks(reference)
    kept = np.concatenate([s["Dimuon.dimuon"] for s in streams])
    assert len(kept) == masks["trig"].sum()  # filter: all → both groups pass
    assert kept.all() and np.concatenate([s["Dimuon.triggered"] for s in streams]).all()
    got_px = ak.concatenate([s["Muon_Px"] for s in streams])
    assert ak.to_list(got_px) == ak.to_list(reference["Muon_Px"][masks["trig"]])


def test_jagged_weighted_histogram(merged, reference) -> None:
    _, products = merged
    masks = _ref_masks(reference)
    sel = masks["trig"]
    pt = masks["pt"][sel]
    weights = ak.broadcast_arrays(reference["EventWeight"][sel], pt)[0]
    ref = hist.Hist(hist.axis.Regular(30, 0, 120), storage=hist.storage.Weight())
    ref.fill(ak.to_numpy(ak.flatten(pt)), weight=ak.to_numpy(ak.flatten(weights)))
    got = products["pt"]
    assert got.axes[0].name == "pt"
    np.testing.assert_allclose(got.values(flow=True), ref.values(flow=True), rtol=1e-6)
    np.testing.assert_allclose(got.variances(flow=True), ref.variances(flow=True), rtol=1e-6)
    assert got.values(flow=True).sum() == pytest.approx(ak.sum(weights), rel=1e-6)


def test_di_object_mass_of_first_two_isolated_muons(merged, reference) -> None:
    _, products = merged
    masks = _ref_masks(reference)
    masses = []
    too_few = 0
    for i in range(len(reference)):
        chosen = np.flatnonzero(ak.to_numpy(masks["iso"][i]))[:2]
        if len(chosen) < 2:
            too_few += 1
            continue
        comp = [
            float(np.sum(ak.to_numpy(reference[f"Muon_{c}"][i])[chosen].astype(np.float64)))
            for c in ("E", "Px", "Py", "Pz")
        ]
        masses.append(np.sqrt(max(comp[0] ** 2 - comp[1] ** 2 - comp[2] ** 2 - comp[3] ** 2, 0.0)))
    ref = hist.Hist(hist.axis.Regular(12, 60, 120))
    ref.fill(np.array(masses))
    got = products["mass"]
    assert too_few > 0
    # Events with fewer than two isolated muons have a NaN mass, counted in the overflow bin (as upstream).
    np.testing.assert_array_equal(got.values(flow=True)[:-1], ref.values(flow=True)[:-1])
    assert got.values(flow=True)[-1] == ref.values(flow=True)[-1] + too_few
    assert got.values(flow=True).sum() == len(reference)


def test_rntuple_source_reads_the_requested_range(shared_data_dir: Path, make_ctx: MakeCtx) -> None:
    path = shared_data_dir / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"
    source = SourcePlan("events", "root_tree", {"tree": "Events"})
    ds = DatasetPlan("run2012", files=(str(path),))
    assert root_tree_impl.entries(source, str(path), ds) == 1000
    ctx = make_ctx(file=str(path), start=100, stop=250)
    events = root_tree_impl.read(source, Partition("run2012", str(path), 100, 250), ["nMuon", "Muon_pt"], ctx)
    ref = uproot.open(path)["Events"].arrays(["nMuon", "Muon_pt"], entry_start=100, entry_stop=250)
    assert list(events.columns) == ["nMuon", "Muon_pt"] and len(events) == 150
    assert isinstance(events["nMuon"], np.ndarray)
    assert events["nMuon"].tolist() == ref["nMuon"].tolist()
    assert ak.to_list(events["Muon_pt"]) == ak.to_list(ref["Muon_pt"])


def test_source_start_stop_params_shift_the_window(hzz: Path, make_ctx: MakeCtx, reference) -> None:
    source = SourcePlan("events", "root_tree", {"tree": "events", "start": 100, "stop": 400})
    assert root_tree_impl.entries(source, str(hzz), DatasetPlan("hzz")) == 300
    events = root_tree_impl.read(source, Partition("hzz", str(hzz), 50, 80), ["EventWeight"], make_ctx())
    np.testing.assert_array_equal(events["EventWeight"], ak.to_numpy(reference["EventWeight"][150:180]))
