"""The ops upstream FAST-HEP has and ours lacked (LANGUAGE.md §9.8–9.19), each against a hand computation on the
real ``uproot-HZZ.root``: plain Python loops over the events, no awkward/vector code shared with the op."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep import (
    align_schema_impl,
    build_pairs_impl,
    choose_impl,
    clean_impl,
    lepton_met_impl,
    match_l1t_jets_impl,
    recoil_impl,
    weights_impl,
)
from fasthep_flow.ops.hep.root_tree_impl import read
from fasthep_flow.plan import Partition, SourcePlan

MakeCtx = Callable[..., RunContext]
BRANCHES = ["NMuon", "NJet", "NElectron", "EventWeight", "Muon_Px", "Muon_Py", "Muon_Pz"]
BRANCHES += ["Jet_Px", "Jet_Py", "Jet_Pz", "Electron_Px", "Electron_Py", "Electron_Pz"]


@pytest.fixture(scope="module")
def raw(shared_data_dir: Path) -> dict[str, list]:
    """The branches as Python lists: the hand computations' only input."""
    with uproot.open(shared_data_dir / "uproot-HZZ.root") as f:
        arrays = f["events"].arrays(BRANCHES, library="ak")
    return {name: ak.to_list(arrays[name]) for name in BRANCHES}


@pytest.fixture
def events(shared_data_dir: Path, make_ctx: MakeCtx) -> Events:
    path = str(shared_data_dir / "uproot-HZZ.root")
    return read(
        SourcePlan("events", "root_tree", {"tree": "events"}),
        Partition("zz", path, 0, None),
        BRANCHES,
        make_ctx(),
    )


def test_choose_takes_every_output_from_the_first_matching_case(
    events: Events, raw, make_ctx: MakeCtx
) -> None:
    params = {
        "cases": [
            {"name": "muons", "when": "NMuon >= 2", "values": {"N": "NMuon", "W": "EventWeight * 2"}},
            {"name": "jets", "when": "NJet >= 1", "values": {"N": "NJet + 100", "W": "EventWeight"}},
        ],
        "on_multiple": "first",
        "on_no_match": "default",
        "default": {"N": "-1", "W": "0"},
    }
    out = choose_impl.run(events, params, make_ctx()).events
    want_n, want_w = [], []
    for nmu, njet, w in zip(raw["NMuon"], raw["NJet"], raw["EventWeight"], strict=True):
        if nmu >= 2:
            want_n.append(nmu), want_w.append(2 * w)
        elif njet >= 1:
            want_n.append(njet + 100), want_w.append(w)
        else:
            want_n.append(-1), want_w.append(0.0)
    assert np.asarray(out["N"]).tolist() == want_n
    np.testing.assert_allclose(np.asarray(out["W"]), want_w, rtol=1e-6)
    assert len(set(want_n) & {-1}) and any(n > 100 for n in want_n)  # every branch of the choice is exercised


def test_choose_refuses_overlaps_gaps_and_clashes(events: Events, make_ctx: MakeCtx) -> None:
    overlap = {
        "cases": [{"when": "NMuon >= 1", "values": {"X": "1"}}, {"when": "NMuon >= 2", "values": {"X": "2"}}]
    }
    with pytest.raises(OpError, match="match several cases"):
        choose_impl.run(events, overlap, make_ctx())
    gap = {"cases": [{"when": "NMuon >= 2", "values": {"X": "1"}}]}
    with pytest.raises(OpError, match="match no case"):
        choose_impl.run(events, gap, make_ctx())
    uneven = {
        "cases": [{"when": "NMuon >= 2", "values": {"X": "1"}}, {"when": "NMuon < 2", "values": {"Y": "1"}}]
    }
    with pytest.raises(OpError, match="the cases together define"):
        choose_impl.run(events, uneven, make_ctx())
    clash = {"cases": [{"when": "NMuon >= 0", "values": {"NJet": "1"}}]}
    with pytest.raises(OpError, match="already fields"):
        choose_impl.run(events, clash, make_ctx())


