"""`hep.merge_fields`: the fields of several streams of one partition side by side, in one stream."""

from __future__ import annotations

from fasthep_flow.registry.specs import OpKind, OpSpec, Param, Port, Str

SPEC = OpSpec(
    "hep.merge_fields",
    OpKind.TRANSFORM,
    doc="Merge the fields of several streams of the same events into one stream. The streams are the stage's "
    "`from` entries (`[{node: A, as: a}, {node: B, as: b}]`), in order; they must hold the same number of "
    "events (merge before filtering, or filter each input alike). A field present in several inputs is taken "
    "as `on_conflict` says.",
    params=(
        Param(
            "on_conflict",
            Str,
            default="keep_first",
            allowed=("keep_first", "keep_last", "error"),
            allowed_docs=(
                "the first input holding the field wins (the order of `from`)",
                "the last input holding the field wins",
                "a field whose values differ between inputs fails the partition (a branch both inputs carry "
                "from the source is not a conflict); a field two branches define is reported by check",
            ),
            doc="Which input's field is kept when several inputs hold a field of that name.",
        ),
    ),
    inputs=(Port("streams", "stream"),),
    outputs=(Port("events", "stream"),),
    impl="fasthep_flow.ops.hep.merge_fields_impl:run",
    plugin="hep",
    streams=True,
)
