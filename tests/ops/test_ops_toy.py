"""The toy source: deterministic, chunking-independent, Zmumu-like, and writable as a ROOT file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.core import toy, toy_impl
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan

MakeCtx = Callable[..., RunContext]

SOURCE = SourcePlan("events", "toy", {"seed": 7})


def _read(
    make_ctx: MakeCtx, start: int, stop: int | None, fields=(), dataset="dy", eventtype="mc", nevents=None
):
    ctx = make_ctx(dataset=dataset, eventtype=eventtype, start=start, stop=stop, nevents=nevents)
    return toy_impl.read(SOURCE, Partition(dataset, None, start, stop), list(fields), ctx)


def _same(a, b) -> None:
    assert a.columns.keys() == b.columns.keys()
    for name in a.columns:
        assert ak.to_list(a[name]) == ak.to_list(b[name]), name


def _concat(*parts):
    out = {}
    for name in parts[0].columns:
        values = [p[name] for p in parts]
        out[name] = np.concatenate(values) if isinstance(values[0], np.ndarray) else ak.concatenate(values)
    return out


def test_same_events_whatever_the_chunking(make_ctx: MakeCtx) -> None:
    whole = _read(make_ctx, 0, 1000)
    first, second = _read(make_ctx, 0, 300), _read(make_ctx, 300, 1000)
    assert len(whole) == 1000 and len(first) == 300 and len(second) == 700
    joined = _concat(first, second)
    for name in whole.columns:
        assert ak.to_list(whole[name]) == ak.to_list(joined[name]), name


def test_chunks_across_a_generation_block_boundary(make_ctx: MakeCtx) -> None:
    b = toy_impl.BLOCK
    whole = _read(make_ctx, b - 50, b + 70, ["Muon_Px", "NJet", "Jet_btag", "EventWeight"])
    parts = [_read(make_ctx, b - 50, b, whole.columns), _read(make_ctx, b, b + 70, whole.columns)]
    joined = _concat(*parts)
    for name in whole.columns:
        assert ak.to_list(whole[name]) == ak.to_list(joined[name]), name


def test_reading_some_fields_gives_the_same_values_as_all(make_ctx: MakeCtx) -> None:
    everything = _read(make_ctx, 100, 200)
    some = _read(make_ctx, 100, 200, ["Muon_Iso", "MET_px"])
    assert list(some.columns) == ["Muon_Iso", "MET_px"]
    assert ak.to_list(some["Muon_Iso"]) == ak.to_list(everything["Muon_Iso"])
    assert some["MET_px"].tolist() == everything["MET_px"].tolist()


def test_seed_and_dataset_change_the_events(make_ctx: MakeCtx) -> None:
    base = _read(make_ctx, 0, 50, ["MET_px"])["MET_px"]
    other_dataset = _read(make_ctx, 0, 50, ["MET_px"], dataset="other")["MET_px"]
    ctx = make_ctx(dataset="dy", stop=50)
    other_seed = toy_impl.read(
        SourcePlan("events", "toy", {"seed": 8}), Partition("dy", None, 0, 50), ["MET_px"], ctx
    )
    assert not np.array_equal(base, other_dataset)
    assert not np.array_equal(base, other_seed["MET_px"])
    assert np.array_equal(base, _read(make_ctx, 0, 50, ["MET_px"])["MET_px"])


def test_schema_and_physics(make_ctx: MakeCtx) -> None:
    ev = _read(make_ctx, 0, 20000)
    assert set(ev.columns) == set(toy_impl.FIELDS)
    assert set(toy.TOY_FIELDS) <= set(toy_impl.FIELDS)
    assert ev["NMuon"].dtype == np.int32 and ev["triggerIsoMu24"].dtype == np.bool_
    assert str(ev["Muon_Px"].type.content) == "var * float32"
    assert ak.num(ev["Muon_Px"]).tolist() == ev["NMuon"].tolist()
    assert ak.num(ev["Jet_Px"]).tolist() == ev["NJet"].tolist()
    # The first two muons of events with >= 2 muons come from a Z: opposite charges, mass near 91 GeV.
    two = ev["NMuon"] >= 2
    charges = ev["Muon_Charge"][two]
    assert ak.all(charges[:, 0] == -charges[:, 1])
    p = {c: ev[f"Muon_{c}"][two] for c in ("Px", "Py", "Pz", "E")}
    tot = {c: ak.to_numpy(p[c][:, 0]).astype(float) + ak.to_numpy(p[c][:, 1]) for c in p}
    mass = np.sqrt(np.maximum(tot["E"] ** 2 - tot["Px"] ** 2 - tot["Py"] ** 2 - tot["Pz"] ** 2, 0))
    assert 89 < np.median(mass) < 93
    assert ((mass > 59) & (mass < 121)).mean() > 0.999
    # The harder Z muon is stored first; the trigger needs a muon above 24 GeV.
    pt = np.hypot(ev["Muon_Px"], ev["Muon_Py"])
    assert ak.all(pt[two][:, 0] >= pt[two][:, 1])
    lead = ak.to_numpy(ak.fill_none(ak.max(pt, axis=1), 0.0))
    assert not np.any(ev["triggerIsoMu24"] & (lead <= 24))
    assert 0.85 < ev["triggerIsoMu24"][lead > 24.5].mean() < 0.99


def test_data_has_unit_weights_and_mc_does_not(make_ctx: MakeCtx) -> None:
    data = _read(make_ctx, 0, 500, ["EventWeight"], eventtype="data")["EventWeight"]
    mc = _read(make_ctx, 0, 500, ["EventWeight"])["EventWeight"]
    assert np.all(data == 1.0)
    assert mc.std() > 0.05 and 0.95 < mc.mean() < 1.05


def test_entries_and_open_ended_partition(make_ctx: MakeCtx) -> None:
    assert toy_impl.entries(SOURCE, None, DatasetPlan("d", nevents=123)) == 123
    assert toy_impl.entries(SourcePlan("s", "toy", {"nevents": 77}), None, DatasetPlan("d")) == 77
    assert toy_impl.entries(SourcePlan("s", "toy"), None, DatasetPlan("d")) == 10000
    assert len(_read(make_ctx, 100, None, ["NMuon"], nevents=250)) == 150
    assert len(_read(make_ctx, 200, 900, ["NMuon"], nevents=250)) == 50


def test_unknown_field_is_a_runtime_missing_field(make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError) as err:
        _read(make_ctx, 0, 10, ["Muon_Pt"])
    assert err.value.code.id == "FF403"
    assert "Muon_Px" in (err.value.hint or "")


def test_write_toy_root_matches_the_generator(tmp_path: Path) -> None:
    path = toy_impl.write_toy_root(tmp_path / "toy.root", 3000, seed=5, chunk=1000)
    tree = uproot.open(path)["events"]
    assert tree.num_entries == 3000
    assert {"NMuon", "Muon_Px", "NJet", "Jet_btag", "EventWeight"} <= set(tree.keys())
    assert "nMuon" not in set(tree.keys())
    got = tree.arrays(["NMuon", "Muon_E", "Jet_Px", "triggerIsoMu24"], library="ak")
    want = toy_impl.generate(0, 3000, seed=5, fields=["NMuon", "Muon_E", "Jet_Px", "triggerIsoMu24"])
    for name in ("NMuon", "Muon_E", "Jet_Px", "triggerIsoMu24"):
        assert ak.to_list(got[name]) == ak.to_list(want[name]), name
