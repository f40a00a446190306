"""Compare ours' figures with a golden: one verdict per quantity.

Quantities (their names are what ``known_failures.txt`` and ``case.yaml`` ``deviations`` refer to):

* ``cutflow/<id>/<label>/events`` — every step's unweighted events in and out, exactly;
* ``cutflow/<id>/<label>/sumw`` — every step's sums of weights and of squared weights in and out, 1e-5 relative;
* ``hist/<id>/axes`` — axis names in order, and per axis its edges or its categories in order;
* ``hist/<id>/values`` and ``hist/<id>/variances`` — every cell including flow bins, after ours' axes and
  categories are put in upstream's order (so an order difference fails ``axes`` only); exact for count
  storage, 1e-5 relative for weighted storage;
* ``file/<path>/entries`` and ``file/<path>/fields`` — per written event file (path below upstream's
  ``artifacts/files/``), per tree: entries written and top-level field names;
* ``report/<path>`` — the text of a report output the case lists under ``reports`` (a template showing only what
  both tools compute alike), exactly.

Upstream labels the cutflow of datasets read in one partition each as one summed ``default`` entry; ours keeps
every dataset and a ``total``: ``default`` is compared with the sum of ours' datasets that upstream does not name.
Upstream's histograms are summed over datasets: they are compared with ours' ``total`` entry.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

RTOL = 1e-5
_EDGE_KINDS = {"regular", "variable", "integer", "int"}


@dataclass(frozen=True)
class Quantity:
    name: str
    matched: bool
    detail: str = ""


def _close(a: object, b: object, exact: bool) -> bool:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        return False
    if exact:
        return bool(np.array_equal(x, y, equal_nan=True))
    scale = max(float(np.nanmax(np.abs(x))) if x.size else 0.0, 1e-300)
    return bool(np.allclose(x, y, rtol=RTOL, atol=RTOL * 1e-3 * scale, equal_nan=True))


def _steps(rows: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Ours' cutflow rows keyed ``group[i]`` like upstream's step ids."""
    seen: dict[str, int] = {}
    out = {}
    for row in rows:
        group = str(row.get("group"))
        i = seen.get(group, 0)
        seen[group] = i + 1
        out[f"{group}[{i}]"] = {
            "events_in": float(row["events_in"]),  # type: ignore[arg-type]
            "events_out": float(row["events_out"]),  # type: ignore[arg-type]
            "sumw_in": float(row["weights_in"]),  # type: ignore[arg-type]
            "sumw_out": float(row["weights_out"]),  # type: ignore[arg-type]
            "sumw2_in": float(row["weights_sq_in"]),  # type: ignore[arg-type]
            "sumw2_out": float(row["weights_sq_out"]),  # type: ignore[arg-type]
        }
    return out


def _total(label: str) -> bool:
    """Ours' sums over datasets (``total_<eventtype>``, and the all-dataset ``total`` ours.py adds)."""
    return label == "total" or label.startswith("total_")


