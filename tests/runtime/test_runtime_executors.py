"""Every executor gives the same products, for chunks of 100, 1000 entries and whole files.

Counts are compared exactly. Weighted sums are compared bit for bit between executors at one chunk size (they
all merge in the same tree) and, across chunk sizes, exactly for dyadic weights (exact in any order) and to
1e-12 relative otherwise (a different chunking adds the same numbers in another order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from runtime_plans import analysis_plan, hist_arrays, make_plan, read, stage
from runtime_toyops import ToyRegistry, gen_columns

from fasthep_flow.plan import DatasetPlan, ExecutionPlan, SourcePlan
from fasthep_flow.runtime import RunOptions, RunResult, run_plan

CHUNKS = (100, 1000, None)


@pytest.fixture(params=["serial", "threads", "processes", "dask"])
def executor(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "dask":
        return {"executor": "dask", "workers": 2, "scheduler": request.getfixturevalue("dask_scheduler")}
    return {"executor": request.param, "workers": 2}


def run(plan: ExecutionPlan, outdir: Path, chunk: int | None, **kw: Any) -> RunResult:
    result = run_plan(plan, RunOptions(outdir=outdir, chunk_size=chunk, **kw), registry=ToyRegistry())
    assert result.ok, [d.message for d in result.errors]
    return result


def fingerprint(result: RunResult) -> dict[str, Any]:
    """Every product as plain numbers (hist bins with flow; cutflow counts and weights)."""
    out: dict[str, Any] = {}
    for (node, dataset), named in sorted(result.products.items()):
        for name, product in named.items():
            if hasattr(product, "axes"):
                values, variances = hist_arrays(product)
                out[f"{node}/{dataset}/{name}"] = (values.tolist(), variances.tolist())
            else:
                out[f"{node}/{dataset}/{name}"] = (product.n_in, product.n_out, product.w_in, product.w_out)
    return out


def counts_only(fp: dict[str, Any]) -> dict[str, Any]:
    return {k: v[:2] for k, v in fp.items() if "cutflow" in k}


def assert_close(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(
            np.asarray(a[key], dtype=float), np.asarray(b[key], dtype=float), rtol=1e-12
        )


def expected_selection(datasets: list[tuple[str, int]], minimum: float) -> dict[str, tuple[int, int]]:
    """The cutflow computed independently from the generator's columns."""
    out = {}
    for name, n in datasets:
        x = gen_columns(0, n)["x"]
        out[name] = (n, int((x >= minimum).sum()))
    return out


def test_products_agree_across_chunk_sizes(executor: dict[str, Any], tmp_path: Path) -> None:
    plan = analysis_plan()
    fps = [fingerprint(run(plan, tmp_path / f"c{c}", c, **executor)) for c in CHUNKS]
    assert counts_only(fps[0]) == counts_only(fps[1]) == counts_only(fps[2])
    assert_close(fps[0], fps[1])
    assert_close(fps[0], fps[2])
    want = expected_selection([("data", 2500), ("mc", 3700)], 30.0)
    for dataset, (n_in, n_out) in want.items():
        assert fps[0][f"stage.Select/{dataset}/cutflow"][:2] == (n_in, n_out)


def test_dyadic_weights_give_bitwise_identical_products_across_chunk_sizes(
    executor: dict[str, Any], tmp_path: Path
) -> None:
    plan = analysis_plan(source=SourcePlan("events", "gen", {"dyadic": True}, ()))
    fps = [fingerprint(run(plan, tmp_path / f"c{c}", c, **executor)) for c in CHUNKS]
    assert fps[0] == fps[1] == fps[2]


def test_executors_agree_bit_for_bit_at_one_chunk_size(executor: dict[str, Any], tmp_path: Path) -> None:
    plan = analysis_plan()
    reference = fingerprint(run(plan, tmp_path / "serial", 300))
    assert fingerprint(run(plan, tmp_path / "other", 300, **executor)) == reference


def test_root_file_input_agrees_across_chunks_and_with_a_direct_computation(
    executor: dict[str, Any], tmp_path: Path, root_file: str
) -> None:
    import hist

    source = SourcePlan("events", "root", {"tree": "events"}, ("x", "w", "mu"))
    plan = make_plan(
        [
            read(op="root"),
            stage("Select", "select", {"min": 20.0}),
            stage("Hist", "histo", {"field": "mu"}, "stage.Select"),
        ],
        [DatasetPlan("file", files=(root_file, root_file))],
        source=source,
    )
    fps = [fingerprint(run(plan, tmp_path / f"c{c}", c, **executor)) for c in CHUNKS]
    assert counts_only(fps[0]) == counts_only(fps[1]) == counts_only(fps[2])
    assert_close(fps[0], fps[1])
    assert_close(fps[0], fps[2])

    cols = gen_columns(0, 3333, seed=7)  # what the fixture wrote, read twice (two files)
    keep = cols["x"] >= 20.0
    assert fps[0]["stage.Select/file/cutflow"][:2] == (2 * 3333, 2 * int(keep.sum()))
    counts = np.asarray(cols["n"])[keep]
    values = np.concatenate([np.asarray(r) for r in cols["mu"][keep].to_list()] or [np.zeros(0)])
    weights = np.repeat(np.asarray(cols["w"])[keep], counts)
    h = hist.Hist(hist.axis.Regular(20, 0, 200), storage=hist.storage.Weight())
    h.fill(values, weight=weights)
    got_values, _ = fps[0]["stage.Hist/file/hist"]
    np.testing.assert_allclose(got_values, 2 * h.values(flow=True), rtol=1e-12)


def test_dask_starts_and_stops_its_own_local_cluster(tmp_path: Path) -> None:
    plan = analysis_plan()
    serial = fingerprint(run(plan, tmp_path / "s", 1000))
    own = run(plan, tmp_path / "d", 1000, executor="dask", workers=1)
    assert fingerprint(own) == serial
    assert own.summary.partitions == own.summary.partitions_done == 7
