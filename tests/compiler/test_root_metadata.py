"""Opening a TTree with only the branches a run reads (``_root_metadata.py``, below every layer: the compiler
counts entries with it, the ``root_tree`` source reads with it), on real files.

Each check compares against uproot's own full open of the same file: the branches read must give the same
arrays (jagged ones stay jagged), the entry count and basket edges must agree, and every branch name must
still be known (for "no such branch" messages).
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from fasthep_flow import _root_metadata as root_metadata
from fasthep_flow.compiler.inputs import entries_of

DATA = Path(__file__).resolve().parents[1] / "data"
NANOAOD = DATA / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
AGC = ["Electron_pt", "Muon_tightId", "Muon_pfRelIso04_all", "Jet_pt", "Jet_jetId", "Jet_btagCSVV2"]


def _same_arrays(selective: object, full: object, names: list[str]) -> None:
    got = selective.arrays(names, library="ak", how=dict)  # type: ignore[attr-defined]
    want = full.arrays(names, library="ak", how=dict)  # type: ignore[attr-defined]
    for name in names:
        assert str(got[name].type) == str(want[name].type), name
        assert ak.array_equal(got[name], want[name]), name


def test_nanoaod_reads_only_the_wanted_branches_and_their_counters() -> None:
    with uproot.open(NANOAOD) as f, uproot.open(NANOAOD) as g:
        tree, names = root_metadata.open_tree(f, "Events", AGC)
        full = g["Events"]
        # A NanoAOD branch's title is documentation; the counter is named by its leaf (`Jet_pt[nJet]`).
        assert sorted(tree.keys()) == sorted([*AGC, "nElectron", "nMuon", "nJet"])
        assert names == full.keys()
        assert len(names) == 947
        assert tree.num_entries == full.num_entries == 200
        _same_arrays(tree, full, AGC)
        assert str(tree["Jet_pt"].array().type) == "200 * var * float32"
        assert tree.common_entry_offsets() == full.common_entry_offsets(filter_name=lambda n: n in set(AGC))


def test_classes_first_streamed_inside_skipped_branches_are_still_known() -> None:
    """ROOT writes a class's name once and refers back to it by position; the first branch with a boolean leaf
    is skipped here, so reading ``Muon_tightId`` needs the class recorded from inside a skipped entry."""
    with uproot.open(NANOAOD) as g:
        full = g["Events"]
        order = full.keys()
        first_bool = next(
            n for n in order if type(full[n].member("fLeaves")[0]).__name__.startswith("Model_TLeafO")
        )
    wanted = ["Muon_tightId"]
    assert first_bool not in wanted and order.index(first_bool) < order.index("Muon_tightId")
    with uproot.open(NANOAOD) as f, uproot.open(NANOAOD) as g:
        tree, _ = root_metadata.open_tree(f, "Events", wanted)
        assert first_bool not in tree.keys()  # noqa: SIM118 - uproot keys(), not a dict
        _same_arrays(tree, g["Events"], wanted)


def test_a_written_tree_with_counters_named_in_branch_titles(tmp_path: Path) -> None:
    path = tmp_path / "t.root"
    data = {
        "run": np.arange(5, dtype=np.int32),
        "Muon": ak.zip({"pt": ak.Array([[1.0, 2.0], [], [3.0], [4.0, 5.0, 6.0], []])}),
        "Jet": ak.zip({"eta": ak.Array([[0.5], [1.5, -1.0], [], [], [2.0]])}),
    }
    with uproot.recreate(path) as out:
        tree = out.mktree(
            "events",
            {k: v.type.content if hasattr(v, "layout") else v.dtype for k, v in data.items()},
            field_name=lambda outer, inner: f"{outer}_{inner}" if outer else inner,
        )
        tree.extend(data)
    with uproot.open(path) as f, uproot.open(path) as g:
        tree, names = root_metadata.open_tree(f, "events", ["Muon_pt", "not_a_branch"])
        assert sorted(tree.keys()) == ["Muon_pt", "nMuon"]
        assert names == g["events"].keys()
        _same_arrays(tree, g["events"], ["Muon_pt"])
        assert tree.num_entries == 5


def test_none_reads_the_whole_tree_and_an_empty_set_none_of_it() -> None:
    with uproot.open(DATA / "uproot-HZZ.root") as f:
        tree, names = root_metadata.open_tree(f, "events", None)
        assert tree.keys() == names and len(names) > 50
    with uproot.open(DATA / "uproot-HZZ.root") as f:
        tree, names = root_metadata.open_tree(f, "events", frozenset())
        assert tree.keys() == [] and len(names) > 50
        assert tree.num_entries == 2421


def test_an_rntuple_is_returned_whole() -> None:
    path = DATA / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"
    with uproot.open(path) as f:
        ntuple, names = root_metadata.open_tree(f, "Events", ["Muon_pt"])
        assert "Muon_pt" in names and "nMuon" in names
        assert len(ntuple.arrays(["Muon_pt"])) == 1000


def test_a_branch_list_the_walk_does_not_understand_is_read_as_uproot_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object) -> list[tuple[int, int, str, str]]:
        raise root_metadata._GiveUp

    monkeypatch.setattr(root_metadata, "_walk", refuse)
    with uproot.open(NANOAOD) as f, uproot.open(NANOAOD) as g:
        tree, names = root_metadata.open_tree(f, "Events", AGC)
        assert tree.keys() == g["Events"].keys() == names
        _same_arrays(tree, g["Events"], AGC)


def test_entries_of_a_file_not_read_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTHEP_FLOW_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "copy.root"
    copy.write_bytes(NANOAOD.read_bytes())  # a new identity: neither cache knows it
    assert entries_of(str(copy), "Events") == 200
    assert entries_of(str(copy), "NoSuchTree") is None
