"""``hep.four_vectors``, ``hep.combinations``, ``hep.pick``, ``hep.vary`` on the real CMS NanoAOD file, each
checked against a computation written out by hand (per event, with ``math`` and ``itertools``)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep import combinations_impl, four_vectors_impl, pick_impl, vary_impl
from fasthep_flow.ops.hep.momenta import QUANTITIES

MakeCtx = Callable[..., RunContext]
JET = ("pt", "eta", "phi", "mass", "btagCSVV2")


@pytest.fixture(scope="module")
def jets(shared_data_dir: Path) -> Events:
    tree = uproot.open(shared_data_dir / "nanoAOD_2015_CMS_Open_Data_ttbar.root")["Events"]
    arrays = tree.arrays([f"Jet_{f}" for f in JET] + ["event"], how=dict)
    return Events(arrays)


def _p4(pt: float, eta: float, phi: float, mass: float) -> tuple[float, float, float, float]:
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return px, py, pz, math.sqrt(px * px + py * py + pz * pz + mass * mass)


def _mass(px: float, py: float, pz: float, e: float) -> float:
    return math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))


def _objects(events: Events, prefix: str, i: int) -> list[dict[str, float]]:
    return [
        dict(zip(JET, values, strict=True))
        for values in zip(*(events[f"{prefix}_{f}"][i] for f in JET), strict=True)
    ]


def test_four_vectors_px_py_pz_e_from_pt_eta_phi_mass(jets: Events, make_ctx: MakeCtx) -> None:
    out = four_vectors_impl.run(jets, {"collection": "Jet"}, make_ctx()).events
    assert out is not None
    checked = 0
    for i in range(len(jets)):
        for j, obj in enumerate(_objects(jets, "Jet", i)):
            want = _p4(obj["pt"], obj["eta"], obj["phi"], obj["mass"])
            got = [out[f"Jet_{c}"][i][j] for c in ("px", "py", "pz", "E")]
            assert got == pytest.approx(want, rel=1e-5, abs=1e-4)
            checked += 1
    assert checked == ak.sum(ak.num(jets["Jet_pt"])) > 500


def test_four_vectors_round_trip_from_cartesian(jets: Events, make_ctx: MakeCtx) -> None:
    """Mass and pt read back from px/py/pz/E equal the file's (the `inputs` map names other coordinates)."""
    cart = four_vectors_impl.run(jets, {"collection": "Jet", "output": "J"}, make_ctx()).events
    assert cart is not None
    back = four_vectors_impl.run(
        cart,
        {
            "collection": "J",
            "output": "Back",
            "inputs": {"px": "px", "py": "py", "pz": "pz", "E": "E"},
            "outputs": ["pt", "mass"],
        },
        make_ctx(),
    ).events
    assert back is not None
    flat = ak.flatten(jets["Jet_pt"])
    assert np.allclose(ak.flatten(back["Back_pt"]), flat, rtol=1e-5)
    assert np.allclose(ak.flatten(back["Back_mass"]), ak.flatten(jets["Jet_mass"]), rtol=1e-4, atol=1e-3)


def test_four_vectors_every_quantity(jets: Events, make_ctx: MakeCtx) -> None:
    params = {"collection": "Jet", "outputs": list(QUANTITIES)}
    out = four_vectors_impl.run(jets, params, make_ctx()).events
    assert out is not None
    flat = {q: ak.to_numpy(ak.flatten(out[f"Jet_{q}"])) for q in QUANTITIES}
    assert np.allclose(flat["p"], np.sqrt(flat["px"] ** 2 + flat["py"] ** 2 + flat["pz"] ** 2))
    assert np.allclose(
        flat["rapidity"], 0.5 * np.log((flat["E"] + flat["pz"]) / (flat["E"] - flat["pz"])), atol=1e-6
    )
    assert np.allclose(flat["mt"], np.sqrt(flat["E"] ** 2 - flat["pz"] ** 2))
    assert np.allclose(flat["Et"], flat["E"] * flat["pt"] / flat["p"])


def test_four_vectors_rejects_a_bad_coordinate(jets: Events, make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="'ptt' is not a four-vector coordinate"):
        four_vectors_impl.run(
            jets,
            {"collection": "Jet", "inputs": {"ptt": "pt", "eta": "eta", "phi": "phi", "mass": "mass"}},
            make_ctx(),
        )


