"""Small operations and a registry made for the runtime's tests.

They follow the op contract (``fasthep_flow.ops.contract``) but are independent of the real HEP ops, so the
runtime is tested on its own: what it calls, in which order, on which data, and what it does with the
results. The registry hands out real ``OpSpec`` objects whose ``impl`` points here (``runtime_toyops:...``);
worker processes import this module by that name (the test folder is on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fasthep_flow.document import codes
from fasthep_flow.ops.contract import Events, RunContext, StageResult
from fasthep_flow.ops.failures import OpError
from fasthep_flow.plan import DatasetPlan, Partition, SourcePlan
from fasthep_flow.registry.specs import OpKind, OpSpec

M = "runtime_toyops"

# --- sources ------------------------------------------------------------------------------------------------


def gen_entries(source: SourcePlan, file: str | None, dataset: DatasetPlan) -> int:
    if dataset.nevents is not None:
        return dataset.nevents
    return int(source.params.get("nevents", 1000))


def gen_columns(start: int, stop: int, seed: int = 0, dyadic: bool = False) -> dict[str, Any]:
    """Deterministic per entry, whatever the chunking.

    Weights are non-dyadic by default, so float sums depend on the order of additions; ``dyadic`` weights
    (multiples of 1/8) add exactly in any order.
    """
    import awkward as ak

    i = np.arange(start, stop, dtype=np.int64)
    x = ((i * 7919 + seed * 104729) % 1000) / 10.0
    w = ((i * 31 + seed) % 17 + 1) / 8.0 if dyadic else 0.1 + ((i * 31 + seed) % 17) / 7.0
    n = (i % 4).astype(np.int64)
    starts = np.cumsum(n) - n
    local = np.arange(int(n.sum())) - np.repeat(starts, n)  # index of the object inside its event
    flat = np.repeat(x, n) + local
    mu = ak.unflatten(flat, n)
    return {"i": i, "x": x, "w": w, "n": n, "mu": mu}


entries = gen_entries
"""The runtime looks for ``entries`` in the module of the source's ``read``."""


def gen_read(source: SourcePlan, part: Partition, fields: Sequence[str], ctx: RunContext) -> Events:
    stop = part.stop if part.stop is not None else gen_entries(source, None, ctx.dataset)
    params = source.params
    columns = gen_columns(part.start, stop, int(params.get("seed", 0)), bool(params.get("dyadic", False)))
    if fields:
        columns = {k: v for k, v in columns.items() if k in fields}
    return Events(columns, stop - part.start)


# --- products -----------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """A cutflow-like product: events and weights in and out of one cut."""

    label: str
    n_in: int
    n_out: int
    w_in: float
    w_out: float

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.label,
            self.n_in + other.n_in,
            self.n_out + other.n_out,
            self.w_in + other.w_in,
            self.w_out + other.w_out,
        )

    def to_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "step": self.label,
                "events_in": self.n_in,
                "events_out": self.n_out,
                "sumw_in": self.w_in,
                "sumw_out": self.w_out,
            }
        ]


def merge(a: Any, b: Any) -> Any:
    return a + b


# --- transforms ---------------------------------------------------------------------------------------------


def _weights(events: Events, params: Mapping[str, Any]) -> np.ndarray:
    """The ``weight`` field (``w`` by default); ``weight: null`` counts every event once."""
    name = params.get("weight", "w")
    return np.ones(len(events)) if name is None else np.asarray(events[name], dtype=np.float64)


