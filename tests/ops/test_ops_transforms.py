"""``hep.define``, ``hep.selection.flag``, ``hep.project_fields``, ``hep.select_objects``, ``hep.di_object_mass``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep import (
    define_impl,
    di_object_mass_impl,
    flag_impl,
    project_fields_impl,
    select_objects_impl,
)

MakeCtx = Callable[..., RunContext]

MUONS = Events(
    {
        "Muon_pt": ak.Array([[10.0, 40.0, 25.0], [], [35.0], [50.0, 5.0]]),
        "Muon_eta": ak.Array([[0.1, -2.0, 1.0], [], [2.6], [0.0, 0.3]]),
        "Muon_iso": ak.Array([[0.05, 0.2, 0.01], [], [0.0], [0.3, 0.02]]),
        "HT": np.array([100.0, 0.0, 50.0, 80.0]),
    }
)


def test_define_in_order_with_reduce_dtype_and_scalars(make_ctx: MakeCtx) -> None:
    params = {
        "variables": [
            {"name": "Good", "expr": "(Muon_pt > cut) & (abs(Muon_eta) < 2.4)"},
            {"name": "NGood", "reduce": {"op": "count_nonzero", "over": "Good"}},
            {"name": "MaxPt", "reduce": {"op": "max", "over": "Muon_pt[Good]"}},
            {"name": "HT32", "expr": "HT / 2", "dtype": "float32"},
            {"name": "One", "expr": 1},
        ]
    }
    out = define_impl.run(MUONS, params, make_ctx(globals={"cut": 20})).events
    assert ak.to_list(out["Good"]) == [[False, True, True], [], [False], [True, False]]
    assert out["NGood"].tolist() == [2, 0, 0, 1]
    assert ak.to_list(out["MaxPt"]) == [40.0, None, None, 50.0]
    assert out["HT32"].dtype == np.float32 and out["HT32"].tolist() == [50.0, 0.0, 25.0, 40.0]
    assert out["One"].tolist() == [1, 1, 1, 1]
    assert "Muon_pt" in out and len(out) == 4


def test_define_missing_field_names_the_closest(make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError) as err:
        define_impl.run(MUONS, {"variables": [{"name": "x", "expr": "Muon_Pt * 2"}]}, make_ctx())
    assert err.value.code.id == "FF403" and "'Muon_pt'" in (err.value.hint or "")


def test_define_bad_dtype(make_ctx: MakeCtx) -> None:
    with pytest.raises(OpError, match="dtype 'object'"):
        define_impl.run(MUONS, {"variables": [{"name": "x", "expr": "HT", "dtype": "object"}]}, make_ctx())


def test_flag_ands_expressions_and_filters_nothing(make_ctx: MakeCtx) -> None:
    params = {"selection": ["HT > 10", "num(Muon_pt) >= 1", "any(Muon_pt > 45)"]}
    out = flag_impl.run(MUONS, params, make_ctx(stage="HasHard")).events
    assert out["HasHard"].tolist() == [False, False, False, True] and len(out) == 4
    single = flag_impl.run(MUONS, {"selection": "HT > 60", "output": "busy"}, make_ctx()).events
    assert single["busy"].tolist() == [True, False, False, True]


def test_project_fields(make_ctx: MakeCtx) -> None:
    out = project_fields_impl.run(MUONS, {"aliases": {"pt": "Muon_pt", "ht": "HT"}}, make_ctx()).events
    assert set(out.columns) == {"Muon_pt", "Muon_eta", "Muon_iso", "HT", "pt", "ht"}
    only = project_fields_impl.run(
        MUONS, {"aliases": {"ht": "HT"}, "include_existing": False}, make_ctx()
    ).events
    assert list(only.columns) == ["ht"] and len(only) == 4
    with pytest.raises(OpError, match="'HTT'"):
        project_fields_impl.run(MUONS, {"aliases": {"x": "HTT"}}, make_ctx())


def test_select_objects_relative_names_sort_count_and_derived(make_ctx: MakeCtx) -> None:
    params = {
        "collection": "Muon",
        "output": "Good",
        "keep": ["pt", "eta"],
        "selection": ["pt > min_pt", "abs(eta) < 2.4"],
        "derived": {"rel": "iso * pt"},
    }
    out = select_objects_impl.run(MUONS, params, make_ctx(globals={"min_pt": 20})).events
    assert ak.to_list(out["Good_pt"]) == [[40.0, 25.0], [], [], [50.0]]
    assert ak.to_list(out["Good_eta"]) == [[-2.0, 1.0], [], [], [0.0]]
    assert [[round(v, 6) for v in e] for e in ak.to_list(out["Good_rel"])] == [[8.0, 0.25], [], [], [15.0]]
    assert out["nGood"].tolist() == [2, 0, 0, 1] and out["nGood"].dtype == np.int64


def test_select_objects_ascending_and_unsorted(make_ctx: MakeCtx) -> None:
    base = {"collection": "Muon", "output": "M", "keep": ["pt", "iso"]}
    asc = select_objects_impl.run(
        MUONS, {**base, "sort": {"by": "iso", "order": "ascending"}}, make_ctx()
    ).events
    assert ak.to_list(asc["M_iso"]) == [[0.01, 0.05, 0.2], [], [0.0], [0.02, 0.3]]
    assert ak.to_list(asc["M_pt"]) == [[25.0, 10.0, 40.0], [], [35.0], [5.0, 50.0]]
    stored = select_objects_impl.run(MUONS, {**base, "sort": False}, make_ctx()).events
    assert ak.to_list(stored["M_pt"]) == ak.to_list(MUONS["Muon_pt"])
    assert stored["nM"].tolist() == [3, 0, 1, 2]
    no_pt = {"collection": "Muon", "output": "M", "keep": ["iso"], "sort": {}}  # upstream's "no sorting"
    unsorted = select_objects_impl.run(MUONS, no_pt, make_ctx()).events
    assert ak.to_list(unsorted["M_iso"]) == ak.to_list(MUONS["Muon_iso"])


def test_select_objects_missing_fields(make_ctx: MakeCtx) -> None:
    params = {"collection": "Muon", "output": "M", "keep": ["pt", "phi"], "sort": False}
    with pytest.raises(OpError, match="Muon_phi"):
        select_objects_impl.run(MUONS, params, make_ctx())
    out = select_objects_impl.run(MUONS, {**params, "missing_fields": "ignore"}, make_ctx()).events
    assert "M_pt" in out and "M_phi" not in out
    with pytest.raises(OpError, match="cannot sort by 'Pt'"):
        select_objects_impl.run(MUONS, {**params, "keep": ["pt"], "sort": {"by": "Pt"}}, make_ctx())


def test_select_objects_on_nanoaod(shared_data_dir: Path, make_ctx: MakeCtx) -> None:
    arrays = uproot.open(shared_data_dir / "nanoAOD_2015_CMS_Open_Data_ttbar.root")["Events"].arrays(
        ["nMuon", "Muon_pt", "Muon_eta", "Muon_charge"], library="ak"
    )
    events = Events({name: arrays[name] for name in arrays.fields})
    params = {
        "collection": "Muon",
        "output": "Sel",
        "keep": ["pt", "charge"],
        "selection": ["pt > 20", "abs(eta) < 2.1"],
    }
    out = select_objects_impl.run(events, params, make_ctx()).events
    for i in range(len(arrays)):
        pts = np.asarray(arrays["Muon_pt"][i])
        etas = np.asarray(arrays["Muon_eta"][i])
        charges = np.asarray(arrays["Muon_charge"][i])
        keep = (pts > 20) & (np.abs(etas) < 2.1)
        order = np.argsort(-pts[keep], kind="stable")
        assert ak.to_list(out["Sel_pt"][i]) == pts[keep][order].tolist()
        assert ak.to_list(out["Sel_charge"][i]) == charges[keep][order].tolist()
        assert out["nSel"][i] == keep.sum()
    assert 0 < out["nSel"].sum() < ak.sum(arrays["nMuon"])


def test_di_object_mass_takes_the_first_two_passing_objects(make_ctx: MakeCtx) -> None:
    events = Events(
        {
            "Lep_Px": ak.Array([[3.0, -3.0, 100.0], [1.0], [0.0, 0.0]]),
            "Lep_Py": ak.Array([[0.0, 0.0, 0.0], [0.0], [4.0, -4.0]]),
            "Lep_Pz": ak.Array([[4.0, 4.0, 0.0], [0.0], [0.0, 0.0]]),
            "Lep_E": ak.Array([[5.0, 5.0, 100.0], [1.0], [5.0, 5.0]]),
            "ok": ak.Array([[True, False, True], [True], [True, True]]),
        }
    )
    out = di_object_mass_impl.run(events, {"collection": "Lep", "out_var": "M"}, make_ctx()).events
    # (5+5)^2 - (0)^2 - (8)^2 = 36 -> 6; second event has one object; third: 10^2 - 0 = 100 -> 10
    got = np.asarray(out["M"])  # one float per event; NaN (as upstream) for the event with one object
    assert got[0] == 6.0 and np.isnan(got[1]) and got[2] == 10.0
    masked = di_object_mass_impl.run(events, {"collection": "Lep", "mask": "ok"}, make_ctx()).events
    # first and third stored passing objects: (105, 103, 0, 4) -> sqrt(105^2 - 103^2 - 16)
    assert ak.to_list(masked["DiMuon_Mass"])[0] == pytest.approx(np.sqrt(105**2 - 103**2 - 16))
    with pytest.raises(OpError, match="Muon_Px"):
        di_object_mass_impl.run(events, {}, make_ctx())
