"""Ours' products as figures, in the form ``extract_upstream.py`` gives upstream's.

Ours writes histograms as JSON (per dataset plus ``total``), cutflows as JSON (per dataset plus ``total``) and
event files as ROOT; the figures keep ours' dataset entries so that ``compare.py`` can match upstream's labelling.
Files are found by shape anywhere under the output folder, so a change of ours' layout does not hide products.
"""

from __future__ import annotations

import json
from pathlib import Path

_FOLDERS = {"cutflows", "hists", "histograms", "artifacts"}


def _key(path: Path, outdir: Path) -> str:
    rel = path.relative_to(outdir).with_suffix("")
    return "/".join(p for p in rel.parts if p not in _FOLDERS)


def _is_cutflow(data: object) -> bool:
    entries = data.get("entries") if isinstance(data, dict) else None
    return isinstance(entries, dict) and all(isinstance(v, list) for v in entries.values()) and bool(entries)


def _is_hist(data: object) -> bool:
    entries = data.get("entries") if isinstance(data, dict) else None
    return (
        isinstance(entries, dict)
        and bool(entries)
        and all(isinstance(v, dict) and "axes" in v for v in entries.values())
    )


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
    """Cutflows, histograms (every dataset entry) and written event files under ``outdir``."""
    out: dict[str, dict[str, object]] = {"cutflows": {}, "histograms": {}, "files": {}}
    for path in sorted(outdir.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _is_hist(data):
            out["histograms"][_key(path, outdir)] = data["entries"]
        elif _is_cutflow(data):
            out["cutflows"][_key(path, outdir)] = data["entries"]
    for path in sorted(outdir.rglob("*.root")):
        if "hists" in path.relative_to(outdir).parts or "histograms" in path.relative_to(outdir).parts:
            continue  # ours' histogram copies, not event files
        out["files"][path.relative_to(outdir).as_posix()] = event_file(path)
    return out
