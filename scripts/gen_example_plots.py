"""Run the shipped examples and copy their plots into docs/images/, where docs/outputs.md shows them.

    python scripts/gen_example_plots.py

The toy example needs nothing; the ROOT example reads ``uproot-HZZ.root`` from ``examples/data/``,
``tests/data/`` or ``$FASTHEP_FLOW_TEST_DATA`` (the first that has it), through a temporary copy of the
workflow, so nothing is written into examples/. Look at the images before committing them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "docs" / "images"
EXAMPLES = {
    "toy": (REPO / "examples" / "toy_zmumu.flow.yaml", ("MuonPt", "DiMuonMass")),
    "cms_zmumu": (REPO / "examples" / "cms_zmumu_root.flow.yaml", ("DiMuonMass", "NGoodJet")),
}
HZZ = "uproot-HZZ.root"


def _hzz() -> Path | None:
    folders = [REPO / "examples" / "data", REPO / "tests" / "data"]
    if os.environ.get("FASTHEP_FLOW_TEST_DATA"):
        folders.append(Path(os.environ["FASTHEP_FLOW_TEST_DATA"]))
    return next((f / HZZ for f in folders if (f / HZZ).is_file()), None)


def _run(workflow: Path, outdir: Path) -> None:
    from fasthep_flow.compiler import compile_file
    from fasthep_flow.runtime import RunOptions, run_plan

    compiled = compile_file(workflow)
    if not compiled.ok or compiled.plan is None:
        raise SystemExit(f"{workflow} does not compile: {[d.message for d in compiled.diagnostics]}")
    result = run_plan(compiled.plan, RunOptions(outdir=outdir), registry=compiled.registry)
    if not result.ok:
        raise SystemExit(f"{workflow} failed: {[d.message for d in result.errors]}")


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, (workflow, plots) in EXAMPLES.items():
            folder = Path(tmp) / prefix
            (folder / "data").mkdir(parents=True)
            copy = folder / workflow.name
            shutil.copy(workflow, copy)
            if "data/" in workflow.read_text(encoding="utf-8"):
                hzz = _hzz()
                if hzz is None:
                    print(f"skipping {workflow.name}: {HZZ} not found", file=sys.stderr)
                    continue
                shutil.copy(hzz, folder / "data" / HZZ)
            _run(copy, folder / "out")
            for plot in plots:
                target = IMAGES / f"{prefix}_{plot}.png"
                shutil.copy(folder / "out" / f"{plot}.png", target)
                print(f"wrote {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
