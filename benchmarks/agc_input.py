"""Deterministic AGC-like inputs made from the real 200-event CMS NanoAOD file, keeping every branch.

Replicating the file would select nothing (3 of its events have four central jets, every muon ID is false), so
each generated event takes all branches of one source event except its jets, which are the jets of three
source events (the other two drawn at random) with pT × a random factor in [1.1, 1.5), and ``Muon_tightId``,
set from the other muon branches (``pfRelIso04_all < 0.25``). About 3% of the events then pass the AGC
preselection. The same (events, files, seed) always gives the same data (not the same file bytes: ROOT headers
carry dates).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot

SOURCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
TREE = "Events"
JET_SOURCES = 3
"""Source events whose jets make the jets of one generated event."""
JET_PT_SCALE = (1.1, 1.5)
"""Each generated event's jets get pT × a factor drawn uniformly from this range."""
WRITE_CHUNK = 20_000


def _source_arrays(
    source: Path, only: Sequence[str] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The source's branches (all, or ``only`` these) and the jagged ones grouped by their counter."""
    tree = uproot.open(source)[TREE]
    wanted = [b.name for b in tree.branches if only is None or b.name in only]
    arrays = tree.arrays(wanted, library="ak", how=dict)
    groups: dict[str, list[str]] = {}
    for branch in tree.branches:
        counter = branch.count_branch
        if counter is not None and branch.name in arrays:
            groups.setdefault(counter.name, []).append(branch.name)
    return arrays, groups


def _chunk(
    arrays: dict[str, Any], groups: dict[str, list[str]], src: np.ndarray, rng: np.random.Generator
) -> dict[str, Any]:
    """One block of generated events (``src``: the source event of each) as uproot's writing dict."""
    n_source = len(next(iter(arrays.values())))
    others = [rng.integers(0, n_source, size=len(src)) for _ in range(1, JET_SOURCES)]
    scale = rng.uniform(*JET_PT_SCALE, size=len(src)).astype(np.float32)
    counters = set(groups)
    grouped = {name for names in groups.values() for name in names}
    out: dict[str, Any] = {n: arrays[n][src] for n in arrays if n not in counters and n not in grouped}
    for counter, names in groups.items():
        prefix = counter[1:]
        fields: dict[str, Any] = {}
        for name in names:
            values = arrays[name][src]
            if prefix == "Jet":
                values = ak.concatenate([values, *(arrays[name][o] for o in others)], axis=1)
                if name == "Jet_pt":
                    values = values * scale
            if name == "Muon_tightId" and "Muon_pfRelIso04_all" in arrays:
                values = arrays["Muon_pfRelIso04_all"][src] < 0.25
            fields[name] = values
        if all(name.startswith(prefix + "_") for name in names):
            out[prefix] = ak.zip({name[len(prefix) + 1 :]: v for name, v in fields.items()})
        else:
            out.update(fields)
    return out


def _blocks(n_events: int, rng: np.random.Generator, n_source: int) -> Iterator[np.ndarray]:
    done = 0
    while done < n_events:
        size = min(WRITE_CHUNK, n_events - done)
        yield rng.integers(0, n_source, size=size)
        done += size


def generate(
    out_dir: Path,
    n_events: int,
    n_files: int,
    seed: int = 2015,
    source: Path = SOURCE,
    only: Sequence[str] | None = None,
) -> list[Path]:
    """Write ``n_events`` over ``n_files`` files ``agc_<i>.root`` in ``out_dir``; return their paths.

    ``only`` keeps just these branches (fast inputs for tests); the benchmark keeps all of them.
    """
    arrays, groups = _source_arrays(source, only)
    n_source = len(next(iter(arrays.values())))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    per_file = [n_events // n_files + (i < n_events % n_files) for i in range(n_files)]
    for i, count in enumerate(per_file):
        path = out_dir / f"agc_{i}.root"
        rng = np.random.default_rng([seed, i])
        with uproot.recreate(path) as f:
            for k, src in enumerate(_blocks(count, rng, n_source)):
                block = _chunk(arrays, groups, src, rng)
                if k == 0:  # a TTree, as CMS writes NanoAOD (uproot's `f[name] = ...` would make an RNTuple)
                    tree = f.mktree(TREE, {name: values.type for name, values in block.items()})
                tree.extend(block)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2015)
    args = parser.parse_args()
    for path in generate(args.out_dir, args.events, args.files, args.seed):
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
