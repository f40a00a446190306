"""Ops written in Python for python_op.flow.yaml: `@fasthep_flow.op` makes each typed function an op.

fasthep-flow imports this module only when the workspace is trusted (`--trust`, the editor's workspace trust);
until then `check` reports the two ops as not loaded (FF112) and `run` refuses the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np

import fasthep_flow


@fasthep_flow.op("lab.smear", reads=("column",), writes=("output",))
def smear(
    events,
    column: str,
    resolution: Annotated[float, "Relative Gaussian resolution, e.g. 0.02 for 2%."] = 0.02,
    output: str = "Smeared",
    seed: Annotated[int, "Seed of the random generator (per partition: seed + partition index)."] = 1,
    mode: Literal["gauss", "none"] = "gauss",
    ctx=None,
):
    """Smear a (jagged) column by a relative Gaussian resolution, as a detector would."""
    import awkward as ak

    values = events[column]
    if mode == "none":
        return {output: values}
    flat, counts = ak.flatten(values), ak.num(values)
    rng = np.random.default_rng(seed + (ctx.partition.index if ctx is not None else 0))
    scale = 1.0 + resolution * rng.standard_normal(len(flat))
    return {output: ak.unflatten(np.asarray(flat) * scale, counts)}


@dataclass
class Window:
    column: str
    low: float = 60.0
    high: float = 120.0


@fasthep_flow.op("lab.window", reads=("column",))
def window(events, params: Window):
    """Keep the events whose column lies in [low, high)."""
    values = np.asarray(events[params.column], dtype=float)
    return events.filter((values >= params.low) & (values < params.high))
