"""Resume after ``kill -9``: the same command again recomputes only what was not finished, and gives the
products of an uninterrupted run; the output folder never shows a partial or a mixed set of files.

Each trial kills a real ``fasthep-flow run`` (its own process, with the cache on) at a random moment while
watching the output folder, which holds the previous complete outputs; then runs the same command again. The
runs are forked from one warm interpreter (tests/runtime/warm_launcher.py): each is its own process running the
CLI's ``main``, as ``python -m fasthep_flow`` does, without importing numpy, awkward and uproot again each time.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_runtime_cache import WORKFLOW
from warm_launcher import WarmLauncher

from fasthep_flow.runtime.folder_lock import LOCK_NAME

TRIALS = 10
"""Per executor: 20 in all."""
PRODUCTS = ("hists", "cutflows")

BIG = (
    WORKFLOW.replace("nevents: 4000", "nevents: 40000")
    .replace("nevents: 1500", "nevents: 16000")
    .replace("nevents: 2500", "nevents: 24000")
)


def command(wf: Path, out: Path, cache: Path | None, executor: str) -> list[str]:
    """The arguments of ``fasthep-flow`` (``python -m fasthep_flow``) for one run."""
    cmd = ["run", str(wf), "--outdir", str(out), "--quiet"]
    cmd += ["--chunk-size", "2000", "--executor", executor, "--workers", "2"]
    return cmd + (["--cache-dir", str(cache)] if cache else ["--no-cache"])


def products(out: Path, parsed: dict[bytes, Any] | None = None) -> dict[str, Any]:
    """The product files (what must equal an uninterrupted run's), by path: JSON and CSV as bytes, ROOT files
    (which carry a fresh UUID and date every time they are written) as their histograms' values.

    ``parsed`` remembers the values of ROOT files already read, by their bytes: a file byte for byte equal to
    one read before holds the same histograms, so the watch loop (which reads the folder 20 times a second)
    parses each distinct file once instead of at every look."""
    import uproot

    found: dict[str, Any] = {}
    for sub in PRODUCTS:
        for path in sorted((out / sub).glob("*")):
            if path.suffix == ".root":
                data = path.read_bytes()
                if parsed is None or data not in parsed:
                    with uproot.open(path) as f:
                        values = {k: f[k].values(flow=True).tolist() for k in f.keys(cycle=False)}
                    if parsed is None:
                        found[f"{sub}/{path.name}"] = values
                        continue
                    parsed[data] = values
                found[f"{sub}/{path.name}"] = parsed[data]
            else:
                found[f"{sub}/{path.name}"] = path.read_bytes()
    return found


def visible(out: Path) -> set[str]:
    """Every file a reader sees in the folder (the run's lock, which is no output, aside)."""
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != LOCK_NAME}


@pytest.fixture(scope="module")
def launcher() -> Iterator[WarmLauncher]:
    warm = WarmLauncher()
    yield warm
    warm.close()


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, launcher: WarmLauncher
) -> tuple[Path, Path, dict[str, Any], set[str]]:
    folder = tmp_path_factory.mktemp("resume")
    wf = folder / "wf.flow.yaml"
    wf.write_text(BIG)
    out = folder / "reference"
    done = launcher.run(command(wf, out, None, "serial"), folder, timeout=600)
    assert done.returncode == 0, done.stderr
    return wf, out, products(out), visible(out)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_kill_9_then_rerun_gives_identical_products(
    executor: str,
    reference: tuple[Path, Path, dict[str, Any], set[str]],
    launcher: WarmLauncher,
    tmp_path: Path,
) -> None:
    wf, ref_out, ref_products, ref_files = reference
    rng = random.Random(f"resume-{executor}")
    total = reused_somewhere = observations = killed = 0
    parsed: dict[bytes, Any] = {}
    logs = tmp_path / "logs"
    logs.mkdir()
    # The kill moments are drawn over this executor's own uninterrupted run, cache on as in the trials (a run
    # with two worker processes is shorter than the serial reference).
    t0 = time.monotonic()
    timed = launcher.run(
        command(wf, tmp_path / "timed", tmp_path / "timed-cache", executor), logs, timeout=600
    )
    assert timed.returncode == 0, timed.stderr
    duration = time.monotonic() - t0
    for trial in range(TRIALS):
        out, cache = tmp_path / f"out{trial}", tmp_path / f"cache{trial}"
        shutil.copytree(ref_out, out)  # the previous complete outputs, which must stay until a run succeeds
        proc = launcher.start(command(wf, out, cache, executor), logs)
        # Even trials: a moment anywhere from the start (a fork: no import time) to the swap. Odd trials: a
        # moment after the first partition's results reached the cache (start-up alone can take most of a run
        # on a loaded machine).
        deadline = time.monotonic() + rng.uniform(0.0, 1.1) * duration
        wait_for_cache = trial % 2 == 1
        while (wait_for_cache or time.monotonic() < deadline) and proc.poll() is None:
            if wait_for_cache and any((cache / "keys").rglob("*.json")):
                wait_for_cache = False
                deadline = time.monotonic() + rng.uniform(0.0, 0.3) * duration
            try:
                seen = visible(out)
                got = products(out, parsed)
            except FileNotFoundError:
                continue  # the folder was swapped between listing and reading: look again
            observations += 1
            assert seen == ref_files, f"trial {trial}: the folder showed {sorted(seen ^ ref_files)}"
            assert got == ref_products, f"trial {trial}: products changed in place"
            time.sleep(0.05)  # reading the folder costs CPU the watched run needs too
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert visible(out) == ref_files and products(out, parsed) == ref_products
        again = launcher.run(command(wf, out, cache, executor), logs, timeout=600)
        assert again.returncode == 0, again.stderr
        assert products(out, parsed) == ref_products
        record = json.loads((out / "run.json").read_text())
        cache_row = record["cache"]
        total += 1
        killed += proc.returncode == -signal.SIGKILL
        reused_somewhere += cache_row["reused"] > 0
        assert not [p for p in visible(out) if ".tmp" in p or "staging" in p]
    print(
        f"{executor}: {killed}/{total} runs killed, {reused_somewhere} re-runs reused, {observations} looks"
    )
    assert total == TRIALS and observations > 0 and killed >= TRIALS // 2
    # some kills land after partitions finished: their re-run reuses them
    assert reused_somewhere > 0