def test_align_schema_renames_casts_and_projects(
    events: Events, raw, make_ctx: MakeCtx, tmp_path: Path
) -> None:
    schema = {"version": 1, "fields": {"nmu": {"source": "NMuon", "dtype": "float32"}, "EventWeight": None}}
    out = align_schema_impl.run(events, {"schema": schema, "keep": ["Jet_P*"]}, make_ctx()).events
    assert list(out.columns) == ["nmu", "EventWeight", "Jet_Px", "Jet_Py", "Jet_Pz"]
    assert out["nmu"].dtype == np.float32 and out["nmu"].tolist() == [float(n) for n in raw["NMuon"]]
    assert ak.to_list(out["Jet_Pz"]) == raw["Jet_Pz"]
    dropped = align_schema_impl.run(events, {"schema": schema, "drop": ["*_P?"]}, make_ctx()).events
    assert list(dropped.columns) == ["nmu", "EventWeight", "NMuon", "NJet", "NElectron"]
    only = align_schema_impl.run(events, {"schema": schema, "extra": "drop"}, make_ctx()).events
    assert list(only.columns) == ["nmu", "EventWeight"] and len(only) == len(raw["NMuon"])
    path = tmp_path / "schema.yaml"
    path.write_text("version: 1\nfields:\n  n: {source: NJet, dtype: int8}\n  gone: {source: Nope}\n")
    with pytest.raises(OpError, match="Nope"):
        align_schema_impl.run(events, {"schema": str(path)}, make_ctx())
    lenient = align_schema_impl.run(
        events, {"schema": str(path), "missing": "ignore", "extra": "drop"}, make_ctx()
    )
    assert list(lenient.events.columns) == ["n"] and lenient.events["n"].dtype == np.int8


def _pt_eta_phi(px: float, py: float, pz: float) -> tuple[float, float, float]:
    pt = math.hypot(px, py)
    return pt, math.asinh(pz / pt), math.atan2(py, px)


def test_match_l1t_jets_by_hand(events: Events, raw, make_ctx: MakeCtx) -> None:
    """Jets as the "reco" jets and muons as the "L1" ones: each jet's closest muon in ΔR, by hand."""
    ev = events.with_columns(
        {
            "Jet_Pt": np.sqrt(events["Jet_Px"] ** 2 + events["Jet_Py"] ** 2),
            "Jet_Phi": np.arctan2(events["Jet_Py"], events["Jet_Px"]),
            "Muon_Pt": np.sqrt(events["Muon_Px"] ** 2 + events["Muon_Py"] ** 2),
            "Muon_Phi": np.arctan2(events["Muon_Py"], events["Muon_Px"]),
        }
    )
    ev = ev.with_columns(
        {
            "Jet_Eta": np.arcsinh(ev["Jet_Pz"] / ev["Jet_Pt"]),
            "Muon_Eta": np.arcsinh(ev["Muon_Pz"] / ev["Muon_Pt"]),
        }
    )
    params = {
        "reco": {"et": "Jet_Pt", "eta": "Jet_Eta", "phi": "Jet_Phi"},
        "l1": {"et": "Muon_Pt", "eta": "Muon_Eta", "phi": "Muon_Phi"},
        "dr_max": 1.0,
    }
    out = match_l1t_jets_impl.run(ev, params, make_ctx()).events
    want = {"n": [], "reco": [], "l1": [], "nearest": []}
    for i in range(len(raw["NMuon"])):
        jets = [
            _pt_eta_phi(*p) for p in zip(raw["Jet_Px"][i], raw["Jet_Py"][i], raw["Jet_Pz"][i], strict=True)
        ]
        mus = [
            _pt_eta_phi(*p) for p in zip(raw["Muon_Px"][i], raw["Muon_Py"][i], raw["Muon_Pz"][i], strict=True)
        ]
        if not mus or not any(j[0] > 20 for j in jets):
            continue
        reco_et, l1_et, all_dr = [], [], []
        for jet in jets:
            drs = []
            for mu in mus:
                dphi = (jet[2] - mu[2] + math.pi) % (2 * math.pi) - math.pi
                drs.append(math.hypot(jet[1] - mu[1], dphi))
            all_dr.extend(drs)
            k = min(range(len(drs)), key=drs.__getitem__)
            if drs[k] <= 1.0:
                reco_et.append(jet[0]), l1_et.append(mus[k][0])
        want["n"].append(len(reco_et)), want["reco"].append(reco_et), want["l1"].append(l1_et)
        want["nearest"].append(min(all_dr))
    assert len(out) == len(want["n"]) > 100
    assert out["n_matched"].tolist() == want["n"] and sum(want["n"]) > 50
    flat = lambda lists: [x for xs in lists for x in xs]  # noqa: E731
    np.testing.assert_allclose(ak.flatten(out["matched_reco_et"]).tolist(), flat(want["reco"]), rtol=1e-5)
    np.testing.assert_allclose(ak.flatten(out["matched_l1_et"]).tolist(), flat(want["l1"]), rtol=1e-5)
    np.testing.assert_allclose(out["unmatched_dr"], want["nearest"], rtol=1e-5)
    assert len(set(np.round(out["unmatched_dr"], 6))) > 1  # per event, not one partition-wide number


