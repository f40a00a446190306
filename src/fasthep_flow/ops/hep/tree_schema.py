"""`curator.root_tree_schema` and `curator.compare_schemas`: the schema of a ROOT tree (branches and types) and
the comparison of two such schemas — once per run, after the partitions (``OpSpec.once``).

Checking a workflow opens nothing for them: the tree is read when the run reaches the stage.
"""

from __future__ import annotations

from fasthep_flow.registry.specs import Bool, DatasetName, OpKind, OpSpec, Param, Port, Str

ROOT_TREE_SCHEMA = OpSpec(
    "curator.root_tree_schema",
    OpKind.TRANSFORM,
    doc="The schema of a ROOT tree: every branch with its C++ type, primitive and logical type, shape (scalar or "
    "jagged) and counter branch, plus the tree's entry count. Read once per run from the dataset's first file "
    "(or `file`), written to `artifacts/schemas/<stage id>.json`; the product `schema` feeds "
    "`curator.compare_schemas`.",
    params=(
        Param("dataset", DatasetName, required=True, doc="The dataset whose first file is read."),
        Param("tree", Str, default="Events", doc="The tree's name in the file."),
        Param(
            "file",
            Str,
            doc="Read this file instead of the dataset's first (relative to the working directory).",
        ),
        Param(
            "full_schema",
            Bool,
            default=True,
            allowed=(True,),
            allowed_docs=("every branch of the tree (the only form upstream runs)",),
            doc="Whether the schema lists every branch.",
        ),
    ),
    outputs=(Port("schema", "table"),),
    impl="fasthep_flow.ops.hep.tree_schema_impl:root_tree_schema",
    plugin="hep",
    leads_stream=False,
    once=True,
)

COMPARE_SCHEMAS = OpSpec(
    "curator.compare_schemas",
    OpKind.TRANSFORM,
    doc="Compare two tree schemas: fields in both, only in one, and those whose type or shape differ. The schemas "
    "are the products of two `curator.root_tree_schema` stages bound by `from: [{node: A, as: reference}, "
    "{node: B, as: target}]`; the comparison is written to `artifacts/comparisons/<stage id>.json` and feeds "
    "`hep.render.schema_validation`. A counter branch (`NMuon` of `Muon_Px[NMuon]`) is left out unless the "
    "other schema holds it as an ordinary branch.",
    params=(
        Param("reference_label", Str, doc="The reference's name in the comparison (default: its dataset)."),
        Param("target_label", Str, doc="The target's name in the comparison (default: its dataset)."),
    ),
    inputs=(Port("reference", "table"), Port("target", "table")),
    outputs=(Port("comparison", "table"),),
    impl="fasthep_flow.ops.hep.tree_schema_impl:compare_schemas",
    plugin="hep",
    leads_stream=False,
    once=True,
)
