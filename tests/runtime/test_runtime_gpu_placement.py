"""GPU/CPU placement of stages: ``require``/``prefer``/``fallback``, devices and upstream resource classes.

The placement logic runs on this CPU-only machine with the device count given (0 or 1); the real GPU path is
``test_gpu_stage_gives_the_cpu_products``, marked ``gpu`` and deselected by default (pyproject addopts). Run it
on a machine with a CUDA device and cupy with ``pytest -m gpu tests/runtime/test_runtime_gpu_placement.py``; without
a device it fails with "no CUDA device here" — it is never skipped, so it is never counted as a pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.runtime import RunOptions, run_plan
from fasthep_flow.runtime.gpu_placement import CPU, GPU, cuda_devices, device_of, place

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 3000, seed: 5}
analysis:
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: NMu, reduce: {op: count_nonzero, over: "Muon_Pt > 20"}}
      EXECUTION
    - id: Two
      op: hep.selection.cutflow
      params:
        selection: {two: ["NMu >= 2"]}
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 12}}]
execution:
  resources: {gpu_nodes: {gpus: 1}, cpu_nodes: {gpus: 0}, any_gpu: {gpus: "1"}}
"""
STAGE_LINE = 6  # 1-based line of `- id: MuonVars`


def compiled(tmp_path: Path, execution: str) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "wf.flow.yaml"
    path.write_text(WORKFLOW.replace("EXECUTION", f"execution: {execution}" if execution else ""))
    result = compile_file(path)
    assert result.ok, [f"{d.code.id} {d.message}" for d in result.diagnostics]
    return result.plan


@pytest.mark.parametrize(
    ("word", "device"),
    [
        ("gpu", GPU),
        ("GPU", GPU),
        ("cuda", GPU),
        ("CPU", CPU),
        ("gpu_nodes", GPU),
        ("cpu_nodes", CPU),
        ("any_gpu", GPU),
        (["tpu", "gpu"], GPU),
        ({"gpus": 2}, GPU),
        ("tpu", None),
        (3, None),
    ],
)
def test_device_words_and_resource_classes(word: Any, device: str | None) -> None:
    resources = {"gpu_nodes": {"gpus": 1}, "cpu_nodes": {"gpus": 0}, "any_gpu": {"gpus": "1"}}
    assert device_of(word, resources) == device


def test_require_gpu_without_a_device_is_an_error_on_the_stage(tmp_path: Path) -> None:
    placement = place(compiled(tmp_path, "{require: gpu}"), gpus=0)
    assert not placement.gpu_nodes and not placement.infos
    [error] = placement.errors
    assert error.code is codes.DEVICE_UNAVAILABLE and error.severity is Severity.ERROR
    assert error.message == "stage 'MuonVars' requires a GPU, and no CUDA device is available here"
    assert error.span.start.line == STAGE_LINE - 1
    assert codes.DEVICE_UNAVAILABLE.follows_template(error.message)


@pytest.mark.parametrize(
    "execution", ["{prefer: gpu}", "{require: gpu_nodes, fallback: cpu}", "{prefer: [gpu]}"]
)
def test_gpu_wanted_without_a_device_falls_back_with_an_info(tmp_path: Path, execution: str) -> None:
    placement = place(compiled(tmp_path, execution), gpus=0)
    assert not placement.gpu_nodes and not placement.errors
    [info] = placement.infos
    assert info.code is codes.DEVICE_FALLBACK and info.severity is Severity.INFO
    assert codes.DEVICE_FALLBACK.follows_template(info.message)
    assert "'MuonVars'" in info.message


@pytest.mark.parametrize("execution", ["{require: gpu}", "{prefer: gpu}", "{require: any_gpu}"])
def test_with_a_device_the_stage_is_placed_on_it(tmp_path: Path, execution: str) -> None:
    placement = place(compiled(tmp_path, execution), gpus=1)
    assert placement.gpu_nodes == {"stage.MuonVars"}
    assert not placement.errors and not placement.infos


@pytest.mark.parametrize("execution", ["", "{require: cpu}", "{prefer: cpu_nodes}", "{timeout: 30}"])
def test_cpu_or_nothing_asked_runs_on_the_cpu_silently(tmp_path: Path, execution: str) -> None:
    placement = place(compiled(tmp_path, execution), gpus=1)
    assert placement == place(compiled(tmp_path, execution), gpus=0)
    assert not placement.gpu_nodes and not placement.errors and not placement.infos


def test_an_unknown_class_is_an_error(tmp_path: Path) -> None:
    [error] = place(compiled(tmp_path, "{require: big_nodes}"), gpus=1).errors
    assert (
        error.message
        == "stage 'MuonVars' has execution.require 'big_nodes', which names no device or resource class"
    )
    assert "gpu_nodes" in (error.hint or "")


def test_a_run_requiring_a_missing_gpu_is_refused_before_it_starts(tmp_path: Path) -> None:
    if cuda_devices():
        pytest.fail("this test is about a machine without a CUDA device, and this one has one")
    outdir = tmp_path / "out"
    result = run_plan(compiled(tmp_path, "{require: gpu}"), RunOptions(outdir=outdir, chunk_size=1000))
    assert not result.ok
    assert [d.code for d in result.errors] == [codes.DEVICE_UNAVAILABLE]
    assert result.summary.partitions == 0
    assert not outdir.exists()  # nothing was started, not even the output folder


def products(outdir: Path) -> dict[str, Any]:
    return {
        p.name: json.loads(p.read_text())
        for folder in ("hists", "cutflows")
        for p in sorted((outdir / folder).glob("*.json"))
    }


def test_prefer_gpu_on_a_cpu_machine_runs_with_the_same_products(tmp_path: Path) -> None:
    if cuda_devices():
        pytest.fail("this test is about a machine without a CUDA device, and this one has one")
    plain = run_plan(compiled(tmp_path / "a", ""), RunOptions(outdir=tmp_path / "plain", chunk_size=1000))
    preferred = run_plan(
        compiled(tmp_path / "b", "{prefer: gpu}"), RunOptions(outdir=tmp_path / "pref", chunk_size=1000)
    )
    assert plain.ok and preferred.ok, [d.message for d in preferred.errors]
    assert [d.code for d in preferred.warnings] == [codes.DEVICE_FALLBACK]
    assert [w["code"] for w in preferred.record["warnings"]] == ["FF413"]
    assert products(tmp_path / "pref") == products(tmp_path / "plain") != {}


@pytest.mark.gpu
def test_gpu_stage_gives_the_cpu_products(tmp_path: Path) -> None:
    """The real GPU path: MuonVars runs on the CUDA device, its products equal the CPU run's."""
    if cuda_devices() == 0:
        pytest.fail("no CUDA device here (or cupy is not installed): this test needs one", pytrace=False)
    cpu = run_plan(compiled(tmp_path / "a", "{require: cpu}"), RunOptions(outdir=tmp_path / "cpu"))
    gpu = run_plan(compiled(tmp_path / "b", "{require: gpu}"), RunOptions(outdir=tmp_path / "gpu"))
    assert cpu.ok and gpu.ok, [d.message for d in gpu.errors]
    assert not gpu.warnings
    assert products(tmp_path / "gpu") == products(tmp_path / "cpu") != {}
