"""`parquet`: a tabular source (files from the dataset) and a sink; not tied to HEP.

Two specs share the name because sources and stages are separate namespaces. Implementations (added below by
the runtime work) import pyarrow/awkward inside functions.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import Field, ListOf, OpKind, OpSpec, Param, Port, Str

SOURCE_SPEC = OpSpec(
    "parquet",
    OpKind.SOURCE,
    doc="Read Parquet files listed by the dataset, as a stream of columns.",
    params=(
        Param(
            "columns",
            ListOf(Str),
            doc="Columns to read (a projection); every column when absent. These become the stream's fields.",
        ),
    ),
    outputs=(Port("events", "stream"),),
    writes=("columns[]",),
    impl="fasthep_flow.ops.core.parquet_impl:read",
    plugin="core",
)

SINK_SPEC = OpSpec(
    "parquet",
    OpKind.SINK,
    doc="Write the stream to a Parquet file inside the output directory.",
    params=(
        Param(
            "path", Str, required=True, doc="File path inside the output directory (no `..`, not absolute)."
        ),
        Param("keep", ListOf(Field), doc="Fields to write; every field of the stream when absent."),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("file", "file"),),
    reads=("keep[]",),
    impl="fasthep_flow.ops.core.parquet_impl:write",
    plugin="core",
)