def test_pdf_envelope_is_the_largest_and_smallest_weight(events: Events, raw, make_ctx: MakeCtx) -> None:
    params = {"inputs": "Muon_Pz", "outputs": {"up": "PdfUp", "down": "PdfDown"}}
    out = weights_impl.pdf_envelope(events, params, make_ctx()).events
    assert ak.to_list(out["PdfUp"]) == pytest.approx([max(v) if v else None for v in raw["Muon_Pz"]])
    assert ak.to_list(out["PdfDown"]) == pytest.approx([min(v) if v else None for v in raw["Muon_Pz"]])
    with pytest.raises(OpError, match="list of weights"):
        weights_impl.pdf_envelope(events, {"inputs": "NMuon", "outputs": {"up": "U"}}, make_ctx())


def test_lookup_csv_reads_half_open_bins(events: Events, raw, make_ctx: MakeCtx, tmp_path: Path) -> None:
    table = tmp_path / "sf.csv"
    table.write_text("n_min,n_max,sf,sf_up\n0,1,0.5,0.6\n1,2,0.9,1.0\n2,3,1.1,1.3\n3,100,2.0,2.5\n")
    params = {
        "path": str(table),
        "variable": "NMuon",
        "bins": {"column": "n"},
        "values": {"nominal": "sf", "up": "sf_up"},
        "outputs": {"nominal": "W", "up": "W_up"},
    }
    out = weights_impl.lookup_csv(events, params, make_ctx()).events
    nominal = {0: 0.5, 1: 0.9, 2: 1.1}
    up = {0: 0.6, 1: 1.0, 2: 1.3}
    assert out["W"].tolist() == [nominal.get(n, 2.0) for n in raw["NMuon"]]
    assert out["W_up"].tolist() == [up.get(n, 2.5) for n in raw["NMuon"]]
    table.write_text("pt_min,pt_max,sf\n0,2,1.0\n")  # default bin columns; NMuon >= 2 falls outside
    with pytest.raises(OpError, match="outside every bin"):
        weights_impl.lookup_csv(
            events, {**params, "bins": None, "values": {"n": "sf"}, "outputs": {"n": "W"}}, make_ctx()
        )


def test_clean_removes_jets_near_muons_by_hand(events: Events, raw, make_ctx: MakeCtx) -> None:
    cols = {}
    for c in ("Jet", "Muon", "Electron"):
        pt = np.sqrt(events[f"{c}_Px"] ** 2 + events[f"{c}_Py"] ** 2)
        cols[f"{c}_eta"] = np.arcsinh(events[f"{c}_Pz"] / pt)
        cols[f"{c}_phi"] = np.arctan2(events[f"{c}_Py"], events[f"{c}_Px"])
        cols[f"{c}_pt"] = pt
    ev = events.with_columns(cols)
    params = {
        "source": "Jet",
        "clean_against": ["Muon", "Electron"],
        "min_delta_r": 1.0,
        "sort_by": "pt",
        "diagnostics": {"keep_removed": True},
    }
    out = clean_impl.run(ev, params, make_ctx()).events
    want_pt, want_removed = [], []
    for i in range(len(raw["NJet"])):
        jets = [
            _pt_eta_phi(*p) for p in zip(raw["Jet_Px"][i], raw["Jet_Py"][i], raw["Jet_Pz"][i], strict=True)
        ]
        others = [
            _pt_eta_phi(*p)
            for c in ("Muon", "Electron")
            for p in zip(raw[f"{c}_Px"][i], raw[f"{c}_Py"][i], raw[f"{c}_Pz"][i], strict=True)
        ]
        kept = []
        for jet in jets:
            near = any(
                math.hypot(jet[1] - o[1], (jet[2] - o[2] + math.pi) % (2 * math.pi) - math.pi) < 1.0
                for o in others
            )
            if not near:
                kept.append(jet[0])
        want_pt.append(sorted(kept, reverse=True))
        want_removed.append(len(jets) - len(kept))
    got = ak.to_list(out["cleaned_Jet_pt"])
    assert [len(g) for g in got] == [len(w) for w in want_pt]
    np.testing.assert_allclose([x for g in got for x in g], [x for w in want_pt for x in w], rtol=1e-5)
    assert out["ncleaned_Jet"].tolist() == [len(w) for w in want_pt]
    assert out["nremoved_cleaned_Jet"].tolist() == want_removed and sum(want_removed) > 20
    assert ak.to_list(ak.num(out["cleaned_Jet_removed_eta"], axis=1)) == want_removed
    assert ak.to_list(out["Muon_eta"]) == ak.to_list(ev["Muon_eta"])  # targets untouched


