"""The comparison itself: it must see a difference wherever one exists, and forgive only presentation."""

from __future__ import annotations

import copy

from conformance.compare import compare, excluded
from conformance.known import Known, quantity

GOLDEN = {
    "cutflows": {
        "Sel": {
            "default": [
                {
                    "id": "g[0]",
                    "events_in": 10,
                    "events_out": 6,
                    "sumw_in": 5.0,
                    "sumw_out": 3.0,
                    "sumw2_in": 2.5,
                    "sumw2_out": 1.5,
                },
                {
                    "id": "g[1]",
                    "events_in": 6,
                    "events_out": 2,
                    "sumw_in": 3.0,
                    "sumw_out": 1.0,
                    "sumw2_in": 1.5,
                    "sumw2_out": 0.5,
                },
            ]
        }
    },
    "histograms": {
        "H": {
            "axes": [
                {"name": "dataset", "kind": "strcategory", "categories": ["b", "a"]},
                {"name": "x", "kind": "regular", "edges": [0.0, 1.0, 2.0]},
            ],
            "storage": "weight",
            "values_flow": [[0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 4.0, 1.0]],
            "variances_flow": [[0.0, 1.0, 2.0, 0.0], [0.0, 3.0, 4.0, 1.0]],
        }
    },
    "files": {"skim/a/0.root": {"trees": {"events": {"entries": 6, "fields": ["NMuon"]}}}},
}


def _rows(scale: float = 1.0) -> list[dict[str, object]]:
    return [
        {
            "group": "g",
            "events_in": 5,
            "events_out": 3,
            "weights_in": 2.5 * scale,
            "weights_out": 1.5,
            "weights_sq_in": 1.25,
            "weights_sq_out": 0.75,
        },
        {
            "group": "g",
            "events_in": 3,
            "events_out": 1,
            "weights_in": 1.5,
            "weights_out": 0.5,
            "weights_sq_in": 0.75,
            "weights_sq_out": 0.25,
        },
    ]


def _ours() -> dict[str, dict[str, object]]:
    # ours: dataset axis last and categories in the other order; two datasets + total; file below outdir
    entry = {
        "axes": [
            {"name": "x", "type": "regular", "edges": [0.0, 1.0, 2.0]},
            {"name": "dataset", "type": "category", "categories": ["a", "b"]},
        ],
        "values_flow": [[0.0, 0.0], [3.0, 1.0], [4.0, 2.0], [1.0, 0.0]],  # x with flow bins × [a, b]
        "variances_flow": [[0.0, 0.0], [3.0, 1.0], [4.0, 2.0], [1.0, 0.0]],
    }
    return {
        "cutflows": {"Sel": {"a": _rows(), "b": _rows(), "total": []}},
        "histograms": {"H": {"total": entry}},
        "files": {
            "artifacts/files/skim/a/0.root": {"trees": {"events": {"entries": 6, "fields": ["NMuon"]}}}
        },
    }


def _verdicts(ours: dict[str, dict[str, object]]) -> dict[str, bool]:
    return {q.name: q.matched for q in compare(copy.deepcopy(GOLDEN), ours)}


def test_equal_products_match_every_quantity_but_axis_order() -> None:
    got = _verdicts(_ours())
    assert got == {
        "cutflow/Sel/default/events": True,
        "cutflow/Sel/default/sumw": True,
        "hist/H/axes": False,  # dataset axis last, categories in another order
        "hist/H/values": True,
        "hist/H/variances": True,
        "file/skim/a/0.root/events/entries": True,
        "file/skim/a/0.root/events/fields": True,
    }


def test_a_changed_count_weight_or_cell_is_seen() -> None:
    ours = _ours()
    ours["cutflows"]["Sel"]["a"] = _rows(scale=1.001)  # type: ignore[index]
    ours["histograms"]["H"]["total"]["values_flow"][1][0] = 3.0001  # type: ignore[index]
    ours["files"]["artifacts/files/skim/a/0.root"]["trees"]["events"]["entries"] = 5  # type: ignore[index]
    got = _verdicts(ours)
    assert got["cutflow/Sel/default/events"] is True
    assert got["cutflow/Sel/default/sumw"] is False
    assert got["hist/H/values"] is False
    assert got["hist/H/variances"] is True
    assert got["file/skim/a/0.root/events/entries"] is False


def test_missing_products_are_mismatches() -> None:
    got = _verdicts({"cutflows": {}, "histograms": {}, "files": {}})
    assert got and not any(got.values())


def test_deviations_and_known_entries_match_by_glob() -> None:
    assert excluded("cutflow/Sel/default/sumw", ("cutflow/Sel/* row-28",)) == "row-28"
    assert excluded("hist/H/values", ("cutflow/* row-28",)) is None
    entries = [Known("c", "numbers", "hist/H/*", "r")]
    assert quantity(entries, "c", "hist/H/values") is entries[0]
    assert quantity(entries, "other", "hist/H/values") is None


def test_report_texts_are_compared_line_by_line() -> None:
    golden = {"reports": {"r/s.md": "# R\n\n- stage.Sel (zz)\n"}}
    empty = {"cutflows": {}, "histograms": {}, "files": {}}
    same = compare(golden, {**empty, "reports": {"r/s.md": "# R\n\n- stage.Sel (zz)\n"}})
    assert [(q.name, q.matched) for q in same] == [("report/r/s.md", True)]
    (changed,) = compare(golden, {**empty, "reports": {"r/s.md": "# R\n\n- stage.Sel (zz, dy)\n"}})
    assert not changed.matched and changed.detail.startswith("line 3:")
    (missing,) = compare(golden, {**empty, "reports": {}})
    assert not missing.matched and "no such report" in missing.detail
