"""The AGC ttbar example equals a hand-written uproot + awkward + vector + hist computation, bin for bin, on the
real NanoAOD file (where nothing passes) and on a small input made by the benchmark's generator (where events
pass in both regions)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import awkward as ak
import hist
import numpy as np
import uproot
import vector

import fasthep_flow

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "agc_ttbar" / "agc_ttbar.flow.yaml"
WEIGHT = 729.84 * 3378 / 200  # xsec × lumi / nevts_total, the example's globals
VARIATIONS = {"nominal": 1.0, "pt_scale_up": 1.03}
BRANCHES = [
    *(f"Electron_{f}" for f in ("pt", "eta", "cutBased", "sip3d")),
    *(f"Muon_{f}" for f in ("pt", "eta", "tightId", "sip3d", "pfRelIso04_all")),
    *(f"Jet_{f}" for f in ("pt", "eta", "phi", "mass", "btagCSVV2", "jetId")),
]


def _empty() -> hist.Hist:
    return hist.Hist(
        hist.axis.Regular(25, 50, 550, name="observable"),
        hist.axis.StrCategory(list(VARIATIONS), name="variation"),
        storage=hist.storage.Weight(),
    )


def reference(paths: Sequence[Path]) -> dict[str, hist.Hist]:
    """The AGC selection and observables written out directly, coffea-style, with no fasthep-flow code."""
    vector.register_awkward()
    out = {"4j1b": _empty(), "4j2b": _empty()}
    for path in paths:
        ev = uproot.open(path)["Events"].arrays(BRANCHES, how=dict)
        electrons = (
            (ev["Electron_pt"] > 30)
            & (abs(ev["Electron_eta"]) < 2.1)
            & (ev["Electron_cutBased"] == 4)
            & (ev["Electron_sip3d"] < 4)
        )
        muons = (
            (ev["Muon_pt"] > 30)
            & (abs(ev["Muon_eta"]) < 2.1)
            & ev["Muon_tightId"]
            & (ev["Muon_sip3d"] < 4)
            & (ev["Muon_pfRelIso04_all"] < 0.15)
        )
        one_lepton = (ak.sum(electrons, axis=1) + ak.sum(muons, axis=1)) == 1
        for variation, scale in VARIATIONS.items():
            pt = ev["Jet_pt"] * scale if scale != 1.0 else ev["Jet_pt"]
            good = (pt > 30) & (abs(ev["Jet_eta"]) < 2.4) & ((ev["Jet_jetId"] & 4) != 0)
            jets = ak.zip(
                {
                    "pt": ak.values_astype(pt, np.float64),
                    "eta": ak.values_astype(ev["Jet_eta"], np.float64),
                    "phi": ak.values_astype(ev["Jet_phi"], np.float64),
                    "mass": ak.values_astype(ev["Jet_mass"], np.float64),
                    "btag": ev["Jet_btagCSVV2"],
                    "pt32": pt,
                },
                with_name="Momentum4D",
            )[good]
            selected = one_lepton & (ak.num(jets, axis=1) >= 4)
            n_b = ak.sum(jets.btag > 0.5, axis=1)
            ht = ak.sum(jets.pt32[selected & (n_b == 1)], axis=1)
            out["4j1b"].fill(ak.to_numpy(ht), variation, weight=WEIGHT)
            trijet = ak.combinations(jets[selected & (n_b >= 2)], 3, fields=["j1", "j2", "j3"])
            p4 = trijet.j1 + trijet.j2 + trijet.j3
            max_btag = np.maximum(trijet.j1.btag, np.maximum(trijet.j2.btag, trijet.j3.btag))
            p4 = p4[max_btag > 0.5]
            best = ak.argmax(p4.pt, axis=1, keepdims=True)
            mass = ak.flatten(p4[best].mass)
            out["4j2b"].fill(ak.to_numpy(ak.drop_none(mass)), variation, weight=WEIGHT)
    return out


def _bench_input() -> ModuleType:
    spec = importlib.util.spec_from_file_location("agc_input", REPO / "benchmarks" / "agc_input.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_example(files: Sequence[Path], executor: str = "serial") -> dict[str, hist.Hist]:
    listed = ",".join(str(f) for f in files)
    overrides = [
        f"data.datasets[ttbar].files=[{listed}]",
        "analysis.stages[4j1b].render=[]",  # plots are not what is compared here
        "analysis.stages[4j2b].render=[]",
    ]
    result = fasthep_flow.load(EXAMPLE, overrides).run(executor, chunk_size=250)
    return {name: result.hists[name] for name in ("4j1b", "4j2b")}


def _assert_same(ours: hist.Hist, ref: hist.Hist) -> None:
    assert [a.name for a in ours.axes] == ["observable", "variation"]
    assert list(ours.axes["variation"]) == list(VARIATIONS)
    assert np.array_equal(ours.axes[0].edges, ref.axes[0].edges)
    np.testing.assert_allclose(ours.values(flow=True), ref.values(flow=True), rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours.variances(flow=True), ref.variances(flow=True), rtol=1e-12, atol=0)


def test_agc_example_on_the_real_file_is_empty_like_the_reference(shared_data_dir: Path) -> None:
    real = shared_data_dir / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    ours, ref = _run_example([real]), reference([real])
    for name in ("4j1b", "4j2b"):
        _assert_same(ours[name], ref[name])
        assert ours[name].sum(flow=True).value == 0  # as the issue says: no event of this file passes


def test_agc_example_on_a_generated_input_equals_the_reference(tmp_path: Path) -> None:
    # Only the branches the analysis reads (and one it does not), so that writing the input stays fast.
    files = _bench_input().generate(tmp_path, n_events=600, n_files=2, seed=7, only=[*BRANCHES, "MET_pt"])
    ours, ref = _run_example(files), reference(files)
    for name in ("4j1b", "4j2b"):
        _assert_same(ours[name], ref[name])
        for variation in VARIATIONS:
            assert ref[name][:, variation].sum(flow=True).value > 0  # both regions, both variations filled
    nominal, up = (ours["4j1b"][:, v].values() for v in VARIATIONS)
    assert not np.array_equal(nominal, up)  # HT of the shifted jets is recomputed, not copied


def test_agc_example_with_two_process_workers_equals_the_reference(tmp_path: Path) -> None:
    """Partitions of 250 events in two worker processes: the variation labels travel and the products add up."""
    files = _bench_input().generate(tmp_path, n_events=600, n_files=1, seed=11, only=[*BRANCHES, "MET_pt"])
    ours, ref = _run_example(files, "processes"), reference(files)
    for name in ("4j1b", "4j2b"):
        _assert_same(ours[name], ref[name])
        assert ref[name].sum(flow=True).value > 0
