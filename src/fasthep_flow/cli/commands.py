"""One function per subcommand; each returns the exit status. Kept apart from argument parsing."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from fasthep_flow.cli.render import (
    render_github,
    render_json,
    render_sarif,
    render_text,
    summary_line,
)
from fasthep_flow.document.diagnostics import Diagnostic, Fix, Severity, apply_edits
from fasthep_flow.document.spans import LineIndex, Span

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _line_source(indexes: dict[str, LineIndex]):  # type: ignore[no-untyped-def]
    def lines(file: str) -> LineIndex | None:
        if file in indexes:
            return indexes[file]
        try:
            indexes[file] = LineIndex(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return None
        return indexes[file]

    return lines


def is_override(arg: str) -> bool:
    """A command-line word is an override when it has `=` and is not the name of an existing file."""
    return "=" in arg and not Path(arg).exists()


def overrides_of(args: argparse.Namespace, words: list[str] | None = None) -> tuple[str, ...]:
    """The overrides of a command, in the order they apply: positional ones, then `--set` ones."""
    positional = words if words is not None else list(getattr(args, "overrides", []) or [])
    return (*positional, *getattr(args, "set_overrides", []))


def cmd_check(args: argparse.Namespace) -> int:
    from fasthep_flow.compiler import CompileOptions, compile_file

    files = [f for f in args.files if not is_override(f)]
    if not files:
        print("fasthep-flow: error: no workflow file given (only overrides)", file=sys.stderr)
        return EXIT_USAGE
    overrides = overrides_of(args, [f for f in args.files if is_override(f)])
    options = CompileOptions(trust=args.trust, check_inputs=not args.no_inputs, overrides=overrides)
    args.files = files
    all_diags: list[Diagnostic] = []
    indexes: dict[str, LineIndex] = {}
    changed: list[str] = []
    for name in args.files:
        path = Path(name)
        if args.fix:
            changed.extend(_apply_fixes(path, options))
        result = compile_file(path, options)
        indexes.update(result.loaded.files)
        all_diags.extend(result.diagnostics)
    seen: set[tuple[object, ...]] = set()
    unique = []
    for d in all_diags:  # an included file checked twice reports its problems once
        key = (d.code.id, d.span.file, d.span.start, d.message)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    fmt = args.format
    # What --fix changed goes first; machine formats keep stdout for their document, so it goes to stderr.
    for line in changed:
        print(f"fixed {line}", file=sys.stdout if fmt == "text" else sys.stderr)
    if fmt == "text":
        out = render_text(unique, _line_source(indexes), color=_use_color(args.color))
        sys.stdout.write(out)
        print(summary_line(unique, len(args.files)))
        checked = {str(Path(name)) for name in args.files}
        fixable = sum(d.span.file in checked and fixable_here(d, d.span.file) for d in unique)
        if fixable:
            print(f"{fixable} fixable with --fix.")
    elif fmt == "json":
        sys.stdout.write(render_json(unique))
    elif fmt == "github":
        sys.stdout.write(render_github(unique))
    else:
        sys.stdout.write(render_sarif(unique))
    return EXIT_ERRORS if any(d.severity is Severity.ERROR for d in unique) else EXIT_OK


def fixable_here(d: Diagnostic, file: str) -> bool:
    """Whether ``check --fix`` of ``file`` applies ``d``'s fix: a safe fix whose edits all lie in that file
    (included files are never rewritten by checking the file that includes them)."""
    return (
        d.fix is not None
        and d.fix.safe
        and d.span.file == file
        and all(e.span.file == file for e in d.fix.edits)
    )


def _overlap(a: Span, b: Span) -> bool:
    return a.start <= b.end and b.start <= a.end


def _apply_fixes(path: Path, options: object) -> list[str]:
    """Apply the safe fixes until none is left, and say what changed (``file:line: title`` per fix).

    Each round applies fixes whose edits do not touch each other's and re-checks: one fix may reveal another,
    and a fix set aside for touching another is still there (at its new place) in the next round. One fix
    carried by several diagnostics (two missing params of one stage) is applied once.
    """
    from fasthep_flow.compiler import compile_file

    file = str(path)
    changed: list[str] = []
    for _ in range(5):
        result = compile_file(path, options)  # type: ignore[arg-type]
        chosen: list[Fix] = []
        taken: list[Span] = []
        for d in result.diagnostics:
            fix = d.fix
            if fix is None or not fixable_here(d, file) or fix in chosen:
                continue
            if any(_overlap(e.span, t) for e in fix.edits for t in taken):
                continue
            chosen.append(fix)
            taken.extend(e.span for e in fix.edits)
        if not chosen:
            break
        from fasthep_flow.document.files import read_workflow_file

        text = read_workflow_file(path)  # as the compile read it: bounded, line endings kept
        new = apply_edits(text, [e for fix in chosen for e in fix.edits])
        if new == text:
            break
        path.write_text(new, encoding="utf-8", newline="")
        changed.extend(f"{file}:{fix.edits[0].span.start.line + 1}: {fix.title}" for fix in chosen)
    return changed


def _compile_or_report(  # type: ignore[no-untyped-def]
    workflow: str, trust: bool, overrides: tuple[str, ...] = (), workflows: tuple[str, ...] = ()
):
    from fasthep_flow.compiler import CompileOptions, compile_file

    path = Path(workflow)
    if not path.exists():
        print(f"fasthep-flow: error: no such file: {workflow}", file=sys.stderr)
        return None, EXIT_USAGE
    result = compile_file(path, CompileOptions(trust=trust, overrides=overrides, workflows=workflows))
    problems = [d for d in result.diagnostics if d.severity >= Severity.WARNING]
    if problems:
        sys.stderr.write(render_text(problems, _line_source(dict(result.loaded.files)), color=False))
    if result.plan is None:
        print(f"fasthep-flow: {workflow} has errors; nothing was compiled.", file=sys.stderr)
        return None, EXIT_ERRORS
    return result, EXIT_OK


def cmd_compile(args: argparse.Namespace) -> int:
    import yaml

    from fasthep_flow.plan import to_dot, to_json, to_mermaid, to_yaml

    result, status = _compile_or_report(args.workflow, args.trust, overrides_of(args), _selected(args))
    if result is None:
        return status
    outdir = Path(args.outdir) if args.outdir else Path(f"{Path(args.workflow).name.split('.')[0]}.compiled")
    if not args.outdir and outdir.is_symlink():  # a cloned repository can ship it as a link to anywhere
        print(
            f"fasthep-flow: error: the default output folder '{outdir}' is a symbolic link; "
            "delete it or pass --outdir",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    outdir.mkdir(parents=True, exist_ok=True)
    plan = result.plan
    files = {
        "workflow.normalised.yaml": yaml.safe_dump(result.workflow, sort_keys=False),
        "plan.json": to_json(plan),
        "plan.yaml": to_yaml(plan),
        "graph.mmd": to_mermaid(plan),
        "graph.dot": to_dot(plan),
    }
    for name, text in files.items():
        # A fresh temporary (never through a planted link), renamed over the name (which replaces a link).
        tmp = outdir / f".{name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        tmp.replace(outdir / name)
    print(f"compiled {args.workflow} (plan {plan.hash}, {len(plan.nodes)} nodes) -> {outdir}/")
    for name in files:
        print(f"  {outdir / name}")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from fasthep_flow.plan import to_dot, to_json, to_mermaid, to_yaml

    result, status = _compile_or_report(args.workflow, args.trust, overrides_of(args), _selected(args))
    if result is None:
        return status
    render = {"json": to_json, "yaml": to_yaml, "mermaid": to_mermaid, "dot": to_dot}[args.format]
    sys.stdout.write(render(result.plan))
    return EXIT_OK


def _selected(args: argparse.Namespace) -> tuple[str, ...]:
    """The names given with `--workflow` (none: every workflow of the file)."""
    return tuple(getattr(args, "select_workflows", None) or ())


def default_example() -> Path:
    from fasthep_flow.resources import shipped

    return shipped("examples", "toy_zmumu.flow.yaml")


def cmd_run(args: argparse.Namespace) -> int:
    words = list(args.overrides)
    if args.workflow is not None and is_override(args.workflow):  # `run KEY=VALUE` overrides the example
        words.insert(0, args.workflow)
        args.workflow = None
    overrides = overrides_of(args, words)
    workflow = args.workflow or str(default_example())
    if args.workflow is None and not args.quiet:
        print(f"No workflow given: running the shipped example {workflow}")
    result, status = _compile_or_report(workflow, args.trust, overrides, _selected(args))
    if result is None:
        return status
    if result.untrusted_code:
        return _refuse_untrusted(workflow, result.untrusted_code)
    stem = Path(workflow).name.split(".")[0]
    folder = _output_folder(args, result.plan, Path("fasthep-output") / stem)
    if folder is None:
        return EXIT_USAGE
    outdir, confine_to = folder
    return _execute(
        result.plan, outdir, args, registry=result.registry, overrides=overrides, confine_to=confine_to
    )


def _output_folder(args: argparse.Namespace, plan: Any, default: Path) -> tuple[Path, Path | None] | None:
    """``--outdir`` > ``execution.output_dir`` (a folder inside the workflow's folder) > ``default``.

    A workflow may come from someone else, and a run replaces its output folder whole: so the folder it names
    must stay below its own folder (no absolute path, no ``..``), and no part of the way there may be a link
    (``confine_to``, as for the default folder). Any other place is the user's to type with ``--outdir``.
    """
    if args.outdir:
        return Path(args.outdir), None
    execution = getattr(plan, "execution", {}) or {}
    value = execution.get("output_dir") if isinstance(execution, dict) else None
    workflow_file = getattr(plan, "workflow_file", None)
    if not isinstance(value, str) or not value.strip():
        return default, Path.cwd()
    base = Path(workflow_file).parent if workflow_file else Path.cwd()
    rel = Path(value)
    if value.startswith("~") or rel.is_absolute() or ".." in rel.parts or not rel.parts:
        print(
            f"fasthep-flow: error: execution.output_dir '{value}' is not a folder inside the workflow's folder; "
            "a workflow may only name an output folder below itself: pass --outdir for any other place",
            file=sys.stderr,
        )
        return None
    return base / rel, base


def _refuse_untrusted(workflow: str, items: tuple) -> int:  # type: ignore[type-arg]
    """``run`` never executes code a workflow names unless the user trusts it: say what, and where."""
    from fasthep_flow.cli.render import display_path

    lines = [
        f"fasthep-flow: refusing to run {workflow}: it names Python code and the workspace is not trusted:"
    ]
    for item in items:
        where = f"{display_path(item.span.file)}:{item.span.start.line + 1}:{item.span.start.col + 1}"
        lines.append(f"  {where}: {item.what} '{item.ref}'")
    lines.append("Run it with --trust only if you trust the code this workflow names.")
    print("\n".join(lines), file=sys.stderr)
    return EXIT_ERRORS


def cmd_run_plan(args: argparse.Namespace) -> int:
    from fasthep_flow.plan import ExecutionPlan

    try:
        data = json.loads(Path(args.plan).read_text(encoding="utf-8"))
        plan = ExecutionPlan.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"fasthep-flow: error: cannot read plan {args.plan}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    folder = _output_folder(args, plan, Path("fasthep-output") / Path(args.plan).stem)
    if folder is None:
        return EXIT_USAGE
    return _execute(plan, folder[0], args, confine_to=folder[1])


def _execute(
    plan: object,
    outdir: Path,
    args: argparse.Namespace,
    registry: object = None,
    overrides: tuple[str, ...] = (),
    backend: object = None,
    confine_to: Path | None = None,
) -> int:
    """Run ``plan`` into ``outdir``; ``confine_to``: a folder no part of ``outdir`` below may be a link (for
    an output folder the user did not type)."""
    from fasthep_flow.cli.render import render_text as _render
    from fasthep_flow.runtime import RunOptions, run_plan
    from fasthep_flow.runtime.cache_store import cache_folder
    from fasthep_flow.runtime.console import ConsoleProgress, format_explain, make_console, print_summary
    from fasthep_flow.runtime.executors import ClusterError, cluster_spec

    execution = getattr(plan, "execution", {}) or {}
    setting = execution.get("cache")
    workflow_file = getattr(plan, "workflow_file", None)
    cluster_kind, jobs = getattr(args, "cluster", None), getattr(args, "jobs", None)
    try:
        # --scheduler ADDR replaces the workflow's cluster (as every command-line option overrides the workflow)
        planned_cluster = None if args.scheduler and not cluster_kind else execution.get("cluster")
        spec = cluster_spec(planned_cluster, cluster_kind, jobs)
    except ClusterError as exc:
        print(f"fasthep-flow: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # The workflow's `execution` settings are defaults; the command line wins (`--cluster` means dask).
    executor = (
        args.executor
        or ("dask" if cluster_kind else None)
        or _setting(execution, "executor", str)
        or "serial"
    )
    workers = args.workers or _setting(execution, "workers", int) or (2 if executor != "serial" else 1)
    options = RunOptions(
        cache_dir=cache_folder(setting, workflow_file, args.cache_dir, args.no_cache),
        outdir=outdir,
        executor=executor,
        workers=workers,
        scheduler=args.scheduler or _setting(execution, "scheduler", str),
        cluster=_cluster_dict(spec) if spec is not None and (executor == "dask" or cluster_kind) else None,
        chunk_size=args.chunk_size if args.chunk_size is not None else _plan_chunk(plan),
        datasets=tuple(args.dataset),
        keep_going=args.keep_going,
        debug=getattr(args, "debug", False),
        overrides=overrides,
        workflows=tuple(getattr(plan, "workflows", None) or ()),  # the named workflows this run runs
        wait=args.wait,
        from_stage=getattr(args, "from_stage", None),
        to_stage=getattr(args, "to_stage", None),
        confine_to=confine_to,
    )
    progress = None if args.quiet else ConsoleProgress()
    if executor == "hamilton":
        from fasthep_flow.backends.hamilton import HamiltonExecutor

        backend = HamiltonExecutor()
    result = run_plan(plan, options, progress=progress, registry=registry, executor=backend)  # type: ignore[arg-type]
    # Errors always; warnings (e.g. FF405: a histogram ROOT cannot hold, written as JSON only) unless --quiet.
    problems = [*result.errors, *([] if args.quiet else result.warnings)]
    if problems:
        sys.stderr.write(_render(problems, _line_source({}), color=_use_color("auto")))
    if result.summary.partitions and (not args.quiet or not result.ok):
        # A run refused before it started has nothing to summarise. Colours only on a terminal.
        print_summary(result, make_console(sys.stdout, terminal=None if _use_color("auto") else False))
    if args.explain and result.record:
        print(format_explain(result.record.get("cache", {})))
    return EXIT_OK if result.ok else EXIT_ERRORS


def _setting(execution: Any, key: str, kind: type) -> Any:
    """The workflow's `execution.<key>` when it has the right type (command-line options win over it)."""
    value = execution.get(key) if isinstance(execution, dict) else None
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _cluster_dict(spec: object) -> dict[str, object]:
    """The cluster as ``execution.cluster`` writes it, for ``RunOptions`` and run.json."""
    from dataclasses import asdict

    data = asdict(spec)  # type: ignore[call-overload]
    extra = data.pop("extra") or {}
    adapt = data.pop("adapt")
    if adapt:
        data["adapt"] = {"minimum": adapt[0], "maximum": adapt[1]}
    data["directives"] = list(data["directives"])
    return {**{k: v for k, v in data.items() if v is not None}, **extra}


def _plan_chunk(plan: object) -> int | None:
    value = getattr(plan, "execution", {}).get("chunk_size")
    return value if isinstance(value, int) else 100_000


def cmd_cache(args: argparse.Namespace) -> int:
    from fasthep_flow.runtime.cache_store import CacheStore, cache_folder, parse_size

    folder = cache_folder(None, None, args.cache_dir)
    assert folder is not None  # no --no-cache here
    store = CacheStore(folder)
    if args.action == "clear":
        store.clear()
        print(f"cleared {folder}")
        return EXIT_OK
    if args.action == "gc":
        limit = parse_size(args.max_size) if args.max_size else None
        if args.max_size and limit is None:
            print(f"fasthep-flow: error: cannot read size {args.max_size!r} (e.g. 500M, 5G)", file=sys.stderr)
            return EXIT_USAGE
        freed = store.gc(limit)
        print(f"freed {freed:,} bytes in {folder}")
        return EXIT_OK
    info = store.info()
    print(f"cache folder: {info.folder}")
    print(
        f"entries: {info.entries:,}  blobs: {info.blobs:,}  size: {info.bytes:,} bytes (limit {info.limit:,})"
    )
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from fasthep_flow.runtime.cache_store import CacheStore, cache_folder
    from fasthep_flow.runtime.run_history import diff_runs, find_run, list_runs

    folder = cache_folder(None, None, args.cache_dir)
    assert folder is not None  # no --no-cache here
    store = CacheStore(folder)
    wanted = {"list": 0, "show": 1, "diff": 2}[args.action]
    if len(args.ids) != wanted:
        print(f"fasthep-flow: error: `runs {args.action}` takes {wanted} run id(s)", file=sys.stderr)
        return EXIT_USAGE
    found = [find_run(store, i) for i in args.ids]
    for run in found:
        if isinstance(run, str):
            print(f"fasthep-flow: error: {run}", file=sys.stderr)
            return EXIT_ERRORS
    if args.action == "list":
        runs = list_runs(store)
        if args.json:
            print(
                json.dumps([{k: r.get(k) for k in ("run_id", "started", "status", "workflow")} for r in runs])
            )
        for r in [] if args.json else runs:
            print(f"{r.get('run_id')}  {r.get('status'):6}  {r.get('workflow')}")
        return EXIT_OK
    if args.action == "show":
        print(json.dumps(found[0], indent=2, sort_keys=True, default=str))
        return EXIT_OK
    diff = diff_runs(store, found[0], found[1])  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(diff, indent=2, sort_keys=True, default=str))
        return EXIT_OK
    print(f"runs {diff['a']} -> {diff['b']}")
    for change in diff["products"]:
        where = f"{change['node']} [{change['dataset']}] {change['product']}"
        if change["kind"] == "cutflow":
            for step in change["steps"]:
                moved = ", ".join(f"{k} {v[0]} -> {v[1]}" for k, v in step.items() if isinstance(v, list))
                label = step["step"][-1] if isinstance(step["step"], list) else step["step"]
                print(f"  cutflow {where}: {step['group']}/{label}: {moved or step.get('change')}")
        elif change["kind"] == "histogram":
            if change.get("binning_changed"):
                print(f"  histogram {where}: binning changed")
            else:
                print(
                    f"  histogram {where}: {change['bins_changed']} bins changed, max |change| "
                    f"{change['max_abs_change']:g}, sum {change['sum_a']:g} -> {change['sum_b']:g}"
                )
        else:
            print(f"  {where}: {change['kind']}")
    for param in diff["params"]:
        print(f"  params of {param['node']} changed")
    for path in diff["inputs"]:
        print(f"  input changed: {path}")
    if diff["overrides"]:
        print(f"  overrides: {diff['overrides']['a']} -> {diff['overrides']['b']}")
    if not (diff["products"] or diff["params"] or diff["inputs"] or diff["overrides"]):
        print("  no differences")
    return EXIT_OK


