"""Materialising a case: data token, relative layout, workshop recipes and diagnostics' columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance import workshop
from conformance.cases import Case, NeedsWorkshop, all_cases, data_dir, load, materialise
from conformance.runner import check


def _case(tmp_path: Path, text: str, **case_yaml: str) -> Case:
    folder = tmp_path / "cases" / "cx_demo"
    folder.mkdir(parents=True)
    (folder / "workflow.yaml").write_text(text)
    (folder / "case.yaml").write_text("".join(f"{k}: {v}\n" for k, v in case_yaml.items()) or "title: demo\n")
    return load(folder)


def test_every_case_folder_is_complete() -> None:
    cases = all_cases()
    assert len(cases) >= 150
    for case in cases:
        assert (case.folder / "workflow.yaml").is_file() or case.recipe is not None, case.name
        assert case.golden() is not None, f"{case.name}: no golden.json (run conformance/record.py)"
        assert case.expect in ("clean", "diagnostics", "any"), case.name
        assert case.expect != "diagnostics" or case.diagnostics, (
            f"{case.name}: a mistake case names its diagnostics"
        )


def test_data_token_is_expanded_and_the_data_folder_sits_beside_the_case(tmp_path: Path) -> None:
    case = _case(tmp_path, "files: [$DATA/uproot-HZZ.root, ../data/uproot-HZZ.root]\n")
    cwd = materialise(case, tmp_path / "scratch", data_dir())
    text = (cwd / "workflow.yaml").read_text()
    assert "$DATA" not in text and str(data_dir() / "uproot-HZZ.root") in text
    assert (cwd / "../data/uproot-HZZ.root").resolve() == (data_dir() / "uproot-HZZ.root").resolve()
    assert not (cwd / "case.yaml").exists()


def test_columns_of_diagnostics_refer_to_the_case_file_not_the_expanded_one(tmp_path: Path) -> None:
    wf = (
        "version: 1.0\nuse: {profiles: [hep]}\n"
        "data:\n  datasets: [{name: zz, eventtype: mc, files: [$DATA/uproot-HZZ.root], nevnets: 10}]\n"
        "analysis:\n  stages:\n    - id: H\n      op: hep.hist\n"
        "      params: {axes: [{name: n, source: NMuon, type: regular, bins: {low: 0, high: 5, nbins: 5}}]}\n"
    )
    case = _case(tmp_path, wf)
    outcome, _ = check(case, tmp_path / "scratch", data_dir())
    col = wf.splitlines()[3].index("nevnets") + 1
    assert any(d.startswith(f"workflow.yaml:4:{col} ") for d in outcome.diagnostics), outcome.diagnostics


def test_a_workshop_case_needs_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(tmp_path, "")
    (case.folder / "workflow.yaml").unlink()
    (case.folder / "workshop.yaml").write_text(
        "path: tutorials/x\nfiles: [workflow.yaml]\nedits: [nevents_int]\n"
    )
    monkeypatch.setattr(workshop, "workshop_dir", lambda: None)
    with pytest.raises(NeedsWorkshop):
        materialise(case, tmp_path / "scratch", data_dir())
    checkout = tmp_path / "ws"
    (checkout / "tutorials" / "x").mkdir(parents=True)
    (checkout / "tutorials" / "x" / "workflow.yaml").write_text('datasets:\n  a: {nevents: "12"}\n')
    monkeypatch.setattr(workshop, "workshop_dir", lambda: checkout)
    cwd = materialise(case, tmp_path / "scratch2", data_dir())
    assert (cwd / "workflow.yaml").read_text() == "datasets:\n  a: {nevents: 12}\n"


def test_coverage_md_agrees_with_the_cases_and_known_failures() -> None:
    """coverage.md is generated; this catches a stale copy (regenerate with report.py --coverage)."""
    import re

    from conformance import known
    from conformance.cases import HERE

    text = (HERE / "coverage.md").read_text(encoding="utf-8")
    failing = {k.case for k in known.load()}
    rows = {c.name: set(c.rows) for c in all_cases()}
    for line in text.splitlines():
        m = re.match(r"\| (\d+) \| .* \| (\d+)/(\d+) \| (.*) \|$", line)
        if not m:
            continue
        row, listed = int(m.group(1)), [n.strip() for n in m.group(4).split(",")]
        names = [n.strip("*") for n in listed if n != "**none**"]
        assert sorted(names) == sorted(n for n, r in rows.items() if row in r), f"row {row}"
        assert all(n.startswith("*") == (n.strip("*") in failing) for n in listed if n != "**none**")
        assert int(m.group(2)) == sum(n not in failing for n in names), f"row {row}"
