"""Every workflow `execution` setting acts on `fasthep-flow run`, and the command line overrides it.

Where the others are shown: `executor`/`workers` and `cache` in test_runtime_cache_cli.py; workflow-wide and
per-stage `retries`/`timeout` on built plans in test_runtime_run.py (the thread path) and here, from a workflow
file with a real slow op in a worker process that is killed when it overruns.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fasthep_flow.cli.main import main

WORKFLOW = """\
version: 1.0
sources:
  events: {{kind: toy, nevents: 2000, seed: 5}}
data:
  datasets:
    - {{name: toy_dy, eventtype: mc, nevents: 2000}}
analysis:
  stages:
    - id: NMu
      op: hep.hist
      params:
        axes: [{{name: nmu, source: NMuon, type: regular, bins: {{low: 0, high: 5, nbins: 5}}}}]
execution: {{cache: false{extra}}}
"""


def workflow(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wf.flow.yaml"
    path.write_text(WORKFLOW.format(extra=extra))
    return path


def run(*args: str) -> int:
    return main(["run", *args, "--quiet"])


def record(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "run.json").read_text())


def test_output_dir_is_a_folder_beside_the_workflow_and_outdir_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wf = workflow(tmp_path / "analysis", ", output_dir: results/nominal")
    monkeypatch.chdir(tmp_path)  # not the workflow's folder: the setting is relative to the workflow
    assert run(str(wf)) == 0
    assert (tmp_path / "analysis" / "results" / "nominal" / "hists" / "NMu.json").is_file()
    assert not (tmp_path / "fasthep-output").exists()
    assert run(str(wf), "--outdir", str(tmp_path / "typed")) == 0
    assert (tmp_path / "typed" / "hists" / "NMu.json").is_file()


@pytest.mark.parametrize("value", ["../elsewhere", "/tmp/fasthep-flow-outside", "~/out", "."])
def test_output_dir_may_not_leave_the_workflows_folder(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = workflow(tmp_path / "analysis", f", output_dir: '{value}'")
    before = set(os.listdir(tmp_path))
    assert run(str(wf)) == 2
    assert "execution.output_dir" in capsys.readouterr().err
    assert set(os.listdir(tmp_path)) == before and set(os.listdir(tmp_path / "analysis")) == {"wf.flow.yaml"}
    assert not Path("/tmp/fasthep-flow-outside").exists()


def test_output_dir_through_a_shipped_link_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "somewhere"
    target.mkdir()
    wf = workflow(tmp_path / "analysis", ", output_dir: results/nominal")
    (tmp_path / "analysis" / "results").symlink_to(target)
    assert run(str(wf)) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert list(target.iterdir()) == []


def test_chunk_size_sets_the_partitions_and_the_command_line_wins(tmp_path: Path) -> None:
    wf = workflow(tmp_path, ", chunk_size: 500")
    assert run(str(wf), "--outdir", str(tmp_path / "a")) == 0
    assert (
        record(tmp_path / "a")["partitions"] == 4 and record(tmp_path / "a")["options"]["chunk_size"] == 500
    )
    assert run(str(wf), "--outdir", str(tmp_path / "b"), "--chunk-size", "1000") == 0
    assert record(tmp_path / "b")["partitions"] == 2
    # the same histogram either way
    assert json.loads((tmp_path / "a" / "hists" / "NMu.json").read_text()) == json.loads(
        (tmp_path / "b" / "hists" / "NMu.json").read_text()
    )


def test_check_does_not_call_the_settings_unsupported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = workflow(tmp_path, ", output_dir: out, retries: 1, timeout: 5m, chunk_size: 100, workers: 2")
    assert main(["check", str(wf)]) == 0
    assert "FF140" not in capsys.readouterr().out


# --- a timeout that stops the work --------------------------------------------------------------------------

NAP_OPS = """\
import os
import signal
import time

from fasthep_flow.ops.contract import StageResult
from fasthep_flow.registry.specs import Number, OpKind, OpSpec, Param, Str

SPEC = OpSpec(
    "lab.nap",
    OpKind.TRANSFORM,
    "Sleep on one dataset, after writing this process's id to a log.",
    params=(
        Param("seconds", Number, required=True, doc="How long."),
        Param("dataset", Str, required=True, doc="Which dataset."),
        Param("log", Str, required=True, doc="The log file."),
    ),
    impl="{module}:nap",
)


DIE_SPEC = OpSpec(
    "lab.die",
    OpKind.TRANSFORM,
    "Kill its own process on one dataset (a worker that runs out of memory looks the same).",
    params=(Param("dataset", Str, required=True, doc="Which dataset."),),
    impl="{module}:die",
)


