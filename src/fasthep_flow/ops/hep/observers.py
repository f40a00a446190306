"""Observers: look at a node's stream without changing it.

Attached by `observers: [{kind, at}]` or by a stage's `inspect:`.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Port, Str

_MODE = Param(
    "mode",
    Str,
    default="first_partition",
    allowed=("partition", "first_partition"),
    allowed_docs=("every partition (one file per partition)", "only the first partition seen"),
    doc="Which partitions are observed.",
)
_FORMAT = Param("format", Str, default="json", pattern="^json$", doc="Output format (`json`).")

SCHEMA_SNAPSHOT = OpSpec(
    "hep.schema_snapshot",
    OpKind.OBSERVER,
    doc="Write the stream's schema (field names, types, jaggedness) at the observed node.",
    params=(
        Param("out", Str, doc="Output file inside the output directory (named after the node by default)."),
        _FORMAT,
        _MODE,
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.hep.observers_impl:schema_snapshot",
    plugin="hep",
)

BRANCHES = OpSpec(
    "hep.branches",
    OpKind.OBSERVER,
    doc="List the fields (branches) present in the stream at the observed node.",
    params=(
        Param("out", Str, doc="Output file inside the output directory (named after the node by default)."),
        _FORMAT,
        _MODE,
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("file", "file"),),
    impl="fasthep_flow.ops.hep.observers_impl:branches",
    plugin="hep",
)
