"""Cutting datasets into partitions: chunking, source start/stop, compiler-known ranges, unreadable inputs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from runtime_plans import make_plan, read, stage
from runtime_toyops import ToyRegistry

from fasthep_flow.document import codes
from fasthep_flow.plan import DatasetPlan, ExecutionPlan, Partition, SourcePlan
from fasthep_flow.runtime.bindings import Bindings
from fasthep_flow.runtime.partitions import chunks, make_partitions


def test_chunks_cut_ranges_and_keep_empty_files() -> None:
    assert chunks(0, 1000, 300) == [(0, 300), (300, 600), (600, 900), (900, 1000)]
    assert chunks(10, 20, 5) == [(10, 15), (15, 20)]
    assert chunks(0, 1000, None) == [(0, 1000)]
    assert chunks(0, 1000, 0) == [(0, 1000)]
    assert chunks(0, 0, 100) == [(0, 0)]


def _bindings(plan: ExecutionPlan) -> Bindings:
    return Bindings.from_registry(plan, ToyRegistry())


def test_partitions_are_numbered_globally_in_dataset_then_entry_order() -> None:
    plan = make_plan([read()], [DatasetPlan("a", nevents=250), DatasetPlan("b", nevents=100)])
    parts = make_partitions(plan, plan.datasets, _bindings(plan), 100).partitions
    assert [(p.dataset, p.start, p.stop, p.index) for p in parts] == [
        ("a", 0, 100, 0),
        ("a", 100, 200, 1),
        ("a", 200, 250, 2),
        ("b", 0, 100, 3),
    ]


def test_missing_file_is_an_input_problem_and_its_dataset_is_not_run(tmp_path: Path, root_file: str) -> None:
    missing = str(tmp_path / "nope.root")
    source = SourcePlan("events", "root", {"tree": "events"}, ("x",))
    plan = make_plan(
        [read(op="root"), stage("Hist", "histo")],
        [DatasetPlan("bad", files=(root_file, missing)), DatasetPlan("good", files=(root_file,))],
        source=source,
    )
    result = make_partitions(plan, plan.datasets, _bindings(plan), 1000)
    assert {p.dataset for p in result.partitions} == {"good"}
    assert [p.index for p in result.partitions] == [0, 1, 2, 3]
    [problem] = result.problems
    assert problem.code is codes.INPUT_ERROR
    assert (problem.dataset, problem.file, problem.node) == ("bad", missing, "read.events")
    assert "does not exist" in problem.message


def test_ranges_known_by_the_compiler_are_recut_without_opening_files(tmp_path: Path) -> None:
    ghost = str(tmp_path / "not-there.root")  # opening it would fail: the known range must be used instead
    source = SourcePlan("events", "root", {"tree": "events"}, ("x",))
    plan = make_plan([read(op="root")], [DatasetPlan("d", files=(ghost,))], source=source)
    known = (Partition("d", ghost, 0, 700, 0), Partition("d", ghost, 700, 1000, 1))
    plan = replace(plan, partitions=known)
    result = make_partitions(plan, plan.datasets, _bindings(plan), 400)
    assert not result.problems
    assert [(p.start, p.stop) for p in result.partitions] == [(0, 400), (400, 800), (800, 1000)]


def test_sources_with_a_window_are_always_asked_for_their_entries(tmp_path: Path, root_file: str) -> None:
    source = SourcePlan("events", "root", {"tree": "events", "start": 100}, ("x",))
    plan = make_plan([read(op="root")], [DatasetPlan("d", files=(root_file,))], source=source)
    plan = replace(plan, partitions=(Partition("d", root_file, 100, 200, 0),))  # absolute: not reused
    result = make_partitions(plan, plan.datasets, _bindings(plan), None)
    assert [(p.start, p.stop) for p in result.partitions] == [(0, 3333)]  # the test source ignores `start`


def test_aligned_chunks_move_cuts_forward_to_boundaries() -> None:
    from fasthep_flow.runtime.partitions import aligned_chunks

    bounds = [0, 262_144, 524_288, 786_432, 1_048_576, 1_310_720]
    got = aligned_chunks(0, 1_400_000, 500_000, bounds)
    assert got == [(0, 524_288), (524_288, 1_048_576), (1_048_576, 1_400_000)]
    # contiguous and covering, whatever the bounds
    assert aligned_chunks(0, 1000, 100, [7, 450, 451, 999]) == [(0, 450), (450, 999), (999, 1000)]
    # no bounds, or chunks larger than the range: the plain cut
    assert aligned_chunks(0, 1000, 300, []) == [(0, 300), (300, 600), (600, 900), (900, 1000)]
    assert aligned_chunks(0, 1000, 5000, bounds) == [(0, 1000)]


def test_root_partitions_start_on_basket_boundaries(tmp_path: Path) -> None:
    """A partition boundary inside a basket would make two partitions decompress it."""
    import uproot

    from fasthep_flow.ops.hep.root_tree_impl import boundaries
    from fasthep_flow.plan import DatasetPlan, SourcePlan

    path = tmp_path / "baskets.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"x": np.float64})
        for _ in range(5):
            f["events"].extend({"x": np.arange(1000, dtype=np.float64)})  # one basket per extend
    source = SourcePlan("events", "root_tree", {"tree": "events"}, ("x",))
    dataset = DatasetPlan("d", files=(str(path),))
    assert boundaries(source, str(path), dataset) == [1000, 2000, 3000, 4000]
    windowed = SourcePlan("events", "root_tree", {"tree": "events", "start": 500, "stop": 4500}, ("x",))
    assert boundaries(windowed, str(path), dataset) == [500, 1500, 2500, 3500]


def test_basket_edges_are_asked_only_of_files_larger_than_a_chunk() -> None:
    """Asking means opening the file in the process that hands out the work, before any worker starts."""
    from fasthep_flow.runtime.partitions import _bounds

    asked: list[str] = []

    def edges(source: SourcePlan, file: str, dataset: DatasetPlan) -> list[int]:
        asked.append(file)
        return [250, 500, 750]

    source = SourcePlan("events", "root_tree", {"tree": "events"}, ("x",))
    dataset = DatasetPlan("d", files=("a.root",))
    assert _bounds(edges, source, "a.root", dataset, 1000, 5000) == []
    assert _bounds(edges, source, "a.root", dataset, 1000, None) == []
    assert _bounds(edges, source, "a.root", dataset, 1000, 1000) == []
    assert asked == []
    assert _bounds(edges, source, "a.root", dataset, 1000, 400) == [250, 500, 750]
    assert asked == ["a.root"]