def _summed(entries: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    total: dict[str, dict[str, float]] = {}
    for steps in entries:
        for sid, st in steps.items():
            acc = total.setdefault(sid, dict.fromkeys(st, 0.0))
            for k, v in st.items():
                acc[k] += v
    return total


def _cutflows(golden: dict[str, object], ours: dict[str, object]) -> list[Quantity]:
    out = []
    for cid, labels in golden.items():
        mine = ours.get(cid)
        for label, steps in labels.items():  # type: ignore[attr-defined]
            name = f"cutflow/{cid}/{label}"
            if not isinstance(mine, dict):
                out += [
                    Quantity(f"{name}/events", False, "ours has no such cutflow"),
                    Quantity(f"{name}/sumw", False, "ours has no such cutflow"),
                ]
                continue
            if label in mine:
                got = _steps(mine[label])
            elif label == "default":
                rest = [_steps(v) for k, v in mine.items() if not _total(k) and k not in labels]  # type: ignore[operator]
                got = _summed(rest) if rest else _steps(mine.get("total", []))
            else:
                out += [
                    Quantity(f"{name}/events", False, f"ours has no entry {label!r}"),
                    Quantity(f"{name}/sumw", False, f"ours has no entry {label!r}"),
                ]
                continue
            ids = [s["id"] for s in steps]
            if sorted(ids) != sorted(got):
                detail = f"steps {ids} vs ours {sorted(got)}"
                out += [Quantity(f"{name}/events", False, detail), Quantity(f"{name}/sumw", False, detail)]
                continue
            up_ev = [[s["events_in"], s["events_out"]] for s in steps]
            my_ev = [[got[i]["events_in"], got[i]["events_out"]] for i in ids]
            out.append(
                Quantity(f"{name}/events", _close(up_ev, my_ev, True), f"upstream {up_ev} ours {my_ev}")
            )
            keys = ("sumw_in", "sumw_out", "sumw2_in", "sumw2_out")
            up_w = [[s[k] for k in keys] for s in steps]
            my_w = [[got[i][k] for k in keys] for i in ids]
            out.append(Quantity(f"{name}/sumw", _close(up_w, my_w, False), f"upstream {up_w} ours {my_w}"))
    return out


def _axis_id(axis: dict[str, object]) -> tuple[object, ...]:
    kind = str(axis.get("kind") or axis.get("type"))
    if axis.get("categories") is not None and kind not in _EDGE_KINDS:
        return (axis["name"], "categories", tuple(str(c) for c in axis["categories"]))  # type: ignore[union-attr]
    return (axis["name"], "edges", tuple(round(float(e), 9) for e in axis.get("edges") or ()))  # type: ignore[union-attr]


def _aligned(golden: dict[str, object], entry: dict[str, object], key: str) -> np.ndarray | None:
    """Ours' array ``key`` with axes and categories put in the golden's order; None when it cannot be."""
    data = entry.get(key)
    if data is None:
        return None
    arr = np.asarray(data, dtype=float)
    up_axes, my_axes = golden["axes"], entry["axes"]
    names = [a["name"] for a in my_axes]  # type: ignore[index,union-attr]
    try:
        order = [names.index(a["name"]) for a in up_axes]  # type: ignore[index,union-attr]
    except ValueError:
        return arr
    if arr.ndim != len(order):
        return arr
    arr = np.transpose(arr, order)
    for dim, up in enumerate(up_axes):  # type: ignore[arg-type]
        mine = my_axes[order[dim]]  # type: ignore[index]
        up_cats, my_cats = up.get("categories"), mine.get("categories")
        if up_cats is None or my_cats is None or len(up_cats) != len(my_cats):
            continue
        mine_s = [str(c) for c in my_cats]
        if sorted(mine_s) != sorted(str(c) for c in up_cats):
            continue
        perm = [mine_s.index(str(c)) for c in up_cats] + list(range(len(my_cats), arr.shape[dim]))
        arr = np.take(arr, perm, axis=dim)
    return arr


def _hists(golden: dict[str, object], ours: dict[str, object]) -> list[Quantity]:
    out = []
    for hid, up in golden.items():
        name = f"hist/{hid}"
        entries = ours.get(hid)
        entry = None
        if isinstance(entries, dict):
            entry = entries.get("total") or (next(iter(entries.values())) if len(entries) == 1 else None)
        wanted = ["axes", "values"] + (["variances"] if up.get("variances_flow") is not None else [])  # type: ignore[union-attr]
        if entry is None:
            out += [Quantity(f"{name}/{w}", False, "ours has no such histogram") for w in wanted]
            continue
        up_ax = [_axis_id(a) for a in up["axes"]]  # type: ignore[index]
        my_ax = [_axis_id(a) for a in entry["axes"]]
        out.append(Quantity(f"{name}/axes", up_ax == my_ax, f"upstream {up_ax} ours {my_ax}"))
        exact = up.get("storage") != "weight"  # type: ignore[union-attr]
        for what in wanted[1:]:
            got = _aligned(up, entry, f"{what}_flow")  # type: ignore[arg-type]
            ref = np.asarray(up[f"{what}_flow"], dtype=float)  # type: ignore[index]
            ok = got is not None and _close(ref, got, exact)
            shape = None if got is None else got.shape
            out.append(
                Quantity(
                    f"{name}/{what}",
                    ok,
                    f"upstream shape {ref.shape} sum {ref.sum():.6g}; ours shape "
                    f"{shape} sum {None if got is None else float(np.nansum(got)):.6g}"
                    if got is not None
                    else f"upstream sum {ref.sum():.6g}; ours has none",
                )
            )
    return out


def _files(golden: dict[str, object], ours: dict[str, object]) -> list[Quantity]:
    out = []
    for rel, up in golden.items():
        mine = None
        for prefix in ("artifacts/files/", "files/", ""):
            mine = ours.get(prefix + rel) or mine
        if mine is None:
            tail = PurePosixPath(rel)
            mine = next(
                (v for k, v in ours.items() if PurePosixPath(k).parts[-len(tail.parts) :] == tail.parts), None
            )
        for tree, fig in up["trees"].items():  # type: ignore[index]
            name = f"file/{rel}/{tree}"
            got = (mine or {}).get("trees", {}).get(tree)  # type: ignore[union-attr]
            if got is None:
                out += [
                    Quantity(f"{name}/entries", False, "ours wrote no such file/tree"),
                    Quantity(f"{name}/fields", False, "ours wrote no such file/tree"),
                ]
                continue
            out.append(
                Quantity(
                    f"{name}/entries",
                    got["entries"] == fig["entries"],
                    f"{fig['entries']} vs {got['entries']}",
                )
            )
            out.append(
                Quantity(
                    f"{name}/fields", got["fields"] == fig["fields"], f"{fig['fields']} vs {got['fields']}"
                )
            )
    return out


def _reports(golden: dict[str, str], ours: dict[str, object]) -> list[Quantity]:
    """Report texts (only those a case lists: its template shows what both tools compute alike), line by line."""
    out = []
    for rel, text in golden.items():
        mine = ours.get(rel)
        if not isinstance(mine, str):
            out.append(Quantity(f"report/{rel}", False, "ours wrote no such report"))
            continue
        up_lines, our_lines = text.splitlines(), mine.splitlines()
        first = next(
            (n for n, (a, b) in enumerate(zip(up_lines, our_lines, strict=False)) if a != b),
            min(len(up_lines), len(our_lines)),
        )
        detail = (
            "same text"
            if text == mine
            else f"line {first + 1}: {up_lines[first : first + 1]} vs {our_lines[first : first + 1]}"
        )
        out.append(Quantity(f"report/{rel}", text == mine, detail))
    return out


def compare(golden: dict[str, object], ours: dict[str, dict[str, object]]) -> list[Quantity]:
    """Every quantity of ``golden``'s products, matched or not, against ``ours`` (from ``ours.figures``)."""
    return (
        _cutflows(golden.get("cutflows", {}), ours["cutflows"])  # type: ignore[arg-type]
        + _hists(golden.get("histograms", {}), ours["histograms"])  # type: ignore[arg-type]
        + _files(golden.get("files", {}), ours["files"])  # type: ignore[arg-type]
        + _reports(golden.get("reports", {}), ours.get("reports", {}))  # type: ignore[arg-type]
    )


def excluded(name: str, patterns: tuple[str, ...]) -> str | None:
    """The deviation id that excludes quantity ``name`` (patterns are ``<glob> <deviation id>``), if any."""
    for entry in patterns:
        glob, _, dev = entry.partition(" ")
        if fnmatch.fnmatchcase(name, glob):
            return dev.strip() or "deviation"
    return None
