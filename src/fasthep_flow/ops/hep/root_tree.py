"""`root_tree`: read TTrees and RNTuples (source) and write them (sink).

uproot is imported inside the implementation functions only.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import Bool, Field, Int, ListOf, OpKind, OpSpec, Param, Port, Str

SOURCE_SPEC = OpSpec(
    "root_tree",
    OpKind.SOURCE,
    doc="Read a TTree or RNTuple from the dataset's ROOT files, in partitions of entries.",
    params=(
        Param("tree", Str, required=True, doc="Name of the TTree or RNTuple in each file, e.g. `events`."),
        Param(
            "branches",
            ListOf(Str),
            doc="Branches to read; these become the stream's fields. Filled from the workflow's data-flow "
            "(every field it uses that no stage defines) when absent.",
        ),
        Param(
            "missing_branches",
            Str,
            default="error",
            allowed=("error", "ignore"),
            allowed_docs=("a listed branch absent from a file is an error", "skip absent branches"),
            doc="What to do when a listed branch is not in a file.",
        ),
        Param("start", Int, minimum=0, doc="First entry read from each file."),
        Param("stop", Int, minimum=0, doc="Entry after the last one read from each file."),
        Param("stream_type", Str, default="event_stream", doc="Kind of stream produced."),
        Param(
            "metadata_only", Bool, default=False, doc="Read only file metadata (entry counts), no branches."
        ),
    ),
    outputs=(Port("events", "stream"),),
    writes=("branches[]",),
    impl="fasthep_flow.ops.hep.root_tree_impl:read",
    plugin="hep",
)

SINK_SPEC = OpSpec(
    "root_tree",
    OpKind.SINK,
    doc="Write the stream to a ROOT file (RNTuple by default, or TTree) inside the output directory.",
    params=(
        Param(
            "path", Str, required=True, doc="File path inside the output directory (no `..`, not absolute)."
        ),
        Param("tree", Str, default="events", doc="Name of the tree written."),
        Param("keep", ListOf(Field), doc="Fields to write; every field of the stream when absent."),
        Param(
            "format",
            Str,
            default="rntuple",
            allowed=("rntuple", "ttree"),
            allowed_docs=("ROOT's columnar RNTuple", "classic TTree"),
            doc="On-disk format.",
        ),
        Param(
            "compression",
            Str,
            default="zlib",
            allowed=("zlib", "lz4", "zstd", "none"),
            doc="Compression algorithm.",
        ),
        Param(
            "compression_level",
            Int,
            default=1,
            minimum=0,
            maximum=9,
            doc="Compression level of the algorithm, 0 (fastest) to 9 (smallest).",
        ),
    ),
    inputs=(Port("events", "stream"),),
    outputs=(Port("file", "file"),),
    reads=("keep[]",),
    impl="fasthep_flow.ops.hep.root_tree_impl:write",
    plugin="hep",
)
