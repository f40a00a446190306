"""The "nothing changed" shortcut: an unchanged re-run takes the last complete run's outputs whole, and any
changed ingredient (params, an input file, an output touched by hand, the cached products) runs normally."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_runtime_cache import REFORMATTED, WORKFLOW, products_json, run_text

from fasthep_flow.cli.main import main
from fasthep_flow.runtime import RunResult


def reused_from(result: RunResult) -> str | None:
    return result.record["cache"].get("reused_from")


def hist_values(result: RunResult) -> dict[tuple[str, str], list[float]]:
    return {
        key: [float(v) for v in named["hist"].values(flow=True).ravel()]
        for key, named in result.products.items()
        if "hist" in named
    }


def test_an_unchanged_rerun_reuses_the_outputs_whole(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run_text(tmp_path, WORKFLOW, cache=cache)
    assert reused_from(first) is None
    second = run_text(tmp_path, WORKFLOW, cache=cache)
    assert reused_from(second) == first.record["run_id"] != second.record["run_id"]
    assert second.record["cache"]["recomputed"] == 0
    assert second.record["cache"]["reused"] == first.record["cache"]["recomputed"]
    assert products_json(second) == products_json(first) and products_json(first)
    # the API still gets every merged product, totals included
    assert hist_values(second) == hist_values(first) and ("stage.MuonPt", "total_mc") in second.products
    rows = {(s.node, s.dataset): s for s in second.summary.stages}
    assert rows[("stage.MuonPt", "toy_dy")].calls == 0 and rows[("stage.MuonPt", "toy_dy")].reused == 3
    assert second.summary.events == 4000
    # the folder holds this run's record, listing exactly the files it holds
    record = json.loads((second.outdir / "run.json").read_text())
    assert record["run_id"] == second.record["run_id"]
    listed = {o["path"] for o in record["outputs"]}
    on_disk = {p.relative_to(second.outdir).as_posix() for p in second.outdir.rglob("*") if p.is_file()}
    assert listed == on_disk - {".fasthep-flow.lock"}
    events = [json.loads(line) for line in (second.outdir / "events.jsonl").read_text().splitlines()]
    assert events and {e["status"] for e in events} == {"reused"}
    # and the next run recognises this one in turn; `runs` knows all three
    third = run_text(tmp_path, REFORMATTED, cache=cache)  # comments and layout: the same fingerprint
    assert reused_from(third) == second.record["run_id"]
    assert len(list((cache / "runs").glob("*.json"))) == 3


@pytest.mark.parametrize(
    "change",
    ["params", "touched output", "deleted output", "products evicted", "another folder", "dataset subset"],
)
def test_any_change_runs_normally_and_gives_the_right_outputs(tmp_path: Path, change: str) -> None:
    cache = tmp_path / "cache"
    first = run_text(tmp_path, WORKFLOW, cache=cache)
    text, out, kw = WORKFLOW, "out", {}
    hist = first.outdir / "hists" / "MuonPt.json"
    if change == "params":
        text = WORKFLOW.replace("nbins: 60", "nbins: 30")
    elif change == "touched output":
        st = hist.stat()
        os.utime(hist, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    elif change == "deleted output":
        hist.unlink()
    elif change == "products evicted":
        shutil.rmtree(cache / "blobs")
    elif change == "another folder":
        out = "elsewhere"
    elif change == "dataset subset":
        kw = {"datasets": ("toy_dy",)}
    result = run_text(tmp_path, text, out=out, cache=cache, **kw)
    assert reused_from(result) is None
    fresh = run_text(tmp_path, text, out="fresh", **kw)
    assert products_json(result) == products_json(fresh)
    assert (result.outdir / "hists" / "MuonPt.json").is_file()


def test_a_changed_input_file_runs_normally(tmp_path: Path, shared_data_dir: Path) -> None:
    data = tmp_path / "zmumu.root"
    shutil.copy(shared_data_dir / "uproot-Zmumu.root", data)
    text = f"""\
version: 1.0
sources:
  events: {{kind: root_tree, tree: events, branches: [pt1, pt2]}}
data:
  datasets:
    - {{name: zmumu, eventtype: data, files: [{data}]}}
analysis:
  stages:
    - id: Pt
      op: hep.hist
      params:
        axes: [{{name: pt, source: pt1, type: regular, bins: {{low: 0, high: 120, nbins: 12}}}}]
"""
    cache = tmp_path / "cache"
    run_text(tmp_path, text, cache=cache)
    assert reused_from(run_text(tmp_path, text, cache=cache)) is not None
    st = data.stat()
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # same bytes, a new identity
    result = run_text(tmp_path, text, cache=cache)
    assert reused_from(result) is None
    assert result.record["cache"]["recomputed"] > 0


def test_explain_says_why_the_whole_run_was_reused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "wf.flow.yaml"
    wf.write_text(WORKFLOW)
    args = ["run", str(wf), "--outdir", str(tmp_path / "out"), "--chunk-size", "1000", "--quiet"]
    args += ["--cache-dir", str(tmp_path / "c"), "--explain"]
    assert main(args) == 0
    assert "outputs were reused whole" not in capsys.readouterr().out
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "nothing changed since run " in out and "outputs were reused whole" in out
    assert " 0 recomputed" in out and "stage.MuonPt [toy_dy]: 3/3 reused" in out
