"""``curator.root_tree_schema`` and ``curator.compare_schemas``: tree schemas as plain data, and their diff.

The documents carry upstream's key names (``kind: schema_snapshot`` / ``schema_comparison``, ``field_details``,
``summary``...), so tools reading upstream's ``artifacts/schemas`` and ``artifacts/comparisons`` read ours.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.document.codes import INPUT_ERROR, STAGE_FAILED
from fasthep_flow.ops.contract import DATASETS_SYMBOL, RunContext
from fasthep_flow.ops.failures import OpError

LOGICAL_TYPES = {
    **dict.fromkeys(("bool", "Bool_t"), "bool"),
    **dict.fromkeys(("char", "Char_t", "signed char", "int8_t"), "int8"),
    **dict.fromkeys(("unsigned char", "UChar_t", "uint8_t"), "uint8"),
    **dict.fromkeys(("short", "Short_t", "int16_t"), "int16"),
    **dict.fromkeys(("unsigned short", "UShort_t", "uint16_t"), "uint16"),
    **dict.fromkeys(("int", "Int_t", "int32_t"), "int32"),
    **dict.fromkeys(("unsigned int", "UInt_t", "uint32_t"), "uint32"),
    **dict.fromkeys(("long", "Long64_t", "int64_t"), "int64"),
    **dict.fromkeys(("unsigned long", "ULong64_t", "uint64_t"), "uint64"),
    **dict.fromkeys(("float", "Float_t"), "float32"),
    **dict.fromkeys(("double", "Double_t"), "float64"),
}
"""C++/ROOT type names → NumPy-style names (a name not listed stays as it is)."""


def primitive_type(type_name: str) -> str:
    """The element type: ``float[]`` → ``float``."""
    name = type_name.strip().removesuffix("[]")
    return name or "unknown"


def shape_of(type_name: str, interpretation: str) -> str:
    """``jagged`` for a list per entry (``float[]``, an ``AsJagged`` reading, an RNTuple ``std::vector<>``)."""
    name = type_name.strip()
    listy = name.endswith("[]") or name.startswith(("std::vector<", "ROOT::VecOps::RVec<", "ROOT::RVec<"))
    return "jagged" if listy or "AsJagged" in interpretation else "scalar"


def _write(ctx: RunContext, family: str, key: str, document: Mapping[str, Any]) -> None:
    """``artifacts/<family>/<stage>.json`` and the family's ``manifest.json`` listing it, inside the output."""
    folder = ctx.outdir / "artifacts" / family
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ctx.stage}.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    manifest_path = folder / "manifest.json"
    manifest: dict[str, Any] = {key: []}
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
    items = [i for i in manifest.get(key, []) if i.get("id") != ctx.stage]
    items.append(
        {"id": ctx.stage, "path": f"artifacts/{family}/{ctx.stage}.json", "producer": f"stage.{ctx.stage}"}
    )
    manifest[key] = sorted(items, key=lambda i: str(i["id"]))
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def root_tree_schema(inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: RunContext) -> dict[str, Any]:
    del inputs
    dataset = str(params["dataset"])
    record = dict(ctx.symbols.get(DATASETS_SYMBOL, {}).get(dataset) or {})
    files = list(record.get("files") or ())
    path = str(params.get("file") or (files[0] if files else ""))
    if not path:
        raise OpError(INPUT_ERROR, f"dataset '{dataset}' has no files to read a schema from", "give `file:`")
    tree_name = str(params.get("tree") or "Events")
    meta = dict(record.get("meta") or {})
    schema = tree_schema(
        Path(path),
        tree_name,
        dataset,
        {**meta, "eventtype": record.get("eventtype"), "group": meta.get("group") or dataset},
    )
    _write(ctx, "schemas", "schemas", schema)
    return {"schema": schema}