def die(events, params, ctx):
    if ctx.dataset.name == params["dataset"]:
        os.kill(os.getpid(), signal.SIGKILL)
    return StageResult(None)


def nap(events, params, ctx):
    if ctx.dataset.name == params["dataset"]:
        with open(params["log"], "a") as log:
            log.write(f"{{os.getpid()}}\\n")
        time.sleep(params["seconds"])
    return StageResult(None)
"""

NAPPING = """\
version: 1.0
sources:
  events: {{kind: toy, nevents: 1000, seed: 5}}
data:
  datasets:
    - {{name: fast, eventtype: mc, nevents: 500}}
    - {{name: slow, eventtype: mc, nevents: 500}}
registry: [{{spec: "{module}:SPEC"}}]
analysis:
  stages:
    - id: Nap
      op: lab.nap
      params: {{seconds: 600, dataset: slow, log: "{log}"}}
      execution: {{timeout: 1s{stage_extra}}}
    - id: NMu
      op: hep.hist
      params:
        axes: [{{name: nmu, source: NMuon, type: regular, bins: {{low: 0, high: 5, nbins: 5}}}}]
execution: {{cache: false, executor: processes, workers: 2}}
"""


@pytest.fixture
def nap_module(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    import sys

    module = f"nap_ops_{request.node.name.replace('[', '_').replace(']', '').replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(NAP_OPS.format(module=module))
    yield module  # type: ignore[misc]
    sys.modules.pop(module, None)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("retries", [0, 1])
def test_a_stage_over_its_timeout_in_a_worker_process_is_killed_and_reported(
    tmp_path: Path, nap_module: str, retries: int, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "naps.log"
    extra = f", retries: {retries}" if retries else ""
    wf = tmp_path / "nap.flow.yaml"
    wf.write_text(NAPPING.format(module=nap_module, log=log, stage_extra=extra))
    out = tmp_path / "out"
    code = main(["run", str(wf), "--trust", "--outdir", str(out), "--keep-going", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "FF402" in err and "Nap" in err
    run_json = record(out)
    [error] = run_json["errors"]
    assert error["code"] == "FF402" and error["data"]["stage"] == "Nap" and error["data"]["dataset"] == "slow"
    assert error["data"]["attempts"] == retries + 1
    # each attempt ran in a worker process (not this one), and that process is gone: the sleep was stopped
    pids = [int(line) for line in log.read_text().split()]
    assert len(pids) == retries + 1 and os.getpid() not in pids
    assert not any(alive(pid) for pid in pids)
    # the other dataset, on the other worker and on the replacement, finished
    hists = json.loads((out / "hists" / "NMu.json").read_text())
    assert "fast" in hists and "slow" not in hists


def test_the_workflows_timeout_and_retries_apply_to_stages_without_their_own(
    tmp_path: Path, nap_module: str
) -> None:
    log = tmp_path / "naps.log"
    text = NAPPING.format(module=nap_module, log=log, stage_extra="").replace("execution: {timeout: 1s}", "")
    text = text.replace("workers: 2}", "workers: 1, timeout: 500ms, retries: 1}")
    wf = tmp_path / "nap.flow.yaml"
    wf.write_text(text)
    assert main(["run", str(wf), "--trust", "--outdir", str(tmp_path / "out"), "--quiet"]) == 1
    [error] = record(tmp_path / "out")["errors"]
    assert error["code"] == "FF402" and "0.5 s" in error["message"]
    assert error["data"]["attempts"] == 2  # the workflow's retries: one more attempt, in a fresh worker
    pids = log.read_text().split()
    assert len(set(pids)) == 2 and not any(alive(int(pid)) for pid in pids)


def test_a_worker_that_dies_is_reported_and_the_run_ends(tmp_path: Path, nap_module: str) -> None:
    text = NAPPING.format(module=nap_module, log=tmp_path / "naps.log", stage_extra="")
    text = text.replace(":SPEC", ":DIE_SPEC").replace("op: lab.nap", "op: lab.die")
    text = text.replace(f'seconds: 600, dataset: slow, log: "{tmp_path / "naps.log"}"', "dataset: slow")
    assert "lab.die" in text and "seconds" not in text
    wf = tmp_path / "die.flow.yaml"
    wf.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(wf), "--trust", "--outdir", str(out), "--quiet"]) == 1
    [error] = record(out)["errors"]
    assert error["code"] == "FF401" and "worker process died" in error["message"]
    assert error["data"]["dataset"] == "slow"