def cmd_ops(args: argparse.Namespace) -> int:
    """The registry as tables, or one op's reference: rendered by rich on a terminal, Markdown otherwise (so
    ``fasthep-flow ops hep.hist > hist.md`` writes the Markdown itself)."""
    from fasthep_flow.registry import load_registry
    from fasthep_flow.registry.reference import op_markdown
    from fasthep_flow.runtime.console import make_console

    if args.from_workflow:  # the workflow's registry: its profiles and layers (imported only with --trust)
        from fasthep_flow.compiler import CompileOptions, compile_file

        if not Path(args.from_workflow).is_file():
            print(f"fasthep-flow: error: no such file: {args.from_workflow}", file=sys.stderr)
            return EXIT_USAGE
        compiled = compile_file(args.from_workflow, CompileOptions(trust=args.trust, check_inputs=False))
        registry = compiled.registry or load_registry(None, None, False)[0]
        for item in compiled.untrusted_code:
            print(
                f"fasthep-flow: {item.what} '{item.ref}' not loaded: workspace not trusted (--trust loads it)",
                file=sys.stderr,
            )
    else:
        registry, _ = load_registry(None, None, False)
    rich_out = sys.stdout.isatty() if args.render == "auto" else args.render == "rich"
    console = make_console(sys.stdout, terminal=rich_out)

    def show(markdown: str) -> None:
        if rich_out:
            from rich.markdown import Markdown

            console.print(Markdown(markdown))
        else:
            print(markdown)

    if args.name:
        specs = registry.lookup(args.name)
        fn = registry.functions.get(args.name)
        if fn is not None:
            show(f"`{fn.display}`\n\n{fn.doc}")
            return EXIT_OK
        if not specs:
            from fasthep_flow.registry.suggest import suggest

            names = sorted({s.name for s in registry.all_ops()} | set(registry.functions))
            best = suggest(args.name, names)
            hint = f" (did you mean '{best}'?)" if best else ""
            print(f"fasthep-flow: error: no op or function named '{args.name}'{hint}", file=sys.stderr)
            return EXIT_ERRORS
        for spec in specs:
            show(op_markdown(spec))
        return EXIT_OK
    from rich import box
    from rich.table import Table

    from fasthep_flow.registry.specs import KindGroup

    groups = [(g.value, sorted((n, s.summary) for n, s in registry.ops_for(g).items())) for g in KindGroup]
    functions = sorted((n, fn.doc.splitlines()[0] if fn.doc else "") for n, fn in registry.functions.items())
    for title, rows in [*groups, ("functions", functions)]:
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column("name", style="bold cyan", no_wrap=True)
        table.add_column("what it does")
        for name, summary in rows:
            table.add_row(name, summary)
        console.print(table)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from fasthep_flow.registry import load_registry
    from fasthep_flow.registry.schema import workflow_schema

    registry, _ = load_registry(None, None, False)
    text = json.dumps(workflow_schema(registry), indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_lsp(args: argparse.Namespace) -> int:
    from fasthep_flow.lsp.launch import main as lsp_main

    argv = []
    if args.tcp:
        argv += ["--tcp", args.tcp]
    if args.log_file:
        argv += ["--log-file", args.log_file]
    return int(lsp_main(argv) or 0)


def _read_plan(path: str) -> object | None:
    from fasthep_flow.plan import ExecutionPlan

    try:
        return ExecutionPlan.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"fasthep-flow: error: cannot read plan {path}: {exc}", file=sys.stderr)
        return None


