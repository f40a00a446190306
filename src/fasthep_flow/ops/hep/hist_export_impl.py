"""Histograms as output files: plain JSON data, and ROOT histograms written by uproot.

JSON has no NaN: non-finite numbers become null. ROOT keeps the flow bins and the sums of squared weights;
category axes become labelled bins (uproot writes a ``dataset`` axis as a TH2 with named bins).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import OUTPUT_ERROR
from fasthep_flow.ops.failures import OpError


def _finite(values: Any) -> Any:
    if isinstance(values, list):
        return [_finite(v) for v in values]
    if isinstance(values, float) and not math.isfinite(values):
        return None
    return values


def _axis(axis: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": axis.name, "label": axis.label, "type": type(axis).__name__.lower()}
    if axis.traits.continuous:
        out["edges"] = [float(e) for e in axis.edges]
    else:
        out["categories"] = [c.item() if hasattr(c, "item") else c for c in axis]
    out["underflow"] = bool(axis.traits.underflow)
    out["overflow"] = bool(axis.traits.overflow)
    return out


def hist_to_json(h: Any) -> dict[str, Any]:
    """Axes, storage, and bin values and variances with the flow bins (``flow`` marks which axes have them)."""
    variances = h.variances(flow=True)
    return {
        "axes": [_axis(a) for a in h.axes],
        "storage": type(h.storage_type()).__name__.lower(),
        "values": _finite(h.values(flow=True).tolist()),
        "variances": None if variances is None else _finite(variances.tolist()),
        "sum": _finite(float(h.values(flow=True).sum())),
    }


def hist_to_root(path: str | Path, hists: Mapping[str, Any]) -> Path:
    """Write ``{name: hist}`` into one ROOT file (to a temporary name, then renamed into place)."""
    import uproot

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with uproot.recreate(tmp) as out:
            for name, h in hists.items():
                if not 1 <= len(h.axes) <= 3:
                    raise OpError(
                        OUTPUT_ERROR, f"histogram '{name}' has {len(h.axes)} axes; ROOT holds 1 to 3"
                    )
                out[name] = h
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
