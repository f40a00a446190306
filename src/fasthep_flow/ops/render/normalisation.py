"""How much each simulated dataset is scaled by in a plot: luminosity × cross section / sum of weights.

Units are the usual ones of the field: the luminosity in fb⁻¹ (what the experiment label prints) and cross
sections in pb, so the scale is ``lumi × 1000 × xs / sumw``. Each input has our spelling and upstream's:

- luminosity: the style's ``experiment.lumi`` (ours) or ``style.lumi`` (upstream); else the sum of ``lumi``
  over the data datasets drawn (a data dataset's own integrated luminosity), or over all the run's data
  datasets when the plot draws none;
- cross section: the dataset's ``cross_section`` (ours) or ``xs`` (upstream), times its
  ``filter_efficiency`` when given;
- sum of weights: the dataset's ``sum_weights`` (ours) or ``n_unskimmed_events`` (upstream) when given, else
  what the run measured over every event it read for the dataset, before any selection: the sum of the
  dataset's ``generator_weight`` column when it names one, else the number of events.

A simulated dataset without a cross section, or a plot without a luminosity, is drawn unscaled; data never
is scaled. The runtime hands the measured numbers to renders as ``style["_datasets"]`` (see
:data:`DATASETS_KEY`); the renderers call :func:`mc_scales` and nothing else, so a test of it is a test of
what is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DATASETS_KEY = "_datasets"
"""Style key the runtime fills: ``{dataset: {"eventtype", "meta", "events_read", "generator_weights"}}``."""
PB_PER_INVERSE_FB = 1000.0
"""1 fb⁻¹ × 1 pb = 1000 events."""


@dataclass(frozen=True)
class Scale:
    """The factor a dataset is drawn with, and its inputs (for the plot's legend or a reader's check)."""

    factor: float
    lumi: float
    cross_section: float
    sum_weights: float


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number


def luminosity(style: Mapping[str, Any], data: Iterable[str] = ()) -> float | None:
    """The integrated luminosity in fb⁻¹ the plot is for, or None when the workflow gives none."""
    experiment = style.get("experiment")
    if isinstance(experiment, Mapping) and _number(experiment.get("lumi")) is not None:
        return _number(experiment.get("lumi"))
    upstream = style.get("style")
    if isinstance(upstream, Mapping) and _number(upstream.get("lumi")) is not None:
        return _number(upstream.get("lumi"))
    infos = style.get(DATASETS_KEY) or {}
    names = list(data) or [n for n, info in infos.items() if (info or {}).get("eventtype") == "data"]
    lumis = [_number(((infos.get(d) or {}).get("meta") or {}).get("lumi")) for d in names]
    known = [x for x in lumis if x is not None]
    return sum(known) if known else None


def cross_section(meta: Mapping[str, Any]) -> float | None:
    """The dataset's cross section in pb (``cross_section`` or upstream's ``xs``) × ``filter_efficiency``."""
    xs = _number(meta.get("cross_section"))
    if xs is None:
        xs = _number(meta.get("xs"))
    if xs is None:
        return None
    efficiency = _number(meta.get("filter_efficiency"))
    return xs * (efficiency if efficiency is not None else 1.0)


def sum_of_weights(info: Mapping[str, Any]) -> float | None:
    """The sum of generator weights of a dataset: given by the workflow, else measured over all events read."""
    meta = info.get("meta") or {}
    for key in ("sum_weights", "n_unskimmed_events"):
        value = _number(meta.get(key))
        if value is not None:
            return value
    measured = _number(info.get("generator_weights"))
    if measured is not None:
        return measured
    return _number(info.get("events_read"))


def mc_scales(style: Mapping[str, Any], mc: Iterable[str], data: Iterable[str] = ()) -> dict[str, Scale]:
    """The scale of each simulated dataset that can be normalised (others are absent: drawn as filled)."""
    lumi = luminosity(style, data)
    if lumi is None:
        return {}
    infos = style.get(DATASETS_KEY) or {}
    out: dict[str, Scale] = {}
    for name in mc:
        info = infos.get(name) or {}
        if info.get("eventtype", "mc") == "data":
            continue
        xs = cross_section(info.get("meta") or {})
        sumw = sum_of_weights(info)
        if xs is None or not sumw:
            continue
        out[name] = Scale(lumi * PB_PER_INVERSE_FB * xs / sumw, lumi, xs, sumw)
    return out
