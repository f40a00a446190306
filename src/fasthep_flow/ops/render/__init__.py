"""The render plugin: plots and tables drawn from merged products (matplotlib/mplhep imported lazily)."""

from fasthep_flow.ops.render import (
    comparison,
    cutflow_csv,
    data_mc,
    heatmap2d,
    hist1d,
    pending,
    project,
    report_template,
    schema_validation,
)
from fasthep_flow.registry.specs import Plugin

PLUGIN = Plugin(
    "render",
    ops=(
        hist1d.SPEC,
        data_mc.SPEC,
        heatmap2d.SPEC,
        project.SPEC,
        comparison.SPEC,
        cutflow_csv.SPEC,
        *pending.SPECS,
        schema_validation.STAGE_SPEC,
        report_template.SPEC,
    ),
    doc="Histogram plots and cutflow tables, driven by `styles:`.",
)

__all__ = ["PLUGIN"]
