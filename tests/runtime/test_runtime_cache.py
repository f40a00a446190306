"""The content-addressed cache: what changes a key and what doesn't, reuse on re-runs, misses that recompute."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fasthep_flow.compiler import compile_file
from fasthep_flow.plan import NodeKind, PlanNode
from fasthep_flow.runtime import RunOptions, RunResult, run_plan
from fasthep_flow.runtime.cache_key import file_identity, key_of, node_ingredients
from fasthep_flow.runtime.cache_store import CacheStore

WORKFLOW = """\
version: 1.0
sources:
  events: {kind: toy, nevents: 4000, seed: 3}
data:
  datasets:
    - {name: toy_data, eventtype: data, nevents: 1500}
    - {name: toy_dy, eventtype: mc, nevents: 2500}
analysis:
  globals: {iso_cut: 0.10}
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {name: Muon_Pt, expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)"}
          - {name: IsoMuon, expr: "(Muon_Iso / Muon_Pt) < iso_cut"}
          - {name: NIsoMuon, reduce: {op: count_nonzero, over: IsoMuon}}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        selection:
          dimuon: ["NIsoMuon >= 2", "NMuon < 5"]
        weight_expr: EventWeight
    - id: MuonPt
      op: hep.hist
      params:
        storage: weighted
        weight_expr: EventWeight
        axes: [{name: pt, source: Muon_Pt, type: regular, bins: {low: 0, high: 120, nbins: 60}}]
"""

# The same workflow with comments, another layout and other key orders: nothing a key may see.
REFORMATTED = """\
# a comment that changes nothing
version: 1.0
sources:
  events:
    kind: toy
    seed: 3          # the same seed
    nevents: 4000
data:
  datasets:
    - {eventtype: data, name: toy_data, nevents: 1500}
    - name: toy_dy
      nevents: 2500
      eventtype: mc
analysis:
  globals: {iso_cut: 0.10}
  stages:
    - id: MuonVars
      op: hep.define
      params:
        variables:
          - {expr: "sqrt(Muon_Px ** 2 + Muon_Py ** 2)", name: Muon_Pt}
          - {name: IsoMuon, expr: "(Muon_Iso / Muon_Pt) < iso_cut"}
          - name: NIsoMuon
            reduce: {over: IsoMuon, op: count_nonzero}
    - id: Dimuon
      op: hep.selection.cutflow
      params:
        weight_expr: EventWeight
        selection:
          dimuon: ["NIsoMuon >= 2", "NMuon < 5"]
    - id: MuonPt
      op: hep.hist
      params:
        axes: [{type: regular, name: pt, source: Muon_Pt, bins: {nbins: 60, low: 0, high: 120}}]
        storage: weighted
        weight_expr: EventWeight
