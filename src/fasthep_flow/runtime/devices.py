"""Moving a stage's columns to a GPU and back, for the stages ``gpu_placement.py`` put there.

A stage placed on a GPU gets its input columns on the CUDA device (awkward arrays through awkward's ``cuda``
backend, NumPy arrays as CuPy arrays), runs its op there, and hands its output columns back on the CPU, so
the stages after it, the merges and the writers see the same kinds of arrays as on a CPU-only run. Products
(histograms, cutflows) are built by the ops themselves and stay CPU objects.

awkward and cupy are imported only when a stage is actually placed on a GPU.
"""

from __future__ import annotations

from typing import Any

from fasthep_flow.ops.contract import Events


def to_gpu(events: Events) -> Events:
    return Events({name: _column_to(value, "cuda") for name, value in events.columns.items()}, len(events))


def to_cpu(events: Events) -> Events:
    return Events({name: _column_to(value, "cpu") for name, value in events.columns.items()}, len(events))


def _column_to(value: Any, backend: str) -> Any:
    import awkward as ak

    if isinstance(value, ak.Array):
        return ak.to_backend(value, backend)
    if backend == "cuda":
        import cupy

        return cupy.asarray(value)
    get = getattr(value, "get", None)  # a CuPy array copies itself to the host with .get()
    return get() if callable(get) and type(value).__module__.startswith("cupy") else value
