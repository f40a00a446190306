"""Run ours on one materialised case, in-process: ``check`` (diagnostics) and ``run`` (products as figures).

In-process keeps the suite fast: one interpreter, imports and the compiled expression grammar shared by every
case. ``run`` goes through the real CLI entry point (``fasthep_flow.cli.main.main``), so it behaves as a user's
``fasthep-flow run`` does; the working directory is the case's, as the upstream oracle ran it.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from conformance.cases import DATA_TOKEN, Case, materialise, workflow_arg
from conformance.ours import figures


@dataclass
class Outcome:
    """What ours did with one case."""

    diagnostics: list[str] = field(default_factory=list)
    """Every diagnostic as ``file:L:C CODE severity`` (1-based; file relative to the case folder)."""
    errors: int = 0
    ran: bool = False
    returncode: int | None = None
    log: str = ""
    products: dict[str, dict[str, object]] | None = None


def _where(file: str, case_dir: Path) -> str:
    path = Path(file)
    try:
        return path.resolve().relative_to(case_dir.resolve()).as_posix()
    except (ValueError, OSError):
        return path.name


def _original_col(path: Path, line: int, col: int, data: Path) -> int:
    """Map a 1-based column of the materialised file back to the case's own file (``$DATA`` unexpanded)."""
    try:
        text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError):
        return col
    shift = len(str(data)) - len(DATA_TOKEN)
    return col - shift * text[: col - 1].count(str(data))


def check(case: Case, scratch: Path, data: Path) -> tuple[Outcome, Path]:
    from fasthep_flow.compiler import CompileOptions, compile_file
    from fasthep_flow.document.diagnostics import Severity

    cwd = materialise(case, scratch, data)
    case_dir = scratch / case.name
    outcome = Outcome()
    with contextlib.chdir(cwd):
        # Trusted, as upstream (which imports every "module:object" a workflow names): the cases are this
        # project's own files, and a registry entry left unloaded would fail the comparison, not the workflow.
        result = compile_file(Path(workflow_arg(case)), CompileOptions(trust=True))
        for d in result.diagnostics:
            where, line = _where(d.span.file, case_dir), d.span.start.line + 1
            col = _original_col(case_dir / where, line, d.span.start.col + 1, data)
            outcome.diagnostics.append(f"{where}:{line}:{col} {d.code.id} {d.severity.label}")
            outcome.errors += d.severity is Severity.ERROR
    return outcome, cwd


def run(case: Case, outcome: Outcome, cwd: Path, outdir: Path) -> None:
    from fasthep_flow.cli.main import main

    argv = ["run", workflow_arg(case), "--outdir", str(outdir), "--quiet", "--trust"]
    if case.chunk_size:
        argv += ["--chunk-size", str(case.chunk_size)]
    buf = io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        rc = main(argv)
    outcome.ran, outcome.returncode, outcome.log = True, rc, buf.getvalue()
    if outdir.is_dir():
        from fasthep_flow.document.diagnostics import InternalError

        try:
            outcome.products = figures(outdir)
        except (
            InternalError
        ) as exc:  # e.g. datasets' histograms that cannot be added: this case fails, not the suite
            outcome.returncode = outcome.returncode or 2
            outcome.log += f"\nerror: ours' products cannot be compared: {exc}\n"
