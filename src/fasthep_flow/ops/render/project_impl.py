"""``hep.render.project``: project each histogram onto one axis, then draw it with another style (§12).

``project.axis`` is kept, and so are the dataset axis (unless ``keep_dataset: false``) and a ``variation``
axis (the drawing style reads its ``nominal``); every other axis is summed, flow bins included. The
projection is handed to the op of ``project.then`` — a style, already expanded by the compiler from
``{use, with}`` or a style name — with that style's own keys; the run-side keys of the outer style (the
datasets' event types and metadata) travel along, so a ``data_mc`` drawn this way scales as a direct one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import PARAM_VALUE
from fasthep_flow.ops.contract import RunContext
from fasthep_flow.ops.failures import OpError
from fasthep_flow.ops.render.plotting_impl import VARIATION_AXIS, hist_of

DATASET_AXES = ("dataset", "dataset_name")
DRAWS_PROJECTION = (
    "hep.render.hist1d",
    "hep.render.data_mc",
    "hep.render.heatmap2d",
    "hep.render.comparison",
)
"""The render ops ``project.then`` may name (the same list ``check`` holds it to)."""


def projected(h: Any, axis: str, keep_dataset: bool) -> Any:
    """``h`` summed over every axis but ``axis`` (and the dataset and variation axes when kept)."""
    names = [a.name for a in h.axes]
    if axis not in names:
        raise OpError(
            PARAM_VALUE,
            f"`project.axis`: the histogram has no axis '{axis}'",
            "its axes: " + ", ".join(names),
        )
    kept = [n for n in names if n in (axis, VARIATION_AXIS) or (keep_dataset and n in DATASET_AXES)]
    return h.project(*kept)


def _then_renderer(op: str) -> Callable[..., list[Path]]:
    """The render function of a render op of this plugin, by name (the same ``impl`` its spec names)."""
    from fasthep_flow.ops.render import PLUGIN

    spec = next((s for s in PLUGIN.ops if s.name == op), None)
    if spec is None or op not in DRAWS_PROJECTION or not spec.impl:
        raise OpError(
            PARAM_VALUE,
            f"`project.then` draws with '{op}', which cannot draw a projection",
            "use a style whose `op` is hep.render.hist1d, hep.render.data_mc or hep.render.heatmap2d",
        )
    module, _, name = spec.impl.partition(":")
    fn: Callable[..., list[Path]] = getattr(importlib.import_module(module), name)
    return fn


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    block = style.get("project")
    if not isinstance(block, Mapping) or not block.get("axis"):
        raise OpError(PARAM_VALUE, "`project.axis` is required: the axis to project onto")
    then = block.get("then")
    if not isinstance(then, Mapping):
        raise OpError(
            PARAM_VALUE,
            f"`project.then` names no style the run knows ({then!r})",
            "give a style name defined under `styles:` or `{use: <style>, with: {...}}`",
        )
    axis, keep = str(block["axis"]), bool(block.get("keep_dataset", True))
    inner = {k: v for k, v in then.items() if k not in ("use", "with")}
    inner.update({k: v for k, v in style.items() if k.startswith("_")})
    fn = _then_renderer(str(inner.get("op") or "hep.render.hist1d"))
    return fn({name: projected(hist_of(p), axis, keep) for name, p in products.items()}, inner, out, ctx)