def _bindings(plan: object, registry: object = None) -> object:
    from fasthep_flow.runtime.bindings import Bindings
    from fasthep_flow.runtime.run import default_registry

    return Bindings.from_registry(plan, registry if registry is not None else default_registry(plan))  # type: ignore[arg-type]


def cmd_export(args: argparse.Namespace) -> int:
    """``export snakemake WF -o DIR``: the plan as a Snakefile whose jobs call this CLI."""
    from fasthep_flow.backends.snakemake import ExportRefused, export_snakemake, jobs_command

    result, status = _compile_or_report(args.workflow, args.trust, ())
    if result is None:
        return status
    chunk = args.chunk_size if args.chunk_size is not None else _plan_chunk(result.plan)
    out = Path(args.output)
    try:
        changed = export_snakemake(
            result.plan, _bindings(result.plan, result.registry), out, chunk, jobs_command()
        )  # type: ignore[arg-type]
    except ExportRefused as exc:
        print(f"fasthep-flow: error: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    print(
        f"exported {args.workflow} (plan {result.plan.hash}) to {out}/ for snakemake; {len(changed)} file(s) changed"
    )
    for path in changed:
        print(f"  {path}")
    return EXIT_OK


def cmd_run_partition(args: argparse.Namespace) -> int:
    from fasthep_flow.backends.snakemake import ExportRefused, run_one_partition

    plan = _read_plan(args.plan)
    if plan is None:
        return EXIT_USAGE
    try:
        partial = run_one_partition(
            plan, _bindings(plan), args.dataset, args.index, args.chunk_size, Path(args.output)
        )  # type: ignore[arg-type]
    except ExportRefused as exc:
        print(f"fasthep-flow: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if partial.failures:
        from fasthep_flow.cli.render import render_text as _render

        sys.stderr.write(_render([f.diagnostic for f in partial.failures], _line_source({}), color=False))
        return EXIT_ERRORS
    return EXIT_OK


def cmd_merge_partitions(args: argparse.Namespace) -> int:
    from fasthep_flow.backends.snakemake import ExportRefused, merge_partitions

    plan = _read_plan(args.plan)
    if plan is None:
        return EXIT_USAGE
    try:
        merge_partitions(plan, _bindings(plan), [Path(p) for p in args.partials], Path(args.output))  # type: ignore[arg-type]
    except ExportRefused as exc:
        print(f"fasthep-flow: error: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    """The final job: outputs and run.json from the merged datasets, through ``run_plan`` with nothing to run."""
    from fasthep_flow.backends.snakemake import MergedExecutor

    plan = _read_plan(args.plan)
    if plan is None:
        return EXIT_USAGE
    args.executor, args.workers, args.scheduler, args.dataset = "snakemake", 1, None, []
    args.keep_going, args.wait = False, None
    args.cache_dir, args.no_cache, args.explain = None, True, False  # nothing runs here: nothing to cache
    return _execute(plan, Path(args.outdir), args, backend=MergedExecutor([Path(p) for p in args.merged]))
