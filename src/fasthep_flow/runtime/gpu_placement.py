"""Which device each stage runs on: GPU or CPU, from the stage's ``execution: {require | prefer, fallback}``.

The words may be the devices themselves (``gpu``, ``cpu``, any case; ``cuda`` means ``gpu``) or, as upstream
writes them, names of resource classes declared in the workflow's ``execution.resources`` (``{gpu_nodes:
{gpus: 1}}``): a class with a non-zero ``gpus`` is a GPU class, any other a CPU one.

Placement is decided once, before any partition runs, so that ``require: gpu`` on a machine without a CUDA
device is refused before work starts (FF412) instead of failing on the first partition; ``prefer: gpu`` there
runs on the CPU and says so with an info diagnostic (FF413). A stage asking for neither runs on the CPU.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.plan import ExecutionPlan, NodeKind, PlanNode
from fasthep_flow.runtime.errors import line_span

CPU, GPU = "cpu", "gpu"
DEVICE_WORDS = {"gpu": GPU, "cuda": GPU, "cpu": CPU}


@dataclass(frozen=True)
class Placement:
    """Stage node id -> device for the stages placed on a GPU, and what the placement had to say."""

    gpu_nodes: frozenset[str]
    errors: tuple[Diagnostic, ...] = ()
    infos: tuple[Diagnostic, ...] = ()


def cuda_devices() -> int:
    """How many CUDA devices this process can use (0 without cupy or without a driver); imports cupy only
    when it is installed, so a CPU-only machine pays nothing."""
    if importlib.util.find_spec("cupy") is None:
        return 0
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no driver, no device, a broken CUDA install: all mean "no GPU here"
        return 0


def device_of(word: Any, resources: Mapping[str, Any]) -> str | None:
    """The device a ``require``/``prefer``/``fallback`` value names; None when it names nothing known.

    A list (or a mapping's keys) names alternatives in order: the first that names a device wins.
    """
    if isinstance(word, list | tuple):
        for item in word:
            found = device_of(item, resources)
            if found is not None:
                return found
        return None
    if isinstance(word, Mapping):
        if "gpus" in word or "gpu" in word:
            return GPU if _gpus(word.get("gpus", word.get("gpu"))) else CPU
        return device_of(list(word), resources)
    if not isinstance(word, str):
        return None
    resource = resources.get(word)
    if isinstance(resource, Mapping):
        return GPU if _gpus(resource.get("gpus")) else CPU
    return DEVICE_WORDS.get(word.strip().lower())


def _gpus(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    if isinstance(value, str):
        text = value.strip().lower()
        return text not in ("", "0", "none", "false", "no")
    return False


def place(plan: ExecutionPlan, gpus: int | None = None) -> Placement:
    """Decide every stage's device; ``gpus`` is the number of CUDA devices (looked up when None).

    The device count is only looked up when some stage asks for a GPU, so plans that never mention one do not
    pay for probing CUDA.
    """
    resources = plan.execution.get("resources") if isinstance(plan.execution, Mapping) else None
    resources = resources if isinstance(resources, Mapping) else {}
    gpu_nodes: set[str] = set()
    errors: list[Diagnostic] = []
    infos: list[Diagnostic] = []
    for node in plan.nodes:
        if node.kind is not NodeKind.STAGE or not node.execution:
            continue
        execution = node.execution
        key = "require" if "require" in execution else "prefer" if "prefer" in execution else None
        if key is None:
            continue
        wanted = device_of(execution[key], resources)
        if wanted is None:
            errors.append(_unknown(plan, node, key, execution[key], resources))
            continue
        if wanted != GPU:
            continue
        if gpus is None:
            gpus = cuda_devices()
        if gpus > 0:
            gpu_nodes.add(node.id)
            continue
        fallback = device_of(execution.get("fallback"), resources) if "fallback" in execution else None
        if key == "require" and fallback != CPU:
            errors.append(_no_gpu(plan, node))
        else:
            infos.append(_fell_back(plan, node, key))
    return Placement(frozenset(gpu_nodes), tuple(errors), tuple(infos))


def _where(plan: ExecutionPlan, node: PlanNode) -> Any:
    from fasthep_flow.document.spans import Pos, Span

    if node.origin is not None:
        return line_span(node.origin.file, node.origin.line - 1)
    return Span.point(plan.workflow_file or "<plan>", Pos(0, 0))


def _name(node: PlanNode) -> str:
    return node.stage or node.id


def _no_gpu(plan: ExecutionPlan, node: PlanNode) -> Diagnostic:
    return Diagnostic(
        codes.DEVICE_UNAVAILABLE,
        Severity.ERROR,
        _where(plan, node),
        codes.DEVICE_UNAVAILABLE.message(0, stage=_name(node)),
        hint="run where a CUDA device and cupy are available, or write `prefer: gpu` (or add `fallback: cpu`) "
        "to let the stage run on the CPU",
        data={"node": node.id, "stage": node.stage},
    )


def _unknown(
    plan: ExecutionPlan, node: PlanNode, key: str, value: Any, resources: Mapping[str, Any]
) -> Diagnostic:
    known = sorted({*DEVICE_WORDS, *map(str, resources)})
    return Diagnostic(
        codes.DEVICE_UNAVAILABLE,
        Severity.ERROR,
        _where(plan, node),
        codes.DEVICE_UNAVAILABLE.message(1, stage=_name(node), key=key, value=value),
        hint=f"use one of: {', '.join(known)} (resource classes come from the workflow's execution.resources)",
        data={"node": node.id, "stage": node.stage},
    )


def _fell_back(plan: ExecutionPlan, node: PlanNode, key: str) -> Diagnostic:
    return Diagnostic(
        codes.DEVICE_FALLBACK,
        Severity.INFO,
        _where(plan, node),
        codes.DEVICE_FALLBACK.message(0, stage=_name(node), key=key),
        data={"node": node.id, "stage": node.stage},
    )
