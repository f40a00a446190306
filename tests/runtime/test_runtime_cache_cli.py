"""`run --cache-dir/--no-cache/--explain`, `execution.cache` in the workflow, and `cache info|gc|clear`."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_runtime_cache import WORKFLOW

from fasthep_flow.cli.main import main


def write(tmp_path: Path, text: str = WORKFLOW) -> str:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(text)
    return str(path)


def run(wf: str, out: Path, *extra: str) -> int:
    return main(["run", wf, "--outdir", str(out), "--chunk-size", "1000", "--quiet", *extra])


def test_explain_says_reused_on_the_second_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = write(tmp_path)
    cache = str(tmp_path / "c")
    assert run(wf, tmp_path / "out", "--cache-dir", cache, "--explain") == 0
    first = capsys.readouterr().out
    assert "0 reused" in first and "not cached" in first
    assert run(wf, tmp_path / "out", "--cache-dir", cache, "--explain") == 0
    second = capsys.readouterr().out
    assert " 0 recomputed" in second and "stage.MuonPt [toy_dy]: 3/3 reused" in second
    write(tmp_path, WORKFLOW.replace("nbins: 60", "nbins: 20"))
    assert run(wf, tmp_path / "out", "--cache-dir", cache, "--explain") == 0
    third = capsys.readouterr().out
    assert "stage.MuonPt [toy_dy]: 0/3 reused - recomputed: changed: params (3)" in third


def test_no_cache_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = write(tmp_path)
    cache = tmp_path / "c"
    assert run(wf, tmp_path / "out", "--cache-dir", str(cache), "--no-cache", "--explain") == 0
    assert "cache: off" in capsys.readouterr().out
    assert not cache.exists()


def test_execution_cache_in_the_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = write(tmp_path, WORKFLOW + "execution: {cache: my-cache}\n")
    assert run(wf, tmp_path / "out") == 0
    assert (tmp_path / "my-cache" / "keys").is_dir()  # relative to the workflow's folder
    wf = write(tmp_path, WORKFLOW + "execution: {cache: false}\n")
    assert run(wf, tmp_path / "out", "--explain") == 0
    assert "cache: off" in capsys.readouterr().out
    # the command line wins over the file
    assert run(wf, tmp_path / "out", "--cache-dir", str(tmp_path / "cli-cache")) == 0
    assert (tmp_path / "cli-cache" / "keys").is_dir()


def test_cache_info_gc_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = write(tmp_path)
    cache = str(tmp_path / "c")
    assert run(wf, tmp_path / "out", "--cache-dir", cache) == 0
    capsys.readouterr()
    assert main(["cache", "info", "--cache-dir", cache]) == 0
    info = capsys.readouterr().out
    assert "entries: " in info and "entries: 0 " not in info
    assert main(["cache", "gc", "--cache-dir", cache, "--max-size", "0"]) == 0
    assert "freed " in capsys.readouterr().out
    assert main(["cache", "info", "--cache-dir", cache]) == 0
    assert "entries: 0 " in capsys.readouterr().out
    assert run(wf, tmp_path / "out", "--cache-dir", cache) == 0
    assert main(["cache", "clear", "--cache-dir", cache]) == 0
    assert not (tmp_path / "c" / "keys").exists()
    assert main(["cache", "gc", "--cache-dir", cache, "--max-size", "lots"]) != 0


def test_runs_list_show_and_diff_one_changed_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    wf = write(tmp_path)
    cache = str(tmp_path / "c")
    assert run(wf, tmp_path / "out", "--cache-dir", cache) == 0
    write(tmp_path, WORKFLOW.replace("NMuon < 5", "NMuon < 3"))
    assert run(wf, tmp_path / "out", "--cache-dir", cache) == 0
    capsys.readouterr()
    assert main(["runs", "list", "--cache-dir", cache]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and all(" ok " in line for line in listed)
    first_id = listed[0].split()[0]
    assert main(["runs", "show", first_id, "--cache-dir", cache]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == first_id
    assert main(["runs", "diff", "previous", "latest", "--cache-dir", cache, "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    changed = {(c["node"], c["dataset"], c["kind"]) for c in diff["products"]}
    # the cut's cutflow and the histogram after it changed, for each dataset and total; nothing else
    assert {(node, kind) for node, _, kind in changed} == {
        ("stage.Dimuon", "cutflow"),
        ("stage.MuonPt", "histogram"),
    }
    labels = {dataset for _, dataset, _ in changed}
    assert {"toy_data", "toy_dy"} < labels and all(
        (node, label, kind) in changed
        for node, kind in (("stage.Dimuon", "cutflow"), ("stage.MuonPt", "histogram"))
        for label in labels
    )
    for c in diff["products"]:
        if c["kind"] == "cutflow":  # only the edited step moved: its events out, not the first step
            assert [(s["index"], s["step"]) for s in c["steps"]] == [(1, ["NMuon < 5", "NMuon < 3"])]
            assert c["steps"][0]["events_out"][1] < c["steps"][0]["events_out"][0]
        else:
            assert c["bins_changed"] > 0 and c["sum_b"] < c["sum_a"]
    assert [p["node"] for p in diff["params"]] == ["stage.Dimuon"]
    assert main(["runs", "diff", "previous", "latest", "--cache-dir", cache]) == 0
    text = capsys.readouterr().out
    assert "cutflow stage.Dimuon [toy_dy]" in text and "params of stage.Dimuon changed" in text
    assert main(["runs", "diff", "latest", "latest", "--cache-dir", cache]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["runs", "show", "nope", "--cache-dir", cache]) != 0


def test_execution_executor_and_workers_are_defaults_the_command_line_overrides(tmp_path: Path) -> None:
    import json

    wf = write(tmp_path, WORKFLOW + "execution: {executor: threads, workers: 3, cache: false}\n")
    assert run(wf, tmp_path / "out") == 0
    options = json.loads((tmp_path / "out" / "run.json").read_text())["options"]
    assert (options["executor"], options["workers"]) == ("threads", 3)
    assert run(wf, tmp_path / "out", "--executor", "serial") == 0
    options = json.loads((tmp_path / "out" / "run.json").read_text())["options"]
    assert (options["executor"], options["workers"]) == ("serial", 3)
    assert run(wf, tmp_path / "out", "--workers", "2") == 0
    options = json.loads((tmp_path / "out" / "run.json").read_text())["options"]
    assert (options["executor"], options["workers"]) == ("threads", 2)
