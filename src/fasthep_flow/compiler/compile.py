"""load → normalise → analyse → plan, collecting every diagnostic; never raises for a user's mistake."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from fasthep_flow.compiler.attachments import (
    check_applies_to,
    collect_attachments,
    collect_observers,
    collect_outputs,
    write_keeps,
)
from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.dataflow import FlowState, analyse_flow, analyse_write_fields
from fasthep_flow.compiler.fields import bind_aliases, collect_aliases, projections
from fasthep_flow.compiler.generator_weights import check_generator_weights
from fasthep_flow.compiler.inputs import check_input_kinds, source_fields
from fasthep_flow.compiler.joins import collect_joins, join_fields, pass_needs_to_inputs
from fasthep_flow.compiler.normalise import (
    collect_datasets,
    collect_globals,
    collect_sources,
    collect_styles,
    deep_merge,
    profile_defaults,
)
from fasthep_flow.compiler.param_files import inline_param_files
from fasthep_flow.compiler.pending_forms import report_pending_forms
from fasthep_flow.compiler.planner import build_plan, params_with_defaults
from fasthep_flow.compiler.render_stages import render_stage_attachments
from fasthep_flow.compiler.reports import collect_reports
from fasthep_flow.compiler.result import CompileOptions, CompileResult
from fasthep_flow.compiler.stages import collect_stages
from fasthep_flow.compiler.structure import check_structure
from fasthep_flow.compiler.symbols import Reference, SymbolIndex, SymbolKind
from fasthep_flow.compiler.systematics import collect_systematics
from fasthep_flow.compiler.workflows import check_selection, collect_workflows
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.document.files import UnreadableFile, prefix_index, read_workflow_file
from fasthep_flow.document.includes import DiskReader, LoadedWorkflow, include_errors, load_workflow
from fasthep_flow.document.node_memo import new_generation
from fasthep_flow.document.nodes import MapNode, ScalarNode, to_python
from fasthep_flow.document.spans import LineIndex
from fasthep_flow.plan import ExecutionPlan

SUPPORTED_VERSIONS = ("1.0", "1")


def compile_file(path: str | Path, options: CompileOptions | None = None) -> CompileResult:
    path = Path(path)
    try:
        text = read_workflow_file(path)
    except UnreadableFile as problem:
        from fasthep_flow.document.spans import Span

        span = Span.point(str(path), problem.pos)
        diag = Diagnostic(problem.code, Severity.ERROR, span, problem.message, problem.hint)
        # the readable part stands in for the file: a renderer must not open it again (a FIFO would hang)
        files = {str(path): prefix_index(problem)}
        return CompileResult((diag,), LoadedWorkflow(None, (diag,), files, ()), None)
    return compile_text(text, str(path), options)


def compile_text(text: str, file: str, options: CompileOptions | None = None) -> CompileResult:
    new_generation()  # per-stage results of the compile before this one are kept for it (document/node_memo.py)
    return _compile(text, file, options or CompileOptions())


def _compile(text: str, file: str, options: CompileOptions) -> CompileResult:
    reader = options.reader or DiskReader()
    loaded = load_workflow(text, file, reader, options.previous)
    if options.overrides:
        loaded = _overridden(loaded, options.overrides)
    diagnostics: list[Diagnostic] = list(loaded.diagnostics)
    root = loaded.root
    workflow_dir = _workflow_dir(file)
    from fasthep_flow.registry import load_registry

    registry, reg_diags = load_registry(root, workflow_dir, options.trust, options.ops)
    diagnostics.extend(reg_diags)
    root, file_diags, param_files = inline_param_files(
        root, registry, reader, workflow_dir, options.project_root
    )
    diagnostics.extend(file_diags)
    if root is None and not diagnostics:
        from fasthep_flow.document.spans import Pos, Span

        diagnostics.append(
            Diagnostic(
                codes.EMPTY_STAGES,
                Severity.ERROR,
                Span(file, Pos(0, 0), Pos(0, 0)),
                "the workflow is empty: nothing to run",
                hint="start with `version: 1.0` and `analysis: {stages: [...]}`",
            )
        )
    if root is None or not isinstance(root, MapNode):
        return CompileResult(tuple(_sorted(diagnostics)), loaded, registry, SymbolIndex())

    ctx = Context(
        file=file,
        root=root,
        registry=registry,
        options=options,
        workflow_dir=workflow_dir,
        lines={**loaded.files, **param_files},
    )
    _check_version(ctx)
    check_structure(ctx)
    report_pending_forms(ctx)
    sources = collect_sources(ctx)
    source_names = [s.name for s in sources]
    joins = collect_joins(ctx, source_names)
    stream_names = source_names + [j.name for j in joins]
    primary = _primary_stream(ctx, stream_names)
    datasets = collect_datasets(ctx)
    check_input_kinds(ctx, datasets)
    globals_ = collect_globals(ctx)
    styles = collect_styles(ctx, [d.name for d in datasets])
    outputs = collect_outputs(ctx)
    aliases = collect_aliases(ctx, stream_names, primary)
    all_decls = collect_stages(ctx, stream_names, primary)
    decls = [d for d in all_decls if d.role != "render"]
    render_decls = [d for d in all_decls if d.role == "render"]
    state = FlowState(sources=source_fields(ctx, sources, datasets), globals=set(globals_))
    join_fields(ctx, joins, state.sources)
    bind_aliases(ctx, aliases, state.sources)
    analyse_flow(ctx, decls, state)
    check_generator_weights(ctx, datasets, state, primary)
    eventtypes = {d.name: str(d.data.get("eventtype", "mc")) for d in datasets}
    attachments = collect_attachments(ctx, decls, styles, outputs, eventtypes)
    attachments += render_stage_attachments(ctx, render_decls, decls, styles, eventtypes)
    analyse_write_fields(ctx, decls, write_keeps(ctx, attachments), state)
    pass_needs_to_inputs(ctx, joins, state.sources, projections(aliases))
    check_applies_to(ctx, decls, [d.name for d in datasets])
    workflows = collect_workflows(ctx, all_decls)
    check_selection(ctx, workflows, options.workflows)
    targets = {f"read.{n}" for n in source_names} | {f"stage.{d.id}" for d in decls}
    targets |= {f"join.{j.name}" for j in joins} | {f"project.{s}" for s in projections(aliases)}
    targets |= {f"{a.kind}.{a.stage}.{a.n}" for a in attachments}  # upstream observes write nodes too
    observers = collect_observers(ctx, targets)
    reports = collect_reports(ctx)
    systematics = collect_systematics(ctx, datasets, state, primary, targets, decls)

    execution = to_python(root.get("execution"))
    execution = deep_merge(
        profile_defaults(ctx, "execution"), execution if isinstance(execution, dict) else {}
    )
    diagnostics.extend(ctx.diagnostics)
    if loaded.includes:  # one FF005 per include item, now that every pass has spoken about included files
        diagnostics = [d for d in diagnostics if d.code is not codes.INCLUDE_ERROR]
        diagnostics.extend(include_errors(loaded, diagnostics))
    has_errors = any(d.severity is Severity.ERROR for d in diagnostics)

    def workflow() -> dict[str, Any]:
        return _normalised(root, sources, datasets, globals_, styles, outputs, decls, execution)

    def plan() -> ExecutionPlan | None:
        if has_errors:
            return None
        built = build_plan(
            ctx,
            decls,
            sources,
            datasets,
            state,
            attachments,
            observers,
            globals_,
            styles,
            outputs,
            execution,
            projections(aliases),
            joins,
            systematics,
        )
        if reports:
            built = replace(built, reports=tuple(reports))
        if not workflows:
            return built
        from fasthep_flow.plan.workflows import select_workflows

        return select_workflows(replace(built, workflows=workflows), options.workflows)

    return CompileResult(tuple(_sorted(diagnostics)), loaded, registry, ctx.index, workflow, plan)


def _overridden(loaded: LoadedWorkflow, overrides: tuple[str, ...]) -> LoadedWorkflow:
    """The merged tree with the command line's overrides on top (included files first, then the file, then
    the overrides: the same 'later wins' order as includes)."""
    from fasthep_flow.document.overrides import apply_overrides, override_file

    root, problems = apply_overrides(loaded.root, overrides)
    files = dict(loaded.files)
    for n, text in enumerate(overrides, start=1):
        files[override_file(n)] = LineIndex(text)
    return replace(loaded, root=root, diagnostics=(*loaded.diagnostics, *problems), files=files, main=None)


def _workflow_dir(file: str) -> Path | None:
    if not file or file.startswith(("untitled:", "<")):
        return None
    if file.startswith("file://"):
        from urllib.parse import unquote, urlparse

        file = unquote(urlparse(file).path)
    return Path(file).resolve().parent


def _primary_stream(ctx: Context, streams: list[str]) -> str:
    """The stream the first stage reads when it names none: `primary_stream` (a source or a join), else the
    first source (upstream refuses to guess between several streams; ours keeps its first-source default)."""
    node = ctx.root.get("primary_stream")
    if isinstance(node, ScalarNode) and node.is_string and node.text:
        known = node.text in streams
        ctx.index.references.append(Reference(node.text, SymbolKind.SOURCE, node.span, resolved=known))
        if known:
            return node.text
        ctx.unknown_name(codes.UNKNOWN_STAGE_REF, node, "stream", streams)
    return streams[0] if streams else "events"


def _check_version(ctx: Context) -> None:
    """Upstream stores any `version` and never checks it; we read the file the same way but say so."""
    node = ctx.root.get("version")
    if isinstance(node, ScalarNode) and node.value is not None and str(node.value) not in SUPPORTED_VERSIONS:
        ctx.report(
            codes.BAD_VERSION,
            node,
            f"unknown language version {node.text!r}: read as version 1.0",
            hint="this fasthep-flow knows `version: 1.0`",
            severity=Severity.WARNING,
        )


def _normalised(
    root: MapNode,
    sources: list[Any],
    datasets: list[Any],
    globals_: dict[str, Any],
    styles: dict[str, Any],
    outputs: dict[str, Any],
    decls: list[Any],
    execution: dict[str, Any],
) -> dict[str, Any]:
    version = root.get("version")
    stages = []
    for d in decls:
        raw: dict[str, Any] = {}
        for key, value in d.node.items():
            if key != "params":
                raw.setdefault(key, to_python(value))  # first wins on a duplicate key, as everywhere
        raw["params"] = params_with_defaults(d)
        if d.data_input:
            raw.setdefault("from", d.data_input.removeprefix("source:"))
        stages.append(raw)
    out: dict[str, Any] = {
        "version": str(version.value) if isinstance(version, ScalarNode) else "1.0",
        "sources": {s.name: {"kind": s.kind, **s.params} for s in sources},
        "datasets": [ds.data for ds in datasets],
        "analysis": {"globals": globals_, "stages": stages},
        "styles": styles,
        "outputs": outputs,
        "execution": execution,
    }
    for key in ("fields", "observers", "systematics", "reports", "joins", "primary_stream", "workflows"):
        value = to_python(root.get(key))
        if value is not None:
            out[key] = value
    return out


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """In document order, each (code, place) once: the schema and a later pass may both see one mistake."""
    seen: set[tuple[str, str, int, int]] = set()
    unique = []
    for d in diagnostics:
        key = (d.code.id, d.span.file, d.span.start.line, d.span.start.col)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return sorted(unique, key=lambda d: (d.span.file, d.span.start.line, d.span.start.col, d.code.id))
