"""Every run's record, kept beside the cache, and two runs compared product by product.

The output folder holds only the latest run (it is replaced whole); the history lives in the cache folder as
``runs/<run id>.json``: the run record plus the digest of each merged product (node × dataset), whose blob is
in the cache's blob store. ``diff`` reads both runs' products back and says which histograms and cutflow
steps changed and by how much, and which inputs, params and overrides differ.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.runtime.cache_store import CacheStore
from fasthep_flow.runtime.product_codec import decode_products, encode_products


def save_run(
    store: CacheStore,
    record: Mapping[str, Any],
    products: Mapping[tuple[str, str], Mapping[str, Any]],
    params: Mapping[str, Any],
) -> Path:
    """Keep ``record`` with the digests of its products (only those with a plain-data form) and the params."""
    digests: dict[str, str] = {}
    for (node, dataset), named in products.items():
        data = encode_products(named)
        if data is not None:
            digests[f"{node}|{dataset}"] = store.put_blob(data)
    return save_run_digests(store, record, digests, params)


def save_run_digests(
    store: CacheStore, record: Mapping[str, Any], digests: Mapping[str, str], params: Mapping[str, Any]
) -> Path:
    """Keep ``record`` with products already in the blob store (``node|dataset`` -> digest)."""
    entry = {**record, "product_digests": dict(digests), "params": dict(params)}
    path = store.folder / "runs" / f"{record['run_id']}.json"
    store.write_atomic(path, json.dumps(entry, sort_keys=True, default=str).encode())
    return path


def list_runs(store: CacheStore) -> list[dict[str, Any]]:
    """Every kept run, oldest first."""
    runs = []
    for path in sorted((store.folder / "runs").glob("*.json")):
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return sorted(runs, key=lambda r: (r.get("started") or "", r.get("run_id") or ""))


def find_run(store: CacheStore, prefix: str) -> dict[str, Any] | str:
    """The run whose id starts with ``prefix`` (``latest``/``previous`` work too), or why there is none."""
    runs = list_runs(store)
    if prefix in ("latest", "previous"):
        index = -1 if prefix == "latest" else -2
        return runs[index] if len(runs) >= -index else f"there is no {prefix} run"
    found = [r for r in runs if str(r.get("run_id", "")).startswith(prefix)]
    if len(found) == 1:
        return found[0]
    return f"no run with id {prefix!r}" if not found else f"{len(found)} runs start with {prefix!r}"


def _products(store: CacheStore, run: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for label, digest in dict(run.get("product_digests") or {}).items():
        data = store.get_blob(digest)
        decoded = decode_products(data) if data is not None else None
        if decoded is not None:
            out[label] = decoded
    return out


def diff_runs(store: CacheStore, a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """What differs from run ``a`` to run ``b``: products (numerically), params, inputs and overrides."""
    pa, pb = _products(store, a), _products(store, b)
    changes: list[dict[str, Any]] = []
    for label in sorted(set(pa) | set(pb)):
        node, _, dataset = label.partition("|")
        left, right = pa.get(label, {}), pb.get(label, {})
        for name in sorted(set(left) | set(right)):
            change = _compare(left.get(name), right.get(name))
            if change is not None:
                changes.append({"node": node, "dataset": dataset, "product": name, **change})
    params_a, params_b = dict(a.get("params") or {}), dict(b.get("params") or {})
    params = [
        {"node": n, "a": params_a.get(n), "b": params_b.get(n)}
        for n in sorted(set(params_a) | set(params_b))
        if params_a.get(n) != params_b.get(n)
    ]
    inputs_a = {i.get("path"): i for i in a.get("inputs") or ()}
    inputs_b = {i.get("path"): i for i in b.get("inputs") or ()}
    inputs = sorted(p for p in set(inputs_a) | set(inputs_b) if inputs_a.get(p) != inputs_b.get(p))
    overrides_a = (a.get("options") or {}).get("overrides")
    overrides_b = (b.get("options") or {}).get("overrides")
    return {
        "a": a.get("run_id"),
        "b": b.get("run_id"),
        "products": changes,
        "params": params,
        "inputs": inputs,
        "overrides": None if overrides_a == overrides_b else {"a": overrides_a, "b": overrides_b},
    }


def _compare(left: Any, right: Any) -> dict[str, Any] | None:
    if left is None or right is None:
        return {"kind": "added" if left is None else "removed"}
    if callable(getattr(left, "to_rows", None)):
        return _compare_cutflows(left.to_rows(), right.to_rows())
    if hasattr(left, "view") and hasattr(left, "axes"):
        return _compare_hists(left, right)
    return None


def _compare_hists(left: Any, right: Any) -> dict[str, Any] | None:
    import numpy as np

    if [tuple(ax.edges) if hasattr(ax, "edges") else tuple(ax) for ax in left.axes] != [
        tuple(ax.edges) if hasattr(ax, "edges") else tuple(ax) for ax in right.axes
    ]:
        return {"kind": "histogram", "binning_changed": True}
    a = np.asarray(left.values(flow=True), dtype=float)
    b = np.asarray(right.values(flow=True), dtype=float)
    if np.array_equal(a, b, equal_nan=True):
        return None
    delta = np.nan_to_num(b - a)
    return {
        "kind": "histogram",
        "bins_changed": int(np.count_nonzero(delta)),
        "max_abs_change": float(np.max(np.abs(delta))),
        "sum_a": float(np.nansum(a)),
        "sum_b": float(np.nansum(b)),
    }


def _compare_cutflows(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Steps paired by group and position (an edited cut changes its label, not its place)."""
    steps = []
    keyed_a, keyed_b = _by_position(left), _by_position(right)
    for key in [*keyed_a, *(k for k in keyed_b if k not in keyed_a)]:
        ra, rb = keyed_a.get(key), keyed_b.get(key)
        if ra is None or rb is None:
            row = ra or rb or {}
            steps.append(
                {"group": key[0], "step": row.get("step"), "change": "added" if ra is None else "removed"}
            )
            continue
        moved = {
            col: [ra[col], rb[col]]
            for col in ("step", "events_in", "events_out", "weights_out")
            if not _same(ra[col], rb[col])
        }
        if moved:
            steps.append({"group": key[0], "index": key[1], **moved})
    return {"kind": "cutflow", "steps": steps} if steps else None


def _by_position(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for row in rows:
        index = counts.get(row["group"], 0)
        counts[row["group"]] = index + 1
        out[(row["group"], index)] = row
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return bool(a == b)