def _with_kinematics(events: Events, collections: tuple[str, ...]) -> Events:
    cols: dict = {}
    for c in collections:
        px, py, pz = (events[f"{c}_P{k}"] for k in "xyz")
        pt = np.sqrt(px**2 + py**2)
        cols[f"{c}_pt"], cols[f"{c}_eta"], cols[f"{c}_phi"] = pt, np.arcsinh(pz / pt), np.arctan2(py, px)
        if f"{c}_E" in events:
            cols[f"{c}_mass"] = np.sqrt(np.maximum(events[f"{c}_E"] ** 2 - px**2 - py**2 - pz**2, 0))
        if f"{c}_Charge" in events:
            cols[f"{c}_charge"] = events[f"{c}_Charge"]
    return events.with_columns(cols)


def test_build_pairs_by_hand(shared_data_dir: Path, make_ctx: MakeCtx) -> None:
    """Opposite-charge muon/electron pairs above 40 GeV, sorted by distance to the Z mass, against loops over
    the four-momenta (E, p) as stored in the file."""
    branches = [f"{c}_{k}" for c in ("Muon", "Electron") for k in ("Px", "Py", "Pz", "E", "Charge")]
    path = str(shared_data_dir / "uproot-HZZ.root")
    source = SourcePlan("events", "root_tree", {"tree": "events"})
    events = _with_kinematics(
        read(source, Partition("zz", path, 0, None), branches, make_ctx()), ("Muon", "Electron")
    )
    params = {
        "collections": ["Muon", "Electron"],
        "output": "LL",
        "selection": {"pair": ["lepton_1_charge * lepton_2_charge < 0"], "candidate": ["mass > 40"]},
        "sort": {"by": "abs(mass - 91.2)", "order": "ascending"},
        "keep": {"candidate": ["mass", "pt"], "constituents": ["pt", "charge"]},
    }
    out = build_pairs_impl.run(events, params, make_ctx()).events
    raw = {b: ak.to_list(events[b]) for b in branches}
    want_n, want_mass, want_pt, want_l1 = [], [], [], []
    for i in range(len(events)):
        objs = [
            (
                raw[f"{c}_E"][i][k],
                raw[f"{c}_Px"][i][k],
                raw[f"{c}_Py"][i][k],
                raw[f"{c}_Pz"][i][k],
                raw[f"{c}_Charge"][i][k],
            )
            for c in ("Muon", "Electron")
            for k in range(len(raw[f"{c}_E"][i]))
        ]
        cands = []
        for a in range(len(objs)):
            for b in range(a + 1, len(objs)):
                if objs[a][4] * objs[b][4] >= 0:
                    continue
                e, px, py, pz = (objs[a][k] + objs[b][k] for k in range(4))
                mass = math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))
                if mass > 40:
                    cands.append(
                        (abs(mass - 91.2), mass, math.hypot(px, py), math.hypot(objs[a][1], objs[a][2]))
                    )
        cands.sort(key=lambda t: t[0])  # stable, as the op's sort
        want_n.append(len(cands))
        want_mass += [t[1] for t in cands]
        want_pt += [t[2] for t in cands]
        want_l1 += [t[3] for t in cands]
    assert out["nLL_Z"].tolist() == want_n and sum(want_n) > 500
    np.testing.assert_allclose(ak.flatten(out["LL_Z_mass"]).tolist(), want_mass, rtol=2e-4)
    np.testing.assert_allclose(ak.flatten(out["LL_Z_pt"]).tolist(), want_pt, rtol=2e-4)
    np.testing.assert_allclose(ak.flatten(out["LL_lepton_1_pt"]).tolist(), want_l1, rtol=2e-4)
    charges = ak.flatten(out["LL_lepton_1_charge"] * out["LL_lepton_2_charge"])
    assert ak.all(charges < 0)


@pytest.fixture
def lepton_events(shared_data_dir: Path, make_ctx: MakeCtx) -> Events:
    branches = [f"Muon_{k}" for k in ("Px", "Py", "Pz", "E", "Charge")] + ["MET_px", "MET_py"]
    path = str(shared_data_dir / "uproot-HZZ.root")
    events = read(
        SourcePlan("events", "root_tree", {"tree": "events"}),
        Partition("zz", path, 0, None),
        branches,
        make_ctx(),
    )
    events = _with_kinematics(events, ("Muon",))
    met_pt = np.hypot(events["MET_px"], events["MET_py"])
    return events.with_columns({"MET_pt": met_pt, "MET_phi": np.arctan2(events["MET_py"], events["MET_px"])})


