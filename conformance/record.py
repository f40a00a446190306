"""Re-create every ``golden.json`` from upstream fasthep, installed in its own virtual environment.

    python conformance/record.py --upstream-venv /path/to/venv [CASE ...] [--jobs 2]

For each case: materialise it into a scratch folder, run ``fasthep -q run workflow.yaml --outdir out`` there
(with the case's ``chunk_size``; plan-mode systematics also run ``fasthep run-plan`` for every other variation, as
upstream's own docs do), then turn the products into figures with ``extract_upstream.py`` run by the *upstream*
interpreter (only it may unpickle upstream's histograms). The project's venv never imports upstream.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.cases import Case, all_cases, data_dir, materialise, workflow_arg

HERE = Path(__file__).resolve().parent
EXTRACTOR = HERE / "extract_upstream.py"
UPSTREAM_VERSION = "2026.10.1"
TIMEOUT = 600


def _last_error(log: str, scratch: Path) -> str:
    """The exception line of upstream's output (else the last line mentioning an error), scratch path hidden."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    exc = re.compile(r"^([\w.]+(Error|Exception)|error)\b.*:")
    pick = next((ln for ln in reversed(lines) if exc.match(ln)), None)
    if pick is None:
        pick = next(
            (ln for ln in reversed(lines) if re.search(r"error|failed", ln, re.I)), lines[-1] if lines else ""
        )
    return pick.replace(str(scratch), "<scratch>")[:300]


def record(case: Case, venv: Path, data: Path) -> dict[str, object]:
    fasthep, python = venv / "bin" / "fasthep", venv / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix=f"conf-{case.name}-") as tmp:
        scratch = Path(tmp)
        cwd = materialise(case, scratch, data)
        out = scratch / "out"
        cmd = [str(fasthep), "-q", "run", workflow_arg(case), "--outdir", str(out)]
        if case.chunk_size:
            cmd += ["--chunk-size", str(case.chunk_size)]
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        log = proc.stdout + proc.stderr
        variations = []
        if (out / "compile" / "systematics.yaml").is_file():
            for plan in sorted((out / "compile").glob("*/plan.yaml")):
                if plan.parent.name != "nominal":
                    variations.append(plan.parent.name)
                    subprocess.run(
                        [str(fasthep), "-q", "run-plan", str(plan), "--outdir", str(out)],
                        cwd=cwd,
                        capture_output=True,
                        text=True,
                        timeout=TIMEOUT,
                        check=False,
                    )
        accepted = (out / "compile" / "plan.yaml").is_file() or bool(variations)
        products: dict[str, object] = {}
        if (out / "artifacts").is_dir():
            ext = subprocess.run(
                [str(python), str(EXTRACTOR), str(out)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=True,
            )
            products = json.loads(ext.stdout)
        if case.reports:  # report texts, for cases whose template shows only what both tools compute alike
            products["reports"] = {
                rel: (out / rel).read_text(encoding="utf-8") for rel in case.reports if (out / rel).is_file()
            }
        upstream: dict[str, object] = {
            "version": UPSTREAM_VERSION,
            "command": " ".join(["fasthep", *cmd[1:3], workflow_arg(case), "--outdir", "out", *cmd[6:]]),
            "returncode": proc.returncode,
            "accepts": accepted,
            "runs": proc.returncode == 0,
        }
        if variations:
            upstream["run_plan_variations"] = variations
        if proc.returncode != 0:
            upstream["error"] = _last_error(log, scratch)
        return {"upstream": upstream, "products": products}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream-venv", required=True, type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args(argv)
    data = data_dir()
    cases = [c for c in all_cases() if not args.cases or c.name in args.cases]

    def one(case: Case) -> str:
        try:
            golden = record(case, args.upstream_venv.resolve(), data)
        except Exception as exc:  # a broken case must not stop the others; it is reported and left unrecorded
            return f"{case.name}: NOT RECORDED ({type(exc).__name__}: {exc})"
        (case.folder / "golden.json").write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
        up = golden["upstream"]
        return (
            f"{case.name}: rc={up['returncode']} products={sum(len(v) for v in golden['products'].values())}"  # type: ignore[index,union-attr]
        )

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for line in pool.map(one, cases):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