"""


def run_text(tmp_path: Path, text: str, out: str = "out", cache: Path | None = None, **kw: Any) -> RunResult:
    path = tmp_path / "wf.flow.yaml"
    path.write_text(text)
    compiled = compile_file(path)
    assert compiled.ok, [d.message for d in compiled.diagnostics]
    options = RunOptions(outdir=tmp_path / out, chunk_size=1000, cache_dir=cache, **kw)
    result = run_plan(compiled.plan, options, registry=compiled.registry)
    assert result.ok, [d.message for d in result.errors]
    return result


def by_node(result: RunResult) -> dict[str, dict[str, Any]]:
    """node -> {reused, recomputed, why} summed over datasets."""
    rows: dict[str, dict[str, Any]] = {}
    for item in result.record["cache"]["nodes"]:
        row = rows.setdefault(item["node"], {"reused": 0, "recomputed": 0, "why": set()})
        row["reused"] += item["reused"]
        row["recomputed"] += item["recomputed"]
        row["why"].update(item["why"])
    return rows


def products_json(result: RunResult) -> dict[str, str]:
    """Every hist and cutflow file of the run, as text (what a user would diff)."""
    return {
        p.relative_to(result.outdir).as_posix(): p.read_text()
        for p in result.outputs
        if p.suffix in (".json", ".csv") and p.parent.name in ("hists", "cutflows")
    }


# --- re-runs ------------------------------------------------------------------------------------------------


def test_unchanged_rerun_reuses_every_node_and_gives_identical_outputs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run_text(tmp_path, WORKFLOW, cache=cache)
    assert first.record["cache"]["reused"] == 0 and first.record["cache"]["recomputed"] > 0
    second = run_text(tmp_path, WORKFLOW, cache=cache)
    assert second.record["cache"]["recomputed"] == 0
    assert second.record["cache"]["reused"] == first.record["cache"]["recomputed"]
    assert products_json(second) == products_json(first) and products_json(first)
    # the statistics still count the events, though nothing was read
    assert second.summary.events == first.summary.events == 4000
    rows = {(s.node, s.dataset): s for s in second.summary.stages}
    before = {(s.node, s.dataset): s for s in first.summary.stages}
    assert rows[("stage.MuonPt", "toy_dy")].calls == 0 and rows[("stage.MuonPt", "toy_dy")].reused == 3
    assert [(r.events_in, r.events_out) for r in rows.values()] == [
        (before[k].events_in, before[k].events_out) for k in rows
    ]
    events = [json.loads(line) for line in (second.outdir / "events.jsonl").read_text().splitlines()]
    assert events and {e["status"] for e in events} == {"reused"}


def test_same_products_without_cache(tmp_path: Path) -> None:
    cached = run_text(tmp_path, WORKFLOW, out="a", cache=tmp_path / "cache")
    again = run_text(tmp_path, WORKFLOW, out="b", cache=tmp_path / "cache")
    plain = run_text(tmp_path, WORKFLOW, out="c")
    assert plain.record["cache"]["enabled"] is False
    assert products_json(cached) == products_json(plain) == products_json(again)


def test_comments_layout_and_key_order_recompute_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run_text(tmp_path, WORKFLOW, cache=cache)
    result = run_text(tmp_path, REFORMATTED, cache=cache)
    assert result.record["cache"]["recomputed"] == 0


def test_edited_last_stage_recomputes_it_and_says_why(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run_text(tmp_path, WORKFLOW, cache=cache)
    result = run_text(tmp_path, WORKFLOW.replace("nbins: 60", "nbins: 30"), cache=cache)
    rows = by_node(result)
    assert rows["stage.MuonPt"]["recomputed"] == 5 and rows["stage.MuonPt"]["why"] == {"changed: params"}
    # its input stream comes back from the cache: nothing above it runs
    assert {n for n, r in rows.items() if r["recomputed"]} == {"stage.MuonPt"}
    assert result.record["cache"]["recomputed"] == 5


def test_edited_cut_recomputes_downstream_as_upstream_changed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run_text(tmp_path, WORKFLOW, cache=cache)
    result = run_text(tmp_path, WORKFLOW.replace("NMuon < 5", "NMuon < 4"), cache=cache)
    rows = by_node(result)
    assert rows["stage.Dimuon"]["why"] == {"changed: params"}
    assert rows["stage.MuonPt"]["why"] == {"upstream changed"}
    assert rows["stage.MuonVars"]["recomputed"] == 0  # its stream, which the edited cut reads, was cached


def test_another_dataset_list_recomputes_a_dataset_axis(tmp_path: Path) -> None:
    """A dataset axis has one bin per dataset of the run: the same partition histogrammed in a run with
    fewer datasets is another product (a stale one gave the dataset's histogram the other run's bins)."""
    cache = tmp_path / "cache"
    with_axis = WORKFLOW.replace("storage: weighted\n", "storage: weighted\n        dataset_axis: true\n")
    assert with_axis != WORKFLOW
    run_text(tmp_path, with_axis, out="two", cache=cache)
    one = with_axis.replace("    - {name: toy_dy, eventtype: mc, nevents: 2500}\n", "")
    result = run_text(tmp_path, one, out="one", cache=cache)
    assert by_node(result)["stage.MuonPt"]["recomputed"] > 0
    data = json.loads((result.outdir / "hists" / "MuonPt.json").read_text())
    assert data["toy_data"]["axes"][0]["categories"] == ["toy_data"]


def test_an_edit_reading_a_column_the_cached_stream_lacks_recomputes_its_input(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run_text(tmp_path, WORKFLOW, cache=cache)
    edited = WORKFLOW.replace(
        "weight_expr: EventWeight\n        axes", "weight_expr: EventWeight * NMuon\n        axes"
    )
    assert edited != WORKFLOW
    result = run_text(tmp_path, edited, cache=cache)
    fresh = run_text(tmp_path, edited, out="fresh")
    rows = by_node(result)
    assert rows["stage.MuonPt"]["why"] == {"changed: params"}
    assert rows["stage.Dimuon"]["why"] == {"its events are needed by stage.MuonPt"}  # NMuon was not kept
    assert rows["stage.MuonVars"]["recomputed"] == 0  # its cached stream has NMuon: read back
    assert products_json(result) == products_json(fresh)


def test_without_cached_streams_the_chain_above_an_edit_runs_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run_text(tmp_path, WORKFLOW, cache=cache)
    for stream in (cache / "streams").rglob("*.stream"):
        stream.unlink()
    edited = WORKFLOW.replace("nbins: 60", "nbins: 30")
    result = run_text(tmp_path, edited, cache=cache)
    rows = by_node(result)
    assert rows["stage.MuonVars"]["why"] == {"its events are needed by stage.Dimuon"}
    assert rows["stage.Dimuon"]["why"] == {"its events are needed by stage.MuonPt"}
    assert products_json(result)["cutflows/Dimuon.json"] == products_json(first)["cutflows/Dimuon.json"]


def test_a_truncated_stream_file_reruns_the_partition(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run_text(tmp_path, WORKFLOW, cache=cache)
    for stream in (cache / "streams").rglob("*.stream"):
        stream.write_bytes(stream.read_bytes()[:100])
    edited = WORKFLOW.replace("nbins: 60", "nbins: 30")
    fresh = run_text(tmp_path, edited, out="fresh")
    result = run_text(tmp_path, edited, cache=cache)
    assert products_json(result) == products_json(fresh)
    assert any("vanished" in why for r in by_node(result).values() for why in r["why"])


def test_corrupt_or_missing_cache_entries_recompute(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run_text(tmp_path, WORKFLOW, cache=cache)
    blobs = sorted((cache / "blobs").rglob("*"))
    blobs = [b for b in blobs if b.is_file()]
    assert blobs
    blobs[0].write_bytes(b"not what was stored")
    keys = [k for k in (cache / "keys").rglob("*.json")]
    keys[-1].write_text("{ broken")
    # into other folders: the whole-run shortcut (test_runtime_cache_whole_run.py) needs no entry at all
    second = run_text(tmp_path, WORKFLOW, out="b", cache=cache)
    assert second.record["cache"]["recomputed"] > 0
    assert products_json(second) == products_json(first)
    third = run_text(tmp_path, WORKFLOW, out="c", cache=cache)
    assert third.record["cache"]["recomputed"] == 0


def test_cache_works_across_processes(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run_text(tmp_path, WORKFLOW, out="a", cache=cache, executor="processes", workers=2)
    second = run_text(tmp_path, WORKFLOW, out="b", cache=cache, executor="serial")
    assert second.record["cache"]["recomputed"] == 0
    assert products_json(first) == products_json(second)


# --- keys ---------------------------------------------------------------------------------------------------


def _node(**kw: Any) -> PlanNode:
    base: dict[str, Any] = {
        "id": "stage.A",
        "kind": NodeKind.STAGE,
        "op": "hep.define",
        "params": {"variables": [{"name": "y", "expr": "helper(x) > 1"}]},
    }
    base.update(kw)
    return PlanNode(**base)


IMPL = "fasthep_flow.ops.core.products:merge_products"


def _key(node: PlanNode | None = None, **kw: Any) -> str:
    args: dict[str, Any] = {
        "impl": IMPL,
        "inputs": ["k1"],
        "functions": {},
        "context": "c",
        "partition": None,
    }
    args.update(kw)
    return key_of(node_ingredients(node or _node(), **args))


def test_each_ingredient_changes_the_key() -> None:
    base = _key()
    variants = {
        "op": _key(_node(op="hep.hist")),
        "impl": _key(impl="fasthep_flow.runtime.merge:fold_all"),
        "params": _key(_node(params={"variables": [{"name": "y", "expr": "helper(x) > 2"}]})),
        "applies_to": _key(_node(applies_to={"eventtype": "mc"})),
        "when": _key(_node(when="dataset")),
        "inputs": _key(inputs=["k2"]),
        "context": _key(context="d"),
        "partition": _key(partition="p"),
    }
    assert all(v != base for v in variants.values()), [k for k, v in variants.items() if v == base]
    assert len(set(variants.values())) == len(variants)


def test_param_key_order_does_not_change_the_key() -> None:
    a = _node(params={"a": 1, "b": {"c": 2, "d": [1, 2]}})
    b = _node(params={"b": {"d": [1, 2], "c": 2}, "a": 1})
    assert _key(a) == _key(b)


def test_a_changed_helper_function_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "cache_helpers_mod.py"
    module.write_text("def helper(x):\n    return _inner(x)\n\n\ndef _inner(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    table = {"helper": "cache_helpers_mod:helper"}
    before = _key(functions=table)
    unused = _key(_node(params={"variables": [{"name": "y", "expr": "x > 1"}]}), functions=table)
    # the nested helper (not the called function itself) changes
    module.write_text("def helper(x):\n    return _inner(x)\n\n\ndef _inner(x):\n    return x + 2\n")
    os.utime(module, ns=(time.time_ns(), time.time_ns() + 10**9))
    sys.modules.pop("cache_helpers_mod", None)
    assert _key(functions=table) != before
    unused_after = _key(_node(params={"variables": [{"name": "y", "expr": "x > 1"}]}), functions=table)
    assert unused_after == unused  # an expression that does not call it keeps its key


def test_file_identity_sees_size_mtime_and_root_uuid(tmp_path: Path) -> None:
    import uproot

    path = tmp_path / "f.root"
    with uproot.recreate(path) as f:
        f["t"] = {"x": [1.0, 2.0]}
    one = file_identity(str(path))
    assert one is not None and one.uuid
    with uproot.recreate(path) as f:  # same content, a new file: a new UUID
        f["t"] = {"x": [1.0, 2.0]}
    two = file_identity(str(path))
    assert two is not None and (two.uuid, two.mtime_ns) != (one.uuid, one.mtime_ns)
    hashed = file_identity(str(path), content_hash=True)
    assert hashed is not None and hashed.sha256 and len(hashed.sha256) == 64


# --- the store ----------------------------------------------------------------------------------------------


def test_store_gc_evicts_least_recently_used_and_clear_empties(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "c")
    for i in range(3):
        digest = store.put_blob(bytes([i]) * 1000)
        store.put_entry(f"{i:02d}" + "k" * 62, {"digest": digest})
        os.utime(store.folder / "keys" / f"{i:02d}" / (f"{i:02d}" + "k" * 62 + ".json"), (i + 1, i + 1))
    assert store.get_entry("00" + "k" * 62) is not None  # touching it makes it the most recent
    info = store.info()
    assert (info.entries, info.blobs) == (3, 3)
    freed = store.gc(limit=info.bytes - 1)
    assert freed > 0
    assert store.get_entry("01" + "k" * 62) is None  # the least recently used went first
    assert store.get_entry("00" + "k" * 62) is not None
    store.clear()
    assert store.info().entries == 0 and store.info().blobs == 0


def test_store_refuses_a_blob_whose_bytes_do_not_match(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "c")
    digest = store.put_blob(b"payload")
    (store.folder / "blobs" / digest[:2] / digest).write_bytes(b"tampered")
    assert store.get_blob(digest) is None


def test_python_api_caches_when_asked(tmp_path: Path) -> None:
    import fasthep_flow

    path = tmp_path / "wf.flow.yaml"
    path.write_text(WORKFLOW)
    workflow = fasthep_flow.load(path)
    plain = workflow.run(chunk_size=1000)
    assert plain.record["cache"]["enabled"] is False  # without execution.cache nor cache=: nothing cached
    first = workflow.run(chunk_size=1000, cache=tmp_path / "c")
    second = workflow.run(chunk_size=1000, cache=tmp_path / "c")
    assert first.record["cache"]["recomputed"] > 0 and second.record["cache"]["recomputed"] == 0
    path.write_text(WORKFLOW + "execution: {cache: from-file}\n")
    fasthep_flow.load(path).run(chunk_size=1000)
    assert (tmp_path / "from-file" / "keys").is_dir()