def test_lepton_met_candidates_by_hand(lepton_events: Events, make_ctx: MakeCtx) -> None:
    params = {
        "lepton": "Muon",
        "met": "MET",
        "output": "Wmu",
        "selection": {"lepton": ["pt > 20"], "candidate": ["MT > 30"]},
        "keep": {"candidate": ["MT", "mass", "pt"], "lepton": ["pt", "charge"]},
    }
    out = lepton_met_impl.run(lepton_events, params, make_ctx()).events
    raw = {
        k: ak.to_list(lepton_events[k])
        for k in ("Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E", "MET_px", "MET_py")
    }
    n_lep, n_w, mt, mass, pt, lep_pt = [], [], [], [], [], []
    for i in range(len(lepton_events)):
        mx, my = raw["MET_px"][i], raw["MET_py"][i]
        met = math.hypot(mx, my)
        selected = 0
        for px, py, pz, e in zip(*(raw[f"Muon_{k}"][i] for k in ("Px", "Py", "Pz", "E")), strict=True):
            lpt = math.hypot(px, py)
            if lpt <= 20:
                continue
            selected += 1
            dphi = math.atan2(py, px) - math.atan2(my, mx)
            w_mt = math.sqrt(2 * lpt * met * (1 - math.cos(dphi)))
            if w_mt <= 30:
                continue
            m_l2 = max(e * e - px * px - py * py - pz * pz, 0.0)
            e_l = math.sqrt(lpt**2 + pz**2 + m_l2)  # the lepton's energy from (pt, eta, phi, mass), as the op
            m2 = (e_l + met) ** 2 - (px + mx) ** 2 - (py + my) ** 2 - pz**2
            mt.append(w_mt), mass.append(math.sqrt(max(m2, 0.0))), pt.append(math.hypot(px + mx, py + my))
            lep_pt.append(lpt)
        n_lep.append(selected)
        n_w.append(len(mt) - sum(n_w))
    assert out["nWmu_lepton"].tolist() == n_lep
    assert out["nWmu_W"].tolist() == n_w and 200 < sum(n_w) < sum(n_lep)
    np.testing.assert_allclose(ak.flatten(out["Wmu_W_MT"]).tolist(), mt, rtol=1e-4)
    np.testing.assert_allclose(ak.flatten(out["Wmu_W_mass"]).tolist(), mass, rtol=1e-3)
    np.testing.assert_allclose(ak.flatten(out["Wmu_W_pt"]).tolist(), pt, rtol=1e-4)
    np.testing.assert_allclose(ak.flatten(out["Wmu_lepton_pt"]).tolist(), lep_pt, rtol=1e-5)


def test_recoil_against_muons_by_hand(lepton_events: Events, make_ctx: MakeCtx) -> None:
    params = {
        "met": "MET",
        "visible": ["Muon"],
        "output": "Recoil",
        "selection": ["pt > 10"],
        "keep": ["pt", "phi"],
    }
    out = recoil_impl.run(lepton_events, params, make_ctx()).events
    raw = {k: ak.to_list(lepton_events[k]) for k in ("Muon_Px", "Muon_Py", "MET_px", "MET_py")}
    counts, best_pt, best_phi = [], [], []
    for i in range(len(lepton_events)):
        cands = []
        for px, py in zip(raw["Muon_Px"][i], raw["Muon_Py"][i], strict=True):
            rx, ry = raw["MET_px"][i] + px, raw["MET_py"][i] + py
            if math.hypot(rx, ry) > 10:
                cands.append((math.hypot(rx, ry), math.atan2(ry, rx)))
        counts.append(len(cands))
        if cands:
            top = max(cands, key=lambda c: c[0])
            best_pt.append(top[0]), best_phi.append(top[1])
    assert out["nRecoil"].tolist() == counts and sum(counts) > 1000
    assert ak.to_list(ak.num(out["Recoil_pt"], axis=1)) == [min(c, 1) for c in counts]
    np.testing.assert_allclose(ak.flatten(out["Recoil_pt"]).tolist(), best_pt, rtol=1e-5)
    np.testing.assert_allclose(ak.flatten(out["Recoil_phi"]).tolist(), best_phi, rtol=1e-5, atol=1e-6)
    met_only = recoil_impl.run(
        lepton_events, {"met": "MET", "output": "R", "keep": ["pt"]}, make_ctx()
    ).events
    assert met_only["nR"].tolist() == [1] * len(lepton_events)
    np.testing.assert_allclose(ak.flatten(met_only["R_pt"]).tolist(), lepton_events["MET_pt"], rtol=1e-6)
