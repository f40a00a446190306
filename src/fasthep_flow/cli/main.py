"""The `fasthep-flow` command: check, compile, plan, run, run-plan, ops, schema, lsp.

User mistakes end with a message and exit 1 (diagnostics) or 2 (usage); a bug ends with one line asking for
a report and exit 2 (the traceback only under --debug). Heavy packages are imported by the subcommand that
needs them, so `fasthep-flow check` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class _Version(argparse.Action):
    """``--version``, looked up only when asked for: every other command starts without it."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from fasthep_flow._version import __version__

        parser.exit(message=f"fasthep-flow {__version__}\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


_TRUST_HELP = (
    "import the Python code the workflow names (`registry:` entries, `package:name` profiles); "
    "only for folders you trust"
)
_OVERRIDES_HELP = (
    "overrides KEY=VALUE with OmegaConf dotlist semantics, e.g. analysis.globals.iso_cut=0.2 or "
    "'analysis.stages[Dimuon].params.weight_expr=EventWeight*2' (list items by position or by id/name)"
)


def _overrides(p: argparse.ArgumentParser, positional: bool = True) -> None:
    if positional:
        p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help=_OVERRIDES_HELP)
    p.add_argument(
        "--set",
        dest="set_overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one override (repeatable); the same as a positional KEY=VALUE, applied after them",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fasthep-flow",
        description="Check, compile, run and edit FAST-HEP workflows.",
        epilog="Run `fasthep-flow COMMAND --help` for a command's options. With no command, `run` runs the "
        "shipped toy example.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="report every problem in workflow files",
        description=(
            "Check workflow files and print every problem found, each with file:line:col, a code and a hint. "
            "Exit status: 0 clean (warnings allowed), 1 errors found, 2 usage error."
        ),
    )
    check.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="workflow YAML files; an argument KEY=VALUE that is not a file is an override for every file",
    )
    _overrides(check, positional=False)
    check.add_argument(
        "--format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="output format (default: text)",
    )
    check.add_argument(
        "--trust",
        action="store_true",
        help=_TRUST_HELP,
    )
    check.add_argument(
        "--fix", action="store_true", help="apply the safe fixes in place, then report what is left"
    )
    check.add_argument("--no-inputs", action="store_true", help="do not open input files to check branches")
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="color the text output (default: auto, i.e. when printing to a terminal)",
    )

    comp = sub.add_parser(
        "compile",
        help="write the normalised workflow and the plan",
        description=(
            "Compile a workflow: write workflow.normalised.yaml, plan.json, plan.yaml, graph.mmd and graph.dot."
        ),
    )
    comp.add_argument("workflow", metavar="WF", help="the workflow YAML file")
    comp.add_argument(
        "-o", "--outdir", default=None, help="where to write (default: ./<workflow stem>.compiled)"
    )
    comp.add_argument("--trust", action="store_true", help=_TRUST_HELP)
    _overrides(comp)
    _workflow_option(comp)

    plan = sub.add_parser("plan", help="print the execution plan", description="Print the execution plan.")
    plan.add_argument("workflow", metavar="WF", help="the workflow YAML file")
    plan.add_argument(
        "--format",
        choices=("json", "yaml", "mermaid", "dot"),
        default="mermaid",
        help="output format (default: mermaid)",
    )
    plan.add_argument("--trust", action="store_true", help=_TRUST_HELP)
    _overrides(plan)
    _workflow_option(plan)

    run = sub.add_parser(
        "run",
        help="run a workflow (default: the shipped toy example)",
        description=(
            "Compile and run a workflow. With no WF, runs the shipped example on generated toy data."
        ),
    )
    run.add_argument(
        "workflow",
        metavar="WF",
        nargs="?",
        default=None,
        help="the workflow YAML file (default: the shipped toy example)",
    )
    _overrides(run)
    _workflow_option(run)
    _run_options(run)
    run.add_argument("--trust", action="store_true", help=_TRUST_HELP)

    run_plan = sub.add_parser("run-plan", help="run a plan.json written by `compile`")
    run_plan.add_argument("plan", metavar="PLAN", help="a plan.json written by `fasthep-flow compile`")
    _run_options(run_plan)

    cache = sub.add_parser("cache", help="inspect or empty the result cache")
    cache.add_argument(
        "action", choices=("info", "gc", "clear"), help="info: size; gc: evict to the limit; clear"
    )
    cache.add_argument(
        "--cache-dir", default=None, metavar="DIR", help="the cache folder (default: the user's)"
    )
    cache.add_argument(
        "--max-size", default=None, metavar="SIZE", help="gc: the size to evict down to (e.g. 500M, 5G)"
    )

    runs = sub.add_parser("runs", help="list, show or compare recorded runs")
    runs.add_argument("action", choices=("list", "show", "diff"), help="list; show RUN; diff RUN_A RUN_B")
    runs.add_argument(
        "ids", nargs="*", metavar="RUN", help="run ids (a unique prefix), or `latest` / `previous`"
    )
    runs.add_argument(
        "--cache-dir", default=None, metavar="DIR", help="the cache folder (default: the user's)"
    )
    runs.add_argument("--json", action="store_true", help="print JSON")

    export = sub.add_parser(
        "export",
        help="export the plan to another workflow engine (snakemake)",
        description="Write the workflow's plan as a workflow of another engine, whose jobs call fasthep-flow.",
    )
    export.add_argument("engine", choices=("snakemake",), help="the engine (snakemake)")
    export.add_argument("workflow", metavar="WF", help="the workflow YAML file")
    export.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write")
    export.add_argument("--chunk-size", type=int, default=None, help="entries per partition (0 = whole file)")
    export.add_argument("--trust", action="store_true", help=_TRUST_HELP)

    part = sub.add_parser("run-partition", help="run one partition of a plan (a job of an exported workflow)")
    part.add_argument("plan", metavar="PLAN", help="a plan.json (or a dataset's fragment from `export`)")
    part.add_argument("--dataset", required=True, help="the partition's dataset")
    part.add_argument("--index", type=int, required=True, help="the partition's index in the plan")
    part.add_argument("--chunk-size", type=int, default=None, help="entries per partition (as exported)")
    part.add_argument("-o", "--output", required=True, help="where to write the partition's result")

    merge_parts = sub.add_parser(
        "merge-partitions", help="merge one dataset's partition results (a job of an exported workflow)"
    )
    merge_parts.add_argument("plan", metavar="PLAN", help="the dataset's plan fragment")
    merge_parts.add_argument("partials", nargs="+", metavar="PART", help="results of `run-partition`")
    merge_parts.add_argument("-o", "--output", required=True, help="where to write the merged result")

    merge = sub.add_parser(
        "merge", help="finish a run from merged dataset results (the final job of an exported workflow)"
    )
    merge.add_argument("plan", metavar="PLAN", help="the plan.json written by `export`")
    merge.add_argument("merged", nargs="+", metavar="MERGED", help="results of `merge-partitions`")
    merge.add_argument("--chunk-size", type=int, default=None, help="entries per partition (as exported)")
    merge.add_argument("--outdir", required=True, help="the output folder")
    merge.add_argument("--quiet", action="store_true", help="no summary")

    ops = sub.add_parser("ops", help="document the registry's operations")
    ops.add_argument("name", nargs="?", metavar="NAME", help="one op (or function) to describe")
    ops.add_argument(
        "--render",
        choices=("auto", "rich", "markdown"),
        default="auto",
        help="how to show an op's reference: rich on a terminal, raw Markdown otherwise (default: auto)",
    )
    ops.add_argument(
        "--from",
        dest="from_workflow",
        default=None,
        metavar="WF",
        help="the registry this workflow loads: its profiles and `registry:` ops (those from code need --trust)",
    )
    ops.add_argument("--trust", action="store_true", help=_TRUST_HELP)

    schema = sub.add_parser("schema", help="print the workflow JSON Schema")
    schema.add_argument("-o", "--output", default=None, help="write to a file instead of stdout")

    lsp = sub.add_parser("lsp", help="start the language server (stdio by default)")
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", default=None, help="listen on TCP instead of stdio")
    lsp.add_argument("--log-file", default=None, help="write the server's log here (default: stderr)")

    from fasthep_flow.cli import verbs  # upstream's verbs: normalise, diff, show-defaults, inspect, init

    verbs.add_parsers(sub, _TRUST_HELP, _overrides)
    return parser