def tree_schema(path: Path, tree_name: str, dataset: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Every branch of the tree with its types and shape, and which branches count others."""
    import uproot

    if not path.is_file():
        raise OpError(INPUT_ERROR, f"cannot read a schema from '{path}': no such file", "check the path")
    with uproot.open(path) as handle:
        try:
            tree = handle[tree_name]
        except KeyError:
            raise OpError(
                INPUT_ERROR,
                f"'{path}' holds no tree '{tree_name}'",
                "its trees: " + ", ".join(sorted({k.split(";")[0] for k in handle.keys(recursive=False)})),
            ) from None
        if not hasattr(tree, "typenames"):  # an RNTuple, a histogram...
            raise OpError(
                INPUT_ERROR, f"'{tree_name}' in '{path}' is not a TTree", "schemas are read from TTrees"
            )
        names = [str(k) for k in tree.keys()]  # noqa: SIM118 (iterating a TTree yields branches, not names)
        typenames = tree.typenames()
        details: dict[str, dict[str, Any]] = {}
        counters: dict[str, list[str]] = {}
        counted_by: dict[str, str] = {}
        for name in names:
            count = getattr(tree[name], "count_branch", None)
            if count is not None:
                counted_by[name] = count.name
                counters.setdefault(count.name, []).append(name)
        for name in names:
            type_name = str(typenames.get(name, "unknown"))
            interpretation = str(getattr(tree[name], "interpretation", "unknown"))
            primitive = primitive_type(type_name)
            detail: dict[str, Any] = {
                "name": name,
                "type": type_name,
                "primitive_type": primitive,
                "logical_type": LOGICAL_TYPES.get(primitive, primitive),
                "shape": shape_of(type_name, interpretation),
                "nullable": "unknown",
                "interpretation": interpretation,
            }
            if name in counters:
                detail["physical_role"] = "ttree_counter"
                detail["counter_for"] = sorted(counters[name])
            if name in counted_by:
                detail["counter_branch"] = counted_by[name]
            details[name] = detail
        entries = int(tree.num_entries)
    return {
        "version": "1.0",
        "kind": "schema_snapshot",
        "dataset": dataset,
        "tree": tree_name,
        "source_file": str(path),
        "entry_count": entries,
        "fields": names,
        "field_details": details,
        "physical_counters": {k: sorted(v) for k, v in counters.items()},
        "metadata": dict(metadata),
    }


def _fields(schema: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The schema's fields to compare: a counter branch only when the other schema has it as a plain branch."""
    details = schema.get("field_details") or {}
    others = other.get("field_details") or {}
    out: dict[str, Mapping[str, Any]] = {}
    for name, detail in details.items():
        if detail.get("physical_role") == "ttree_counter":
            counterpart = others.get(name)
            if counterpart is None or counterpart.get("physical_role") == "ttree_counter":
                continue
        out[str(name)] = detail
    return out


def compare_schemas(inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: RunContext) -> dict[str, Any]:
    reference, target = inputs.get("reference"), inputs.get("target")
    for label, schema in (("reference", reference), ("target", target)):
        if not isinstance(schema, Mapping) or schema.get("kind") != "schema_snapshot":
            raise OpError(
                STAGE_FAILED, f"the {label} input is not a tree schema", "bind a root_tree_schema stage"
            )
    assert isinstance(reference, Mapping) and isinstance(target, Mapping)
    ref_fields, tgt_fields = _fields(reference, target), _fields(target, reference)
    common = sorted(set(ref_fields) & set(tgt_fields))
    types: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    compatible: list[str] = []
    for name in common:
        a, b = ref_fields[name], tgt_fields[name]
        same_type = a.get("primitive_type") == b.get("primitive_type")
        same_shape = a.get("shape") == b.get("shape")
        if same_type and same_shape:
            compatible.append(name)
        if not same_type:
            types.append(
                {"field": name, "reference": a.get("primitive_type"), "target": b.get("primitive_type")}
            )
        if not same_shape:
            shapes.append({"field": name, "reference": a.get("shape"), "target": b.get("shape")})
    only_ref = sorted(set(ref_fields) - set(tgt_fields))
    only_tgt = sorted(set(tgt_fields) - set(ref_fields))
    comparison = {
        "version": "1.0",
        "kind": "schema_comparison",
        "reference": params.get("reference_label") or reference.get("dataset") or "unknown",
        "target": params.get("target_label") or target.get("dataset") or "unknown",
        "reference_dataset": reference.get("dataset") or "unknown",
        "target_dataset": target.get("dataset") or "unknown",
        "common_fields": common,
        "only_in_reference": only_ref,
        "only_in_target": only_tgt,
        "type_mismatches": types,
        "shape_mismatches": shapes,
        "compatible_fields": compatible,
        "summary": {
            "reference_fields": len(ref_fields),
            "target_fields": len(tgt_fields),
            "common_fields": len(common),
            "only_in_reference": len(only_ref),
            "only_in_target": len(only_tgt),
            "type_mismatches": len(types),
            "shape_mismatches": len(shapes),
            "compatible_fields": len(compatible),
        },
    }
    _write(ctx, "comparisons", "comparisons", comparison)
    return {"comparison": comparison}