def define(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    scale = params.get("scale", 2.0) * ctx.globals.get("factor", 1.0)
    return StageResult(events.with_columns({params.get("name", "y"): events["x"] * scale}))


def select(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    mask = np.asarray(events[params.get("field", "x")] >= params["min"])
    w = _weights(events, params)
    counts = Counts(
        f"{params.get('field', 'x')} >= {params['min']}",
        len(events),
        int(mask.sum()),
        float(w.sum()),
        float(w[mask].sum()),
    )
    return StageResult(events.filter(mask), {"cutflow": counts})


def histo(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    import awkward as ak
    import hist

    h = hist.Hist(hist.axis.Regular(20, 0, 200, name="x"), storage=hist.storage.Weight())
    values = events[params.get("field", "x")]
    weights: Any = _weights(events, params)
    if isinstance(values, ak.Array):
        weights = ak.flatten(ak.broadcast_arrays(weights, values)[0]).to_numpy()
        values = ak.flatten(values).to_numpy()
    h.fill(values, weight=weights)
    return StageResult(None, {"hist": h})


def boom(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    datasets = params.get("datasets")
    if datasets is None or ctx.dataset.name in datasets:
        raise ValueError(f"boom in {ctx.stage} at entry {ctx.partition.start}")
    return StageResult(None)


def user_mistake(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    raise OpError(
        codes.RUNTIME_MISSING_FIELD, "field 'Muon_Pt' is not in the data", "did you mean 'Muon_Px'?"
    )


def flaky(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    """Fails the first time it sees a partition (a marker file remembers it across processes)."""
    marker = Path(params["markers"]) / f"{ctx.dataset.name}.{ctx.partition.index}"
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("seen")
        raise RuntimeError("transient failure")
    return StageResult(None)


def slow(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    time.sleep(params.get("seconds", 1.0))
    return StageResult(None)


def context_probe(events: Events, params: Mapping[str, Any], ctx: RunContext) -> StageResult:
    """Records what the runtime told the op, as a product (so tests can inspect it after merging)."""
    seen = {
        "symbols": {
            k: ctx.symbols[k] for k in ("dataset", "dataset_name", "file", "entries", "start", "stop")
        },
        "pi": ctx.symbols.get("pi"),
        "functions": sorted(ctx.functions),
        "globals": dict(ctx.globals),
        "stage": ctx.stage,
    }
    return StageResult(None, {"seen": Seen([seen])})


@dataclass
class Seen:
    items: list[dict[str, Any]]

    def __add__(self, other: Seen) -> Seen:
        return Seen(self.items + other.items)


def twice(x: Any) -> Any:
    return 2 * x


# --- sinks, renders, observers ------------------------------------------------------------------------------


def write_json(events: Events, params: Mapping[str, Any], ctx: RunContext) -> list[Path]:
    path = Path(ctx.outdir) / params["path"]  # the runtime hands an absolute path inside the output folder
    keep = params.get("keep", ["i", "x"])
    data = {k: np.asarray(events[k]).tolist() for k in keep if k in events}
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
    return [path]


def render_json(
    products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext
) -> list[Path]:
    summary = {
        name: float(p.values().sum()) if hasattr(p, "values") else p.n_out for name, p in products.items()
    }
    payload = {"title": style.get("title"), "sums": summary, "eventtypes": style.get("_eventtypes")}
    Path(out).write_text(json.dumps(payload))
    return [Path(out)]


def snapshot(events: Events, params: Mapping[str, Any], ctx: RunContext) -> list[Path]:
    out = Path(params["out"])
    out.write_text(json.dumps({"fields": sorted(events), "entries": len(events)}))
    return [out]


# --- the registry -------------------------------------------------------------------------------------------


def _spec(name: str, kind: OpKind, impl: str | None) -> OpSpec:
    return OpSpec(name, kind, doc=f"test op {name}", impl=f"{M}:{impl}" if impl else None, plugin="test")


class ToyRegistry:
    """Answers the lookups the runtime makes, with specs pointing at this module."""

    merge_products = f"{M}:merge"
    functions: Mapping[str, Any]
    constants: Mapping[str, Any]

    def __init__(self) -> None:
        self._sources = {
            "gen": _spec("gen", OpKind.SOURCE, "gen_read"),
            "root": OpSpec("root", OpKind.SOURCE, doc="test", impl="runtime_rootsource:read"),
        }
        self._stages = {
            name: _spec(name, OpKind.TRANSFORM, name)
            for name in (
                "define",
                "select",
                "histo",
                "boom",
                "user_mistake",
                "flaky",
                "slow",
                "context_probe",
            )
        }
        self._stages["no_impl"] = _spec("no_impl", OpKind.TRANSFORM, None)
        self._stages["json_sink"] = _spec("json_sink", OpKind.SINK, "write_json")
        self._renders = {"sums": _spec("sums", OpKind.RENDER, "render_json")}
        self._observers = {"snapshot": _spec("snapshot", OpKind.OBSERVER, "snapshot")}
        from fasthep_flow.registry.specs import FunctionSpec

        self.functions = {"twice": FunctionSpec("twice", 1, 1, "doubles", f"{M}:twice")}
        self.constants = {"pi": 3.25}

    def stage_op(self, name: str) -> OpSpec | None:
        return self._stages.get(name)

    def source(self, name: str) -> OpSpec | None:
        return self._sources.get(name)

    def render(self, name: str) -> OpSpec | None:
        return self._renders.get(name)

    def observer(self, name: str) -> OpSpec | None:
        return self._observers.get(name)
