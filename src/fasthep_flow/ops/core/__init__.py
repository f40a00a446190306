"""The core plugin: domain-agnostic ops (toy data, Parquet) and the expression functions.

Only specs are imported here; implementations load their heavy libraries inside functions.
"""

from fasthep_flow.ops.core import functions, parquet, toy
from fasthep_flow.registry.specs import Plugin

PLUGIN = Plugin(
    "core",
    ops=(toy.SPEC, parquet.SOURCE_SPEC, parquet.SINK_SPEC),
    functions=functions.FUNCTIONS,
    constants=functions.CONSTANTS,
    doc="Tabular and toy-data ops and the expression functions.",
)

__all__ = ["PLUGIN"]
