"""Ours' products as figures, in the form ``extract_upstream.py`` gives upstream's.

Ours writes histograms as uhi JSON (a mapping of entry name → histogram: one entry per dataset and one
``total_<eventtype>`` per eventtype), cutflows as JSON rows (``dataset`` column: each dataset and each
``total_<eventtype>``) and event files as ROOT. Upstream sums every dataset, data and simulation alike, into one
product, so a ``total`` entry is made here the same way — every dataset folded with ours' own product merge — and
is what upstream's single product is compared with. Files are found by shape anywhere under the output folder,
so a change of ours' layout does not hide products.
"""

from __future__ import annotations

import json
from pathlib import Path

_FOLDERS = {"cutflows", "hists", "histograms", "artifacts"}


def _key(path: Path, outdir: Path) -> str:
    rel = path.relative_to(outdir).with_suffix("")
    return "/".join(p for p in rel.parts if p not in _FOLDERS)


def _is_cutflow(data: object) -> bool:
    return (
        isinstance(data, dict) and isinstance(data.get("rows"), list) and "dataset" in data.get("columns", [])
    )


def _is_hist(data: object) -> bool:
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(v, dict) and "uhi_schema" in v for v in data.values())
    )


def _cutflow_entries(data: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    """Rows grouped by dataset label, plus ``total``: the rows of every dataset added step by step."""
    entries: dict[str, list[dict[str, object]]] = {}
    for row in data["rows"]:  # type: ignore[union-attr]
        label = str(row["dataset"])  # type: ignore[index]
        entries.setdefault(label, []).append({k: v for k, v in row.items() if k != "dataset"})  # type: ignore[union-attr]
    datasets = [rows for label, rows in entries.items() if not _is_total(label)]
    if datasets:
        entries["total"] = [_added([rows[i] for rows in datasets]) for i in range(len(datasets[0]))]
    return entries


def _added(rows: list[dict[str, object]]) -> dict[str, object]:
    first = dict(rows[0])
    for key, value in first.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "efficiency":
            first[key] = sum(r[key] for r in rows)  # type: ignore[misc]
    n_in, n_out = first.get("events_in"), first.get("events_out")
    if isinstance(n_in, int) and isinstance(n_out, int):
        first["efficiency"] = n_out / n_in if n_in else None
    return first


def _is_total(label: str) -> bool:
    from fasthep_flow.ops.totals import is_total

    return is_total(label) or label == "total"


def _hist_entries(data: dict[str, object]) -> dict[str, dict[str, object]]:
    """uhi entries → figure form (axes, values and variances with and without flow), plus ``total``."""
    import json as _json

    import hist
    import uhi.io.json

    from fasthep_flow.ops.core.products import merge_products
    from fasthep_flow.runtime.merge import fold_all

    hists = {
        name: hist.Hist(_json.loads(_json.dumps(h), object_hook=uhi.io.json.object_hook))
        for name, h in data.items()
    }
    datasets = [h for name, h in hists.items() if not _is_total(name)]
    total = fold_all(datasets, merge_products) if datasets else None
    if total is not None:
        hists["total"] = total
    return {name: _figures(h) for name, h in hists.items()}


def _figures(h: object) -> dict[str, object]:
    def finite(values: object) -> object:
        if isinstance(values, list):
            return [finite(v) for v in values]
        if isinstance(values, float) and values != values:  # NaN
            return None
        return values

    axes = []
    for axis in h.axes:  # type: ignore[attr-defined]
        kind = type(axis).__name__
        entry: dict[str, object] = {"name": axis.name, "label": axis.label, "type": kind.lower()}
        if kind.endswith("Category"):
            entry["categories"] = [c.item() if hasattr(c, "item") else c for c in axis]
        else:
            entry["edges"] = [float(e) for e in axis.edges]
        entry["underflow"] = bool(axis.traits.underflow)
        entry["overflow"] = bool(axis.traits.overflow)
        axes.append(entry)
    out: dict[str, object] = {
        "axes": axes,
        "storage": type(h.storage_type()).__name__.lower(),  # type: ignore[attr-defined]
        "values": finite(h.values(flow=False).tolist()),  # type: ignore[attr-defined]
        "values_flow": finite(h.values(flow=True).tolist()),  # type: ignore[attr-defined]
    }
    variances = h.variances(flow=False)  # type: ignore[attr-defined]
    if variances is not None:
        out["variances"] = finite(variances.tolist())
        out["variances_flow"] = finite(h.variances(flow=True).tolist())  # type: ignore[attr-defined]
    return out


def event_file(path: Path) -> dict[str, object]:
    import uproot

    trees = {}
    with uproot.open(path) as f:
        for key, cls in f.classnames().items():
            if cls in ("TTree", "ROOT::RNTuple", "ROOT::Experimental::RNTuple"):
                obj = f[key]
                fields = list(obj.keys(recursive=False)) if cls == "TTree" else [fl.name for fl in obj.fields]
                trees[key.split(";")[0]] = {"entries": int(obj.num_entries), "fields": sorted(fields)}
    return {"trees": trees}


def figures(outdir: Path) -> dict[str, dict[str, object]]:
    """Cutflows, histograms (every dataset entry), written event files and report texts under ``outdir``."""
    out: dict[str, dict[str, object]] = {"cutflows": {}, "histograms": {}, "files": {}, "reports": {}}
    for path in sorted([*outdir.rglob("*.md"), *outdir.rglob("*.html")]):
        out["reports"][path.relative_to(outdir).as_posix()] = path.read_text(encoding="utf-8")
    for path in sorted(outdir.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _is_hist(data):
            out["histograms"][_key(path, outdir)] = _hist_entries(data)
        elif _is_cutflow(data):
            out["cutflows"][_key(path, outdir)] = _cutflow_entries(data)
    for path in sorted(outdir.rglob("*.root")):
        if "hists" in path.relative_to(outdir).parts or "histograms" in path.relative_to(outdir).parts:
            continue  # ours' histogram copies, not event files
        out["files"][path.relative_to(outdir).as_posix()] = event_file(path)
    return out