def test_trijets_of_masked_jets_equal_a_hand_loop(jets: Events, make_ctx: MakeCtx) -> None:
    central = jets["Jet_pt"] > 20
    events = jets.with_columns({"Central": central})
    params = {
        "collection": "Jet",
        "k": 3,
        "output": "Trijet",
        "mask": "Central",
        "outputs": ["pt", "mass"],
        "members": {"max": ["btagCSVV2"], "sum": ["pt"]},
    }
    out = combinations_impl.run(events, params, make_ctx()).events
    assert out is not None
    n_combos = 0
    for i in range(len(jets)):
        chosen = [o for o in _objects(jets, "Jet", i) if o["pt"] > 20]
        combos = list(itertools.combinations(chosen, 3))
        assert out["nTrijet"][i] == len(combos) == len(out["Trijet_pt"][i])
        for c, members in enumerate(combos):
            total = [
                sum(parts)
                for parts in zip(*(_p4(m["pt"], m["eta"], m["phi"], m["mass"]) for m in members), strict=True)
            ]
            assert out["Trijet_pt"][i][c] == pytest.approx(math.hypot(total[0], total[1]), rel=1e-5)
            assert out["Trijet_mass"][i][c] == pytest.approx(_mass(*total), rel=1e-4)
            assert out["Trijet_max_btagCSVV2"][i][c] == max(m["btagCSVV2"] for m in members)
            assert out["Trijet_sum_pt"][i][c] == pytest.approx(sum(m["pt"] for m in members), rel=1e-6)
        n_combos += len(combos)
    assert n_combos > 50  # the file has events with enough jets for this to test something


def test_combinations_need_k_at_least_two(jets: Events, make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="at least 2"):
        combinations_impl.run(jets, {"collection": "Jet", "k": 1, "output": "J"}, make_ctx())


def test_pick_largest_and_smallest_with_a_mask(jets: Events, make_ctx: MakeCtx) -> None:
    tagged = jets["Jet_btagCSVV2"] > 0.2
    events = jets.with_columns({"Tagged": tagged})
    params = {"collection": "Jet", "by": "pt", "output": "Best", "keep": ["pt", "eta"], "mask": "Tagged"}
    best = pick_impl.run(events, params, make_ctx()).events
    worst = pick_impl.run(events, {**params, "order": "min", "output": "Worst"}, make_ctx()).events
    assert best is not None and worst is not None
    missing = 0
    for i in range(len(jets)):
        chosen = [o for o in _objects(jets, "Jet", i) if o["btagCSVV2"] > 0.2]
        if not chosen:
            assert best["Best_pt"][i] is None and worst["Worst_eta"][i] is None
            missing += 1
            continue
        top = max(chosen, key=lambda o: o["pt"])
        low = min(chosen, key=lambda o: o["pt"])
        assert (best["Best_pt"][i], best["Best_eta"][i]) == (top["pt"], top["eta"])
        assert (worst["Worst_pt"][i], worst["Worst_eta"][i]) == (low["pt"], low["eta"])
    assert 0 < missing < len(jets)


def test_vary_stacks_nominal_then_shifted_copies(jets: Events, make_ctx: MakeCtx) -> None:
    params = {"variations": {"up": {"Jet_pt": "Jet_pt * 1.03"}, "down": {"Jet_pt": "Jet_pt * 0.97"}}}
    out = vary_impl.run(jets, params, make_ctx()).events
    assert out is not None
    n = len(jets)
    assert len(out) == 3 * n
    assert out["variation"].tolist() == ["nominal"] * n + ["up"] * n + ["down"] * n
    pt = ak.to_list(jets["Jet_pt"])
    assert ak.to_list(out["Jet_pt"][:n]) == pt
    assert ak.all(ak.num(out["Jet_pt"][n:], axis=1) == np.tile(ak.num(jets["Jet_pt"], axis=1), 2))
    flat = ak.to_numpy(ak.flatten(jets["Jet_pt"]))
    assert np.allclose(ak.flatten(out["Jet_pt"][n : 2 * n]), flat * 1.03, rtol=1e-6)
    assert np.allclose(ak.flatten(out["Jet_pt"][2 * n :]), flat * 0.97, rtol=1e-6)
    assert ak.to_list(out["Jet_eta"][2 * n :]) == ak.to_list(jets["Jet_eta"])  # untouched fields copied
    assert out["event"].tolist() == jets["event"].tolist() * 3


def test_vary_names_an_unknown_field(jets: Events, make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="'Jet_ptt'") as err:
        vary_impl.run(jets, {"variations": {"up": {"Jet_ptt": "Jet_pt"}}}, make_ctx())
    assert "Jet_pt" in (err.value.hint or "")
