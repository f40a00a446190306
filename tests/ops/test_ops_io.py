"""Sinks and sources round-trip: ROOT (TTree and RNTuple, every compression) and Parquet, read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from fasthep_flow.ops.contract import Events, RunContext
from fasthep_flow.ops.core import parquet_impl, toy_impl
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.hep import observers_impl, root_tree_impl
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan

MakeCtx = Callable[..., RunContext]


@pytest.fixture
def stream() -> Events:
    cols = toy_impl.generate(
        0, 500, seed=3, fields=["NMuon", "Muon_Px", "Muon_Py", "Muon_Charge", "EventWeight"]
    )
    cols["Sel.dimuon"] = cols["NMuon"] >= 2
    cols["Mass"] = ak.Array([None if n < 2 else float(n) for n in cols["NMuon"]])
    return Events(cols)


@pytest.mark.parametrize("fmt", ["ttree", "rntuple"])
@pytest.mark.parametrize("compression", ["zlib", "lz4", "zstd", "none"])
def test_root_sink_round_trip(
    tmp_path: Path, make_ctx: MakeCtx, stream: Events, fmt: str, compression: str
) -> None:
    target = tmp_path / "out" / "skim.root"
    params = {"path": str(target), "format": fmt, "compression": compression, "compression_level": 3}
    assert root_tree_impl.write(stream, params, make_ctx()) == [target]
    assert not [p for p in target.parent.iterdir() if p.name != "skim.root"]  # no temporary left behind
    with uproot.open(target) as f:
        assert f.classnames()["events;1"] == ("TTree" if fmt == "ttree" else "ROOT::RNTuple")
        got = f["events"].arrays(library="ak")
        assert f["events"].num_entries == 500
        assert "Sel.dimuon" in f["events"].keys()  # noqa: SIM118 - uproot's keys()
    for name in ("NMuon", "Muon_Px", "Muon_Charge", "EventWeight"):
        assert ak.to_list(got[name]) == ak.to_list(stream[name]), name
    # A cutflow's flag: a flat dotted branch in a TTree, a record `Sel` with member `dimuon` in an RNTuple,
    # which is how upstream writes it (LANGUAGE.md §9.2, probe t08).
    flag = got["Sel.dimuon"] if fmt == "ttree" else got["Sel"]["dimuon"]
    assert ak.to_list(flag) == ak.to_list(stream["Sel.dimuon"])
    if fmt == "rntuple":
        assert "Sel" in got.fields and "Sel.dimuon" not in got.fields
    mass = ak.to_numpy(got["Mass"])
    assert np.isnan(mass[stream["NMuon"] < 2]).all()  # missing values become NaN in ROOT
    np.testing.assert_array_equal(mass[stream["NMuon"] >= 2], stream["NMuon"][stream["NMuon"] >= 2])


def test_ttree_groups_jagged_branches_under_the_streams_counter(
    tmp_path: Path, make_ctx: MakeCtx, stream: Events
):
    target = tmp_path / "t.root"
    keep = ["NMuon", "Muon_Px", "Muon_Py", "EventWeight"]
    root_tree_impl.write(
        stream, {"path": str(target), "format": "ttree", "keep": keep, "tree": "Skim"}, make_ctx()
    )
    tree = uproot.open(target)["Skim"]
    assert sorted(tree.keys()) == sorted(keep)
    assert tree["Muon_Px"].count_branch.name == "NMuon"
    # The written file is readable by the root_tree source, as a workflow input.
    source = SourcePlan("skim", "root_tree", {"tree": "Skim"})
    back = root_tree_impl.read(source, Partition("d", str(target), 10, 20), ["Muon_Py"], make_ctx())
    assert ak.to_list(back["Muon_Py"]) == ak.to_list(stream["Muon_Py"][10:20])


def test_sink_keep_names_a_missing_field(tmp_path: Path, make_ctx: MakeCtx, stream: Events) -> None:
    with pytest.raises(OpError, match="'Muon_Pt'") as err:
        root_tree_impl.write(stream, {"path": str(tmp_path / "x.root"), "keep": ["Muon_Pt"]}, make_ctx())
    assert err.value.code.id == "FF403"
    assert not list(tmp_path.iterdir())


def test_missing_branches_error_or_ignore(tmp_path: Path, make_ctx: MakeCtx) -> None:
    path = toy_impl.write_toy_root(tmp_path / "toy.root", 100, seed=1)
    strict = SourcePlan("events", "root_tree", {"tree": "events"})
    with pytest.raises(OpError) as err:
        root_tree_impl.read(strict, Partition("d", str(path), 0, 100), ["NMuon", "Muon_pt"], make_ctx())
    assert err.value.code.id == "FF403"
    assert "'Muon_pt'" in err.value.message and "'Muon_Py'" in (err.value.hint or "")
    lenient = SourcePlan("events", "root_tree", {"tree": "events", "missing_branches": "ignore"})
    events = root_tree_impl.read(lenient, Partition("d", str(path), 0, 100), ["NMuon", "Muon_pt"], make_ctx())
    assert list(events.columns) == ["NMuon"] and len(events) == 100


def test_unreadable_inputs_are_input_errors(tmp_path: Path, make_ctx: MakeCtx) -> None:
    source = SourcePlan("events", "root_tree", {"tree": "events"})
    with pytest.raises(OpError) as err:
        root_tree_impl.entries(source, str(tmp_path / "nope.root"), DatasetPlan("d"))
    assert err.value.code.id == "FF404"
    path = toy_impl.write_toy_root(tmp_path / "toy.root", 10)
    with pytest.raises(OpError, match="no tree or RNTuple 'Events'") as err:
        root_tree_impl.entries(SourcePlan("e", "root_tree", {"tree": "Events"}), str(path), DatasetPlan("d"))
    assert "'events'" in (err.value.hint or "")
    (tmp_path / "text.root").write_text("not root")
    with pytest.raises(OpError) as err:
        root_tree_impl.entries(source, str(tmp_path / "text.root"), DatasetPlan("d"))
    assert err.value.code.id == "FF404"


def test_parquet_round_trip_by_row_groups(tmp_path: Path, make_ctx: MakeCtx, stream: Events) -> None:
    target = tmp_path / "skim.parquet"
    keep = ["NMuon", "Muon_Px", "EventWeight", "Mass"]
    assert parquet_impl.write(stream, {"path": str(target), "keep": keep}, make_ctx()) == [target]
    source = SourcePlan("tab", "parquet")
    assert parquet_impl.entries(source, str(target), DatasetPlan("d")) == 500
    back = parquet_impl.read(
        source, Partition("d", str(target), 120, 380), ["Muon_Px", "NMuon", "Mass"], make_ctx()
    )
    assert len(back) == 260 and isinstance(back["NMuon"], np.ndarray)
    assert ak.to_list(back["Muon_Px"]) == ak.to_list(stream["Muon_Px"][120:380])
    assert ak.to_list(back["Mass"]) == ak.to_list(stream["Mass"][120:380])  # None survives in Parquet

    # Several row groups: only the overlapping ones are read, the range is exact.
    many = tmp_path / "many.parquet"
    ak.to_parquet(ak.zip({"i": np.arange(1000)}), many, row_group_size=128)
    got = parquet_impl.read(source, Partition("d", str(many), 250, 700), [], make_ctx())
    assert got["i"].tolist() == list(range(250, 700))
    with pytest.raises(OpError, match="column 'j'"):
        parquet_impl.read(source, Partition("d", str(many), 0, 10), ["j"], make_ctx())


def test_observers_write_schema_and_branches(tmp_path: Path, make_ctx: MakeCtx, stream: Events) -> None:
    import json

    ctx = make_ctx(stage="read.events", dataset="dy", start=0, stop=500)
    result = observers_impl.schema_snapshot(stream, {"out": str(tmp_path / "s.json")}, ctx)
    assert result.events is None
    schema = json.loads((tmp_path / "s.json").read_text())
    assert schema["dataset"] == "dy" and schema["entries"] == 500
    assert schema["fields"]["Muon_Px"] == {"type": "var * float32", "jagged": True, "ndim": 2}
    assert schema["fields"]["NMuon"]["jagged"] is False and schema["fields"]["NMuon"]["type"] == "int32"
    observers_impl.branches(stream, {"out": "inspect/b.json"}, ctx)
    assert json.loads((tmp_path / "inspect" / "b.json").read_text())["fields"] == list(stream.columns)
