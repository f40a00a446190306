"""``run_plan`` end to end on hand-built plans and test ops: what is called, written, reported and recorded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import hist
import numpy as np
import pytest
from runtime_plans import LINES, analysis_plan, attachment, make_plan, read, stage
from runtime_toyops import ToyRegistry, gen_columns

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import InternalError, Severity
from fasthep_flow.ops.totals import is_total
from fasthep_flow.plan import DatasetPlan, NodeKind, SourcePlan
from fasthep_flow.runtime import (
    PartitionDone,
    RunFinished,
    RunOptions,
    RunResult,
    RunStarted,
    StageTiming,
    run_plan,
)
from fasthep_flow.runtime.outputs import STAGING_PREFIX


def run(plan: Any, outdir: Path, **kw: Any) -> RunResult:
    kw.setdefault("chunk_size", 1000)
    return run_plan(plan, RunOptions(outdir=outdir, **kw), registry=ToyRegistry())


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def selected_i(n: int, minimum: float = 30.0) -> list[int]:
    cols = gen_columns(0, n)
    return cols["i"][cols["x"] >= minimum].tolist()


# --- plan semantics -----------------------------------------------------------------------------------------


def test_applies_to_skips_the_stage_for_other_eventtypes(tmp_path: Path) -> None:
    result = run(analysis_plan(), tmp_path)
    assert result.ok
    assert ("stage.HistMu", "mc") in result.products
    assert ("stage.HistMu", "data") not in result.products
    mc = result.products[("stage.HistMu", "mc")]["hist"]
    total = result.products[("stage.HistMu", "total_mc")]["hist"]
    assert np.array_equal(mc.values(flow=True), total.values(flow=True))
    assert [s.dataset for s in result.summary.stages if s.node == "stage.HistMu"] == ["mc"]


def test_applies_to_can_name_datasets(tmp_path: Path) -> None:
    plan = make_plan([read(), stage("Hist", "histo", applies_to={"dataset": ["data"]})])
    result = run(plan, tmp_path)
    assert {key for key in result.products if not is_total(key[1])} == {("stage.Hist", "data")}
    assert ("stage.Hist", "total_data") in result.products and (
        "stage.Hist",
        "total_mc",
    ) not in result.products


def test_writes_one_file_per_partition_per_dataset_or_one_final_file(tmp_path: Path) -> None:
    nodes = [
        read(),
        stage("Select", "select", {"min": 30.0}),
        attachment(NodeKind.WRITE, "Select", 0, "json_sink", {"path": "skim/p.json"}, "partition"),
        attachment(NodeKind.WRITE, "Select", 1, "json_sink", {"path": "skim/d.json"}, "dataset"),
        attachment(NodeKind.WRITE, "Select", 2, "json_sink", {"path": "skim/f.json"}, "final"),
    ]
    result = run(make_plan(nodes), tmp_path, chunk_size=1000)
    assert result.ok
    # Upstream's placement (LANGUAGE.md §9.20): artifacts/files/<stem>/<dataset>/<file>_<chunk><suffix>
    files = "artifacts/files/skim"
    written = {f for f in files_in(tmp_path) if f.startswith(files) and not f.endswith("manifest.json")}
    assert written == {f"{files}/p/data/0_{i}.json" for i in range(3)} | {
        f"{files}/p/mc/0_{i}.json" for i in range(4)
    } | {f"{files}/d.json", f"{files}/f.json"}  # a token-free `when: dataset` path: one file, as upstream
    # one manifest per writer beside its files (upstream's): files per dataset, in order, with their entries
    manifest = json.loads((tmp_path / files / "p" / "manifest.json").read_text())
    assert manifest["node_id"] == "write.Select.0" and manifest["input_node"] == "stage.Select"
    assert [f["path"] for f in manifest["datasets"]["mc"]["files"]] == [
        f"{files}/p/mc/0_{i}.json" for i in range(4)
    ]
    assert [f["partition"] for f in manifest["datasets"]["mc"]["files"]] == [0, 1, 2, 3]
    assert manifest["datasets"]["mc"]["total_entries"] == len(selected_i(3700))
    assert manifest["total_entries"] == len(selected_i(2500)) + len(selected_i(3700))
    final = json.loads((tmp_path / files / "f" / "manifest.json").read_text())
    assert [f["path"] for f in final["datasets"]["total"]["files"]] == [f"{files}/f.json"]

    def ids(name: str) -> list[int]:
        return json.loads((tmp_path / files / name).read_text())["i"]

    data, mc = selected_i(2500), selected_i(3700)
    assert ids("d.json") == mc  # every dataset wrote it; the last one's events remain (upstream's)
    by_dataset = json.loads((tmp_path / files / "d" / "manifest.json").read_text())["datasets"]
    assert list(by_dataset) == ["mc"] and by_dataset["mc"]["total_entries"] == len(mc)
    assert ids("f.json") == data + mc  # concatenated in partition order
    assert ids("p/data/0_0.json") == [i for i in data if i < 1000]
    assert ids("p/mc/0_0.json") == [i for i in mc if i < 1000]
    assert ids("p/mc/0_3.json") == [i for i in mc if i >= 3000]


def test_writer_path_tokens_are_substituted(tmp_path: Path) -> None:
    nodes = [
        read(),
        stage("Select", "select", {"min": 30.0}),
        attachment(
            NodeKind.WRITE, "Select", 0, "json_sink", {"path": "tok/{dataset}_{part}.json"}, "partition"
        ),
        attachment(NodeKind.WRITE, "Select", 1, "json_sink", {"path": "by/{dataset}.json"}, "dataset"),
    ]
    assert run(make_plan(nodes), tmp_path, chunk_size=None).ok
    written = {f for f in files_in(tmp_path) if f.startswith("artifacts/")}
    assert written == {
        "artifacts/files/Select_0/manifest.json",  # writers with tokens: manifests under <stage>_<n>
        "artifacts/files/Select_1/manifest.json",
        "artifacts/files/tok/data_0_0.json",
        "artifacts/files/tok/mc_0_0.json",
        "artifacts/files/by/data.json",
        "artifacts/files/by/mc.json",
    }
    got = json.loads((tmp_path / "artifacts/files/tok/mc_0_0.json").read_text())["i"]
    assert got == selected_i(3700)


def test_a_sink_stage_writes_and_passes_its_stream_on(tmp_path: Path) -> None:
    nodes = [
        read(),
        stage("Select", "select", {"min": 30.0}),
        stage("Save", "json_sink", {"path": "saved.json"}, "stage.Select", when="final"),
        stage("Hist", "histo", {}, "stage.Save"),
    ]
    result = run(make_plan(nodes), tmp_path)
    assert result.ok
    saved = json.loads((tmp_path / "artifacts/files/saved.json").read_text())["i"]
    assert saved == selected_i(2500) + selected_i(3700)
    for total in ("total_data", "total_mc"):
        hist_total = result.products[("stage.Hist", total)]["hist"]
        assert hist_total.sum().value == pytest.approx(
            result.products[("stage.Select", total)]["cutflow"].w_out
        )


def test_renders_run_per_dataset_and_once_at_the_end(tmp_path: Path) -> None:
    nodes = [
        read(),
        stage("Hist", "histo"),
        attachment(NodeKind.RENDER, "Hist", 0, "sums", {"style": "plot", "out": "plots/h.json"}, "dataset"),
        attachment(
            NodeKind.RENDER,
            "Hist",
            1,
            "sums",
            {"style": "plot", "out": "plots/all.json", "title": "T"},
            "final",
        ),
    ]
    result = run(make_plan(nodes), tmp_path)
    assert result.ok
    per_data = json.loads((tmp_path / "plots/h.data.json").read_text())
    final = json.loads((tmp_path / "plots/all.json").read_text())
    sums = {d: float(result.products[("stage.Hist", d)]["hist"].values().sum()) for d in ("data", "mc")}
    assert per_data == {"title": "X", "sums": {"data": sums["data"]}, "eventtypes": {"data": "data"}}
    assert final["sums"] == sums
    assert final["title"] == "T"  # attachment params beside `style` refine the style
    assert final["eventtypes"] == {"data": "data", "mc": "mc"}
    assert (tmp_path / "plots/h.mc.json").exists()


@pytest.mark.parametrize(("mode", "expected"), [("first_partition", 2), ("partition", 7)])
def test_observers_run_on_first_or_every_partition(tmp_path: Path, mode: str, expected: int) -> None:
    nodes = [
        read(),
        stage("Define", "define"),
        attachment(
            NodeKind.INSPECT, "Define", 0, "snapshot", {"mode": mode, "out": "schema.json"}, "partition"
        ),
    ]
    result = run(make_plan(nodes), tmp_path)
    assert result.ok
    snaps = sorted(f for f in files_in(tmp_path) if f.startswith("schema."))
    assert len(snaps) == expected
    first = json.loads((tmp_path / snaps[0]).read_text())
    assert first["fields"] == ["i", "mu", "n", "w", "x", "y"]
    if mode == "first_partition":
        assert snaps == ["schema.data.json", "schema.mc.json"]


def test_ops_receive_context_symbols_constants_functions_and_globals(tmp_path: Path, root_file: str) -> None:
    source = SourcePlan("events", "root", {"tree": "events"}, ("x", "w"))
    plan = make_plan(
        [read(op="root"), stage("Probe", "context_probe")],
        [DatasetPlan("file", files=(root_file,))],
        source=source,
        globals_={"factor": 2.0},
    )
    result = run(plan, tmp_path, chunk_size=2000)
    seen = result.products[("stage.Probe", "file")]["seen"].items
    assert [s["symbols"]["start"] for s in seen] == [0, 2000]
    assert seen[1]["symbols"] == {
        "dataset": "file",
        "dataset_name": "file",
        "file": root_file,
        "entries": 1333,
        "start": 2000,
        "stop": 3333,
    }
    assert seen[0]["pi"] == 3.25
    assert seen[0]["functions"] == ["twice"]
    assert seen[0]["globals"] == {"factor": 2.0}
    assert seen[0]["stage"] == "Probe"


def test_only_the_selected_datasets_run(tmp_path: Path) -> None:
    result = run(analysis_plan(), tmp_path, datasets=("mc",))
    assert result.ok
    assert {d for _, d in result.products} == {"mc", "total_mc"}
    assert result.summary.events == 3700


# --- failures -------------------------------------------------------------------------------------------------


def failing_plan(workflow_file: str, **boom: Any) -> Any:
    """Select feeds Hist (independent) and Extra (fails for mc) → After (depends on the failure)."""
    return make_plan(
        [
            read(),
            stage("Select", "select", {"min": 30.0}, file=workflow_file),
            stage("Hist", "histo", {}, "stage.Select", file=workflow_file),
            stage("Extra", "boom", {"datasets": ["mc"], **boom}, "stage.Select", file=workflow_file),
            stage("After", "histo", {}, "stage.Extra", file=workflow_file),
            attachment(NodeKind.RENDER, "After", 0, "sums", {"style": "plot", "out": "after.json"}, "final"),
        ],
        workflow_file=workflow_file,
    )


def test_a_failing_stage_is_a_diagnostic_naming_stage_line_dataset_file_and_entries(
    tmp_path: Path, workflow_file: str
) -> None:
    result = run(failing_plan(workflow_file), tmp_path / "out")
    assert not result.ok
    [diag] = result.errors
    assert diag.code is codes.STAGE_FAILED
    assert diag.severity is Severity.ERROR
    assert diag.span.file == workflow_file
    assert diag.span.start.line == LINES["Extra"] - 1
    assert (diag.span.start.col, diag.span.end.col) == (4, len("    - id: Extra"))
    assert "stage 'Extra' (wf.yaml:12) failed on dataset 'mc'" in diag.message
    assert "entries [0, 1000)" in diag.message
    assert "ValueError: boom in Extra at entry 0" in diag.message
    assert diag.hint == "run with --debug to keep the traceback"
    assert "traceback" not in diag.data
    [failure] = result.failures
    assert (failure.stage, failure.dataset, failure.start, failure.stop) == ("Extra", "mc", 0, 1000)
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["status"] == "failed"
    assert record["errors"][0]["code"] == "FF401"
    assert record["errors"][0]["line"] == LINES["Extra"]


def test_debug_keeps_the_traceback(tmp_path: Path, workflow_file: str) -> None:
    result = run(failing_plan(workflow_file), tmp_path, debug=True)
    [diag] = result.errors
    assert "Traceback" in diag.data["traceback"]
    assert "boom in Extra" in diag.data["traceback"]


def test_without_keep_going_the_run_stops_at_the_first_failure(tmp_path: Path, workflow_file: str) -> None:
    result = run(failing_plan(workflow_file), tmp_path)
    assert not result.ok
    assert result.summary.partitions == 7
    assert result.summary.partitions_done == 4  # data's 3 partitions, then mc's first fails
    assert not (tmp_path / "after.json").exists()
    assert ("stage.Hist", "data") in result.products  # a complete dataset keeps its results
    assert not [key for key in result.products if is_total(key[1])]  # no total of a failed dataset


def test_keep_going_finishes_independent_branches_and_skips_descendants(
    tmp_path: Path, workflow_file: str
) -> None:
    result = run(failing_plan(workflow_file), tmp_path, keep_going=True)
    assert not result.ok
    assert result.summary.partitions_done == 7
    assert len(result.errors) == 4  # every mc partition
    assert {f.dataset for f in result.failures} == {"mc"}
    assert ("stage.Hist", "mc") in result.products
    assert ("stage.Hist", "total_mc") in result.products
    assert ("stage.After", "data") in result.products
    assert ("stage.After", "mc") not in result.products  # downstream of the failure: skipped
    assert not [key for key in result.products if key[0] == "stage.After" and is_total(key[1])]
    assert not (tmp_path / "after.json").exists()  # its final render would show partial data
    hists = json.loads((tmp_path / "hists" / "After.json").read_text())
    assert sorted(hists) == ["data"]


def test_retries_rerun_the_partition(tmp_path: Path) -> None:
    markers = str(tmp_path / "markers")

    def plan(retries: int) -> Any:
        node = stage("Flaky", "flaky", {"markers": markers}, execution={"retries": retries})
        return make_plan([read(), node, stage("Hist", "histo", {}, "stage.Flaky")])

    failed = run(plan(0), tmp_path / "a")
    assert [d.code for d in failed.errors] == [codes.STAGE_FAILED]
    assert "transient failure" in failed.errors[0].message
    assert failed.errors[0].data["attempts"] == 1

    for marker in Path(markers).iterdir():
        marker.unlink()
    retried = run(plan(1), tmp_path / "b", executor="processes", workers=2)
    assert retried.ok, [d.message for d in retried.errors]
    assert retried.products[("stage.Hist", "total_data")]["hist"].sum().value > 0


def test_a_stage_over_its_timeout_is_reported(tmp_path: Path) -> None:
    node = stage("Slow", "slow", {"seconds": 3.0}, execution={"timeout": "50ms"})
    result = run(make_plan([read(), node], [DatasetPlan("d", nevents=10)]), tmp_path)
    [diag] = result.errors
    assert diag.code is codes.STAGE_TIMEOUT
    assert "timed out" in diag.message
    assert "0.05 s" in diag.message


def test_an_op_error_keeps_its_code_and_hint(tmp_path: Path) -> None:
    result = run(make_plan([read(), stage("Oops", "user_mistake")], [DatasetPlan("d", nevents=10)]), tmp_path)
    [diag] = result.errors
    assert diag.code is codes.RUNTIME_MISSING_FIELD
    assert diag.hint == "did you mean 'Muon_Px'?"
    assert "field 'Muon_Pt' is not in the data" in diag.message


@pytest.mark.parametrize("path", ["../escape.json", "/tmp/abs.json", "{dataset}/../../../escape.json"])
def test_output_paths_are_checked_at_write_time(tmp_path: Path, path: str) -> None:
    nodes = [
        read(),
        stage("S", "select", {"min": 0.0}),
        attachment(NodeKind.WRITE, "S", 0, "json_sink", {"path": path}, "final"),
    ]
    result = run(make_plan(nodes, [DatasetPlan("d", nevents=10)]), tmp_path / "out")
    assert [d.code for d in result.errors] == [codes.OUTPUT_PATH]
    assert not (tmp_path / "escape.json").exists()
    assert json.loads((tmp_path / "out" / "run.json").read_text())["status"] == "failed"


def test_missing_input_file_is_reported_and_nothing_runs(tmp_path: Path) -> None:
    plan = make_plan(
        [read(op="root"), stage("Hist", "histo")],
        [DatasetPlan("d", files=(str(tmp_path / "missing.root"),))],
        source=SourcePlan("events", "root", {"tree": "events"}, ("x",)),
    )
    result = run(plan, tmp_path / "out")
    [diag] = result.errors
    assert diag.code is codes.INPUT_ERROR
    assert "missing.root" in diag.message
    assert result.summary.partitions == 0


def test_unknown_dataset_or_executor_is_refused_before_running(tmp_path: Path) -> None:
    unknown = run(analysis_plan(), tmp_path / "a", datasets=("dy",))
    assert [d.code for d in unknown.errors] == [codes.UNKNOWN_DATASET]
    assert unknown.errors[0].hint == "the workflow defines: data, mc"
    bad = run(analysis_plan(), tmp_path / "b", executor="gpu")
    assert [d.code for d in bad.errors] == [codes.PARAM_VALUE]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_an_op_without_implementation_is_a_bug_not_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InternalError, match="op 'no_impl' has no implementation"):
        run(make_plan([read(), stage("X", "no_impl")]), tmp_path)


# --- outputs and the record -----------------------------------------------------------------------------------


def test_histogram_and_cutflow_files_hold_each_dataset_and_a_total_per_eventtype(tmp_path: Path) -> None:
    import uhi.io.json
    import uproot

    result = run(analysis_plan(), tmp_path)
    names = ["data", "mc", "total_data", "total_mc"]
    with (tmp_path / "hists/Hist.json").open() as f:
        hists = json.load(f, object_hook=uhi.io.json.object_hook)
    assert sorted(hists) == names
    for name in names:
        assert hist.Hist(hists[name]) == result.products[("stage.Hist", name)]["hist"]
    with uproot.open(tmp_path / "hists/Hist.root") as f:
        assert sorted(k.split(";")[0] for k in f) == names
        np.testing.assert_allclose(
            f["total_mc"].values(), result.products[("stage.Hist", "total_mc")]["hist"].values()
        )
    assert not (tmp_path / "cutflows/Select.csv").exists()  # CSV tables come from hep.render.cutflow_csv
    cut_json = json.loads((tmp_path / "cutflows/Select.json").read_text())
    assert [r["dataset"] for r in cut_json["rows"]] == names
    total = result.products[("stage.Select", "total_mc")]["cutflow"]
    assert (cut_json["rows"][3]["events_in"], cut_json["rows"][3]["events_out"]) == (total.n_in, total.n_out)
    assert total.n_in == 3700  # the mc dataset alone: data is never added in


def test_run_record_describes_inputs_environment_timings_and_outputs(tmp_path: Path, root_file: str) -> None:
    plan = make_plan(
        [read(op="root"), stage("Hist", "histo")],
        [DatasetPlan("file", files=(root_file,))],
        source=SourcePlan("events", "root", {"tree": "events"}, ("x", "w")),
    )
    result = run(plan, tmp_path / "out")
    record = json.loads((tmp_path / "out/run.json").read_text())
    assert record == result.record
    assert record["status"] == "ok"
    assert record["plan_hash"] == plan.hash
    data = Path(root_file).read_bytes()
    assert record["inputs"] == [
        {"dataset": "file", "path": root_file, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    ]
    assert record["environment"]["packages"]["numpy"] == np.__version__
    assert record["environment"]["python"].count(".") == 2
    assert record["options"]["chunk_size"] == 1000
    hist_rows = [s for s in record["stages"] if s["node"] == "stage.Hist"]
    assert hist_rows[0]["events_in"] == 3333 and hist_rows[0]["calls"] == 4
    listed = {o["path"] for o in record["outputs"]}
    assert listed == files_in(tmp_path / "out")
    assert {p.relative_to(tmp_path / "out").as_posix() for p in result.outputs} == listed
    assert json.loads((tmp_path / "out/plan.json").read_text())["hash"] == plan.hash


def test_no_pickles_are_written(tmp_path: Path) -> None:
    run(analysis_plan(), tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert path.suffix not in (".pkl", ".pickle")
            assert not path.read_bytes().startswith(b"\x80"), path


def test_a_rerun_replaces_the_previous_outputs_without_mixing(tmp_path: Path) -> None:
    nodes = [
        read(),
        stage("S", "select", {"min": 30.0}),
        attachment(NodeKind.WRITE, "S", 0, "json_sink", {"path": "skim/p.json"}, "partition"),
    ]
    plan = make_plan(nodes)
    (tmp_path / "mine.txt").write_text("not the run's")
    first = run(plan, tmp_path, chunk_size=1000)
    skim = "artifacts/files/skim/p"
    assert len([f for f in files_in(tmp_path) if f.startswith(skim)]) == 7 + 1  # and the manifest
    second = run(plan, tmp_path, chunk_size=None)
    assert first.ok and second.ok
    assert {f for f in files_in(tmp_path) if f.startswith(skim)} == {
        f"{skim}/data/0_0.json",
        f"{skim}/mc/0_0.json",
        f"{skim}/manifest.json",
    }
    assert json.loads((tmp_path / skim / "mc/0_0.json").read_text())["i"] == selected_i(3700)
    assert (tmp_path / "mine.txt").read_text() == "not the run's"
    assert not list(tmp_path.glob(f"{STAGING_PREFIX}*"))
    listed = {o["path"] for o in json.loads((tmp_path / "run.json").read_text())["outputs"]}
    assert listed == files_in(tmp_path) - {"mine.txt"}


# --- progress -------------------------------------------------------------------------------------------------


def test_progress_events_count_partitions_events_and_stage_timings(tmp_path: Path) -> None:
    events: list[Any] = []
    result = run_plan(
        analysis_plan(), RunOptions(tmp_path, chunk_size=1000), events.append, registry=ToyRegistry()
    )
    started = [e for e in events if isinstance(e, RunStarted)]
    done = [e for e in events if isinstance(e, PartitionDone)]
    timings = [e for e in events if isinstance(e, StageTiming)]
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert started == [RunStarted(7, ("data", "mc"), "serial", 1)]
    assert [e.done for e in done] == list(range(1, 8))
    assert all(e.total == 7 for e in done)
    assert [e.events for e in done] == [1000, 2000, 2500, 3500, 4500, 5500, 6200]
    assert done[3].partition == "mc:generated[0:1000]"
    assert {(t.node, t.dataset) for t in timings} >= {("stage.Select", "data"), ("stage.HistMu", "mc")}
    select_mc = next(t for t in timings if (t.node, t.dataset) == ("stage.Select", "mc"))
    assert (select_mc.events_in, select_mc.stage) == (3700, "Select")
    assert len(finished) == 1 and finished[0].ok and finished[0].events == 6200
    assert events[-1] is finished[0]
    assert result.summary.events == 6200


def test_workflow_level_timeout_and_retries_apply_to_every_stage(tmp_path: Path) -> None:
    import dataclasses

    slow = stage("Slow", "slow", {"seconds": 3.0})
    plan = dataclasses.replace(
        make_plan([read(), slow], [DatasetPlan("d", nevents=10)]), execution={"timeout": "50ms", "retries": 1}
    )
    [diag] = run(plan, tmp_path).errors
    assert diag.code is codes.STAGE_TIMEOUT and "0.05 s" in diag.message
    assert diag.data["attempts"] == 2  # the workflow's retries: one more attempt
    own = stage("Slow", "slow", {"seconds": 3.0}, execution={"timeout": "80ms"})
    plan = dataclasses.replace(plan, nodes=(read(), own))
    [diag] = run(plan, tmp_path / "own").errors
    assert "0.08 s" in diag.message  # a stage's own setting wins
