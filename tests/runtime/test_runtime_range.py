"""`run --from STAGE` / `--to STAGE`: a sub-range of the plan, reading what is above it from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_runtime_cache import WORKFLOW, products_json, run_text

from fasthep_flow.cli.main import main
from fasthep_flow.compiler import compile_file
from fasthep_flow.document import codes
from fasthep_flow.runtime import RunOptions, run_plan

BRANCHED = (
    WORKFLOW
    + """\
    - id: Single
      from: MuonVars
      op: hep.selection.cutflow
      params:
        selection:
          single: ["NMuon >= 1"]
"""
)


def ran(result_record: dict) -> set[str]:  # type: ignore[type-arg]
    return {row["node"] for row in result_record["stages"]}


def recomputed(record: dict) -> set[str]:  # type: ignore[type-arg]
    return {row["node"] for row in record["cache"]["nodes"] if row["recomputed"]}


def cli(tmp_path: Path, text: str, *extra: str) -> int:
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(text)
    args = ["run", str(wf), "--outdir", str(tmp_path / "out"), "--chunk-size", "1000", "--quiet"]
    return main([*args, "--cache-dir", str(tmp_path / "cache"), *extra])


def test_to_runs_only_what_the_stage_needs(tmp_path: Path) -> None:
    assert cli(tmp_path, BRANCHED, "--to", "Dimuon") == 0
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert ran(record) == {"read.events", "stage.MuonVars", "stage.Dimuon"}
    assert record["options"]["to_stage"] == "Dimuon"
    assert (tmp_path / "out" / "cutflows" / "Dimuon.json").is_file()
    assert not (tmp_path / "out" / "hists" / "MuonPt.json").exists()


def test_from_reuses_the_cached_upstream_and_runs_the_range(tmp_path: Path) -> None:
    assert cli(tmp_path, BRANCHED) == 0
    edited = BRANCHED.replace("nbins: 60", "nbins: 30").replace('"NMuon < 5"', '"NMuon < 4"')
    assert cli(tmp_path, edited, "--from", "Dimuon") == 0
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    # the range (Dimuon and below) ran; the sibling branch (Single) is out of it; the upstream was reused
    assert ran(record) == {"read.events", "stage.MuonVars", "stage.Dimuon", "stage.MuonPt"}
    assert recomputed(record) == {"stage.Dimuon", "stage.MuonPt"}
    # and the products are those of a full run of the edited workflow
    ranged = {p: t for p, t in _products(tmp_path / "out").items() if "Single" not in p}
    fresh = run_text(tmp_path, edited, out="fresh")
    assert ranged == {p: t for p, t in products_json(fresh).items() if "Single" not in p}


def test_from_refuses_when_the_upstream_is_not_cached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("kept")
    assert cli(tmp_path, BRANCHED, "--from", "MuonPt") == 1
    err = capsys.readouterr().err
    assert "FF408" in err and "--from MuonPt" in err and "not in the cache" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "mine.txt"
    ]  # nothing ran, nothing written
    assert cli(tmp_path, BRANCHED, "--from", "MuonPt", "--no-cache") == 1
    assert "FF408" in capsys.readouterr().err


def test_unknown_stage_and_empty_range_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(BRANCHED)
    compiled = compile_file(path)

    def refusal(**kw: str):  # type: ignore[no-untyped-def]
        result = run_plan(
            compiled.plan, RunOptions(outdir=tmp_path / "out", **kw), registry=compiled.registry
        )
        assert not result.ok
        [diag] = result.errors
        return diag

    diag = refusal(to_stage="Dimuom")
    assert diag.code is codes.UNKNOWN_STAGE_REF and "'Dimuon'" in (diag.hint or "")
    diag = refusal(from_stage="MuonPt", to_stage="Single")
    assert diag.code is codes.PARAM_VALUE and "not downstream" in diag.message


def _products(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in folder.rglob("*")
        if p.suffix in (".json", ".csv") and p.parent.name in ("hists", "cutflows")
    }