def _workflow_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workflow",
        dest="select_workflows",
        action="append",
        default=[],
        metavar="NAME",
        help="only this one of the file's `workflows:` (repeat for several; default: all of them)",
    )


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--outdir", default=None, help="output directory (default: ./fasthep-output/<workflow stem>)"
    )
    p.add_argument(
        "--executor",
        choices=("serial", "threads", "processes", "dask", "hamilton"),
        default=None,
        help="where partitions run (default: execution.executor, else serial; dask with --cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="workers for threads/processes/dask (default: execution.workers, else 2)",
    )
    p.add_argument(
        "--scheduler", default=None, metavar="ADDR", help="existing Dask scheduler, tcp://host:port"
    )
    p.add_argument(
        "--cluster",
        choices=("local", "address", "slurm", "htcondor", "pbs", "lsf"),
        default=None,
        metavar="KIND",
        help="Dask workers from: local, address, slurm, htcondor, pbs, lsf (batch jobs via dask-jobqueue)",
    )
    p.add_argument(
        "--jobs", type=int, default=None, help="batch jobs (Dask workers) to submit with --cluster"
    )
    p.add_argument("--chunk-size", type=int, default=None, help="entries per partition (0 = whole file)")
    p.add_argument("--dataset", action="append", default=[], metavar="NAME", help="run only these datasets")
    p.add_argument(
        "--keep-going", action="store_true", help="let independent branches finish after a failure"
    )
    p.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wait this long for another run to release the output folder (default: refuse at once)",
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="the result cache (default: execution.cache, else ~/.cache/fasthep-flow)",
    )
    p.add_argument("--no-cache", action="store_true", help="recompute everything; read and write no cache")
    p.add_argument(
        "--explain", action="store_true", help="say for each stage what was reused or recomputed, and why"
    )
    p.add_argument(
        "--from",
        dest="from_stage",
        default=None,
        metavar="STAGE",
        help="run STAGE and what follows it, reading the stages above it from the cache",
    )
    p.add_argument(
        "--to",
        dest="to_stage",
        default=None,
        metavar="STAGE",
        help="run only what STAGE needs, STAGE included",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks (also of errors in stages)",
    )


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """The error for a first word that is no command (``chekc``), with a did-you-mean; None when it is one.

    The command is the first word not starting with ``-`` (the top-level options take no value)."""
    word = next((a for a in argv if not a.startswith("-")), None)
    names = _command_names(parser)
    if word is None or word in names:
        return None
    message = f"unknown command '{word}'"
    if word.endswith((".yaml", ".yml")):
        return f"{message} (to run a workflow: fasthep-flow run {word})"
    from fasthep_flow.registry.suggest import suggest

    best = suggest(word, names)
    return (
        f"{message} (did you mean '{best}'?)" if best else f"{message}; the commands are: {', '.join(names)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lsp"]:
        # the editor waits for the answer to `initialize`: it is given before anything heavy is imported
        # (lsp/handshake.py), so neither this parser of every command nor their modules are built first
        from fasthep_flow.lsp.launch import main as lsp_main

        return lsp_main(argv[1:])
    parser = build_parser()
    problem = unknown_command(parser, argv)
    if problem is not None:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*argv, "run"])
    command = args.command
    try:
        from fasthep_flow.cli import commands, verbs

        name = f"cmd_{command.replace('-', '_')}"
        handler = getattr(commands, name, None) or getattr(verbs, name)
        return int(handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        from fasthep_flow.document.diagnostics import InternalError

        if getattr(args, "debug", False):
            raise
        what = str(exc) if isinstance(exc, InternalError) else f"{type(exc).__name__}: {exc}"
        print(
            f"fasthep-flow: internal error: {what}\n"
            "This is a bug in fasthep-flow, not in your workflow. Please report it with the command you ran "
            "(re-run with --debug for the traceback).",
            file=sys.stderr,
        )
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
