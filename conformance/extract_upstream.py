"""Turn one upstream output folder into figures (JSON on stdout).

Run **only with the upstream venv's interpreter**: it unpickles upstream's histograms, which needs upstream's
``hist``; the project itself never reads a pickle. Usage: ``<upstream venv>/bin/python extract_upstream.py OUTDIR``.

Figures: every cutflow step per dataset label (unweighted counts, sums of weights and of squared weights), every
histogram's axes and its values and variances including flow bins, and per written event file its entry count and
top-level field names. Keys are paths below the ``artifacts`` folder without the suffix, so plan-mode systematics
(``artifacts/<variation>/...``) keep their variation as a path prefix.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

_AXIS_KINDS = {
    "Regular": "regular",
    "Variable": "variable",
    "Integer": "integer",
    "IntCategory": "intcategory",
    "StrCategory": "strcategory",
    "Boolean": "boolean",
}


def _axis(axis: object) -> dict[str, object]:
    kind = _AXIS_KINDS.get(type(axis).__name__, type(axis).__name__.lower())
    traits = axis.traits  # type: ignore[attr-defined]
    out: dict[str, object] = {
        "name": axis.name,  # type: ignore[attr-defined]
        "kind": kind,
        "underflow": bool(traits.underflow),
        "overflow": bool(traits.overflow),
    }
    if kind in ("strcategory", "intcategory", "boolean"):
        out["categories"] = [c if isinstance(c, str) else int(c) for c in axis]  # type: ignore[attr-defined]
    else:
        out["edges"] = [float(e) for e in axis.edges]  # type: ignore[attr-defined]
    return out


def _storage(h: object) -> str:
    name = type(h.storage_type()).__name__ if callable(getattr(h, "storage_type", None)) else ""  # type: ignore[attr-defined]
    if not name:
        name = h.storage_type.__name__  # type: ignore[attr-defined]
    return {"Weight": "weight", "Double": "double", "Int64": "int64"}.get(name, name.lower())


def histogram(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        h = pickle.load(fh)
    variances = h.variances(flow=True) if _storage(h) == "weight" else None
    return {
        "axes": [_axis(a) for a in h.axes],
        "storage": _storage(h),
        "values_flow": h.values(flow=True).tolist(),
        "variances_flow": None if variances is None else variances.tolist(),
    }


def cutflow(path: Path) -> dict[str, list[dict[str, object]]]:
    data = json.loads(path.read_text())
    by_label: dict[str, list[dict[str, object]]] = {}
    for node in data.get("nodes", []):
        for label, st in node.get("stats", {}).items():
            by_label.setdefault(label, []).append(
                {
                    "id": node["id"],
                    "label": node.get("label"),
                    "events_in": int(st["n_unweighted_in"]),
                    "events_out": int(st["n_unweighted_out"]),
                    "sumw_in": float(st["sumw_in"]),
                    "sumw_out": float(st["sumw_out"]),
                    "sumw2_in": float(st["sumw2_in"]),
                    "sumw2_out": float(st["sumw2_out"]),
                }
            )
    return by_label


def event_file(path: Path) -> dict[str, object]:
    import uproot

    with uproot.open(path) as f:
        trees = {}
        for key, cls in f.classnames().items():
            if cls in ("TTree", "ROOT::RNTuple", "ROOT::Experimental::RNTuple"):
                obj = f[key]
                fields = list(obj.keys(recursive=False)) if cls == "TTree" else [fl.name for fl in obj.fields]
                trees[key.split(";")[0]] = {"entries": int(obj.num_entries), "fields": sorted(fields)}
        return {"trees": trees}


def _key(path: Path, root: Path, folder: str) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [p for p in rel.parts if p != folder]
    return "/".join(parts)


def extract(outdir: Path) -> dict[str, object]:
    artifacts = outdir / "artifacts"
    figures: dict[str, object] = {"cutflows": {}, "histograms": {}, "files": {}, "rendered": []}
    for p in sorted(artifacts.rglob("*.json")):
        if p.parent.name == "cutflows" and p.name != "manifest.json":
            figures["cutflows"][_key(p, artifacts, "cutflows")] = cutflow(p)  # type: ignore[index]
    for p in sorted(artifacts.rglob("*.pkl")):
        if p.parent.name == "histograms":
            figures["histograms"][_key(p, artifacts, "histograms")] = histogram(p)  # type: ignore[index]
    files_root = artifacts / "files"
    for p in sorted(artifacts.rglob("*.root")):
        rel = p.relative_to(files_root) if p.is_relative_to(files_root) else p.relative_to(artifacts)
        figures["files"][rel.as_posix()] = event_file(p)  # type: ignore[index]
    for folder in ("plots", "tables"):
        for p in sorted(artifacts.rglob("*")):
            if p.is_file() and folder in p.relative_to(artifacts).parts:
                figures["rendered"].append(p.relative_to(artifacts).as_posix())  # type: ignore[union-attr]
    return figures


if __name__ == "__main__":
    json.dump(extract(Path(sys.argv[1])), sys.stdout)
