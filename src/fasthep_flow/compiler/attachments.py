"""A stage's attachments (`write`, `render`, `inspect`) and top-level `outputs`/`observers`.

Checked here: the style or output each names exists, `when` is a scope the runtime knows, and every path
stays inside the output directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.symbols import Definition, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python
from fasthep_flow.registry.specs import DatasetName, OpSpec

WHEN = ("partition", "dataset", "final")
DEFAULT_WHEN = {"write": "partition", "render": "final", "inspect": "partition"}  # as upstream
LIFECYCLE_WHEN = {"partition_end": "partition", "dataset_end": "dataset", "run_end": "final"}
"""Upstream's lifecycle names for the same three moments (LANGUAGE.md §10)."""


def lifecycle_when(value: str) -> str:
    """`run_end` is `final`, `dataset_end` is `dataset`, `partition_end` is `partition`."""
    return LIFECYCLE_WHEN.get(value, value)


@dataclass
class Attachment:
    kind: str  # write | render | inspect
    stage: str
    n: int
    op: str
    params: dict[str, Any]
    when: str
    node: MapNode
    input_stage: str | None = None
    """The stage whose product it takes when not ``stage`` itself (a render stage's `from`)."""


def _items(node: Node | None) -> list[MapNode]:
    if isinstance(node, MapNode):
        return [node]
    if isinstance(node, SeqNode):
        return [i for i in node.items if isinstance(i, MapNode)]
    return []


def check_output_path(ctx: Context, node: Node | None) -> None:
    """Paths a workflow writes are relative to the output directory; escaping it is refused."""
    if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
        return
    text = node.text
    posix, win = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or win.is_absolute() or text.startswith("~"):
        ctx.report(
            codes.OUTPUT_PATH,
            node,
            f"output path '{text}' is absolute",
            hint="output paths are relative to the output directory (--outdir)",
        )
    elif ".." in posix.parts or ".." in win.parts:
        ctx.report(
            codes.OUTPUT_PATH,
            node,
            f"output path '{text}' leaves the output directory",
            hint="remove the '..' parts: outputs are written inside --outdir",
        )


def collect_outputs(ctx: Context) -> dict[str, dict[str, Any]]:
    outputs = ctx.root.get("outputs")
    out: dict[str, dict[str, Any]] = {}
    if isinstance(outputs, MapNode):
        for entry in outputs.entries:
            value = to_python(entry.value)
            out[entry.key.text] = value if isinstance(value, dict) else {}
            ctx.index.definitions.append(Definition(entry.key.text, SymbolKind.OUTPUT, entry.key.span))
            if isinstance(entry.value, MapNode):
                check_output_path(ctx, entry.value.get("path"))
                _check_sink_op(ctx, entry.value)
    return out


def _check_sink_op(ctx: Context, node: MapNode) -> None:
    op_node = node.get("op") or node.get("kind")
    if isinstance(op_node, ScalarNode) and isinstance(op_node.value, str):
        spec = ctx.registry.stage_op(op_node.text)
        if spec is None and ctx.untrusted_op(op_node):
            return
        if spec is None or spec.kind.value != "sink":
            sinks = sorted(n for n, s in ctx.registry.stage_ops().items() if s.kind.value == "sink")
            ctx.unknown_name(codes.UNKNOWN_OP, op_node, "sink op", sinks)


def collect_attachments(
    ctx: Context,
    decls: list[StageDecl],
    styles: dict[str, dict[str, Any]],
    outputs: dict[str, dict[str, Any]],
    datasets: dict[str, str] | None = None,
) -> list[Attachment]:
    """Each stage's `write`/`render`/`inspect` entries; ``datasets`` (name → eventtype) lets a render's needs
    (comparison's reference and target) be checked."""
    result: list[Attachment] = []
    for d in decls:
        for kind in ("write", "render", "inspect"):
            for n, item in enumerate(_items(d.node.get(kind))):
                att = _attachment(ctx, d, kind, n, item, styles, outputs, datasets)
                if att is not None:
                    result.append(att)
    return result


_DRAWN_KINDS = ("histogram", "cutflow")
"""Product kinds a render attachment draws; other ports (tables, schemas) are drawn by once-per-run stages."""


def undrawn(render: OpSpec, stage: OpSpec) -> set[str]:
    """The product kinds ``render`` draws when ``stage`` produces none of them (empty: it can draw one) — the
    one rule for render attachments and upstream's render stages (``render_stages.py``)."""
    wanted = {p.kind for p in render.inputs} - {"stream"}
    return set() if wanted & {p.kind for p in stage.outputs} else wanted


def _check_drawable(ctx: Context, d: StageDecl, op: str, where: Node) -> None:
    """A render attached to a stage draws one of the stage's products: a histogram style on a cutflow stage
    (or a cutflow table on a histogram) would pass check and fail the run, so it is reported here."""
    render = ctx.registry.render(op) if op else None
    if render is None or d.spec is None or render.pending:
        return
    missing = undrawn(render, d.spec)
    has = [p.kind for p in d.spec.outputs if p.kind in _DRAWN_KINDS]
    if not missing or not missing <= set(_DRAWN_KINDS) or not has:
        return
    drawers = sorted(
        name
        for name in ctx.registry.ops_for("renders")
        if (spec := ctx.registry.render(name)) is not None
        and not spec.pending
        and spec.inputs
        and not undrawn(spec, d.spec)
    )
    wants = " or ".join(sorted(missing))
    ctx.report(
        codes.WRONG_OP_KIND,
        where,
        f"'{op}' draws a {wants}, and stage '{d.id}' ({d.op}) produces no {wants}",
        hint=f"render its {' or '.join(has)} with "
        + (", ".join(f"`{n}`" for n in drawers) or "a style whose op draws it"),
    )


def _attachment(
    ctx: Context,
    d: StageDecl,
    kind: str,
    n: int,
    item: MapNode,
    styles: dict[str, dict[str, Any]],
    outputs: dict[str, dict[str, Any]],
    datasets: dict[str, str] | None = None,
) -> Attachment | None:
    params = to_python(item)
    assert isinstance(params, dict)
    when = lifecycle_when(str(params.pop("when", DEFAULT_WHEN[kind])))
    op = ""
    if kind == "render":
        style_node = item.get("style")
        if isinstance(
            style_node, MapNode
        ):  # upstream's inline style: `{use: base, with: {...}}` or `{op, ...}`
            from fasthep_flow.compiler.styles import inline_style

            resolved = inline_style(ctx, style_node, styles)
            params.pop("style", None)
            op = str(resolved.pop("op", ""))
            params = {**resolved, **params}
        elif isinstance(style_node, ScalarNode) and isinstance(style_node.value, str):
            name = style_node.text
            if not ctx.refer(
                style_node,
                SymbolKind.STYLE,
                styles,
                codes.UNKNOWN_STYLE,
                stage=d.id,
                extra_hint="define it under `styles:`",
            ):
                return None
            op = str(styles[name].get("op", ""))
            _warn_stage_style(ctx, style_node, op)
        check_output_path(ctx, item.get("out"))
        _check_drawable(ctx, d, op, style_node if style_node is not None else item)
    elif kind == "write":
        out_node = item.get("output") or item.get("use")  # `use:` is upstream's name for a layout
        if isinstance(out_node, ScalarNode) and isinstance(out_node.value, str):
            name = out_node.text
            if not ctx.refer(
                out_node,
                SymbolKind.OUTPUT,
                outputs,
                codes.UNKNOWN_OUTPUT,
                stage=d.id,
                extra_hint="define it under `outputs:`",
            ):
                return None
            merged = dict(outputs[name])
            merged.update({k: v for k, v in params.items() if k not in ("output", "use")})
            params = merged
        op = str(params.pop("op", params.pop("kind", "root_tree")))
        if item.get("op") is not None or item.get("kind") is not None:
            _check_sink_op(ctx, item)
        check_output_path(ctx, item.get("path"))
        if when == "dataset" and datasets:
            _check_shared_path(ctx, d, item.get("path") or item, params.get("path"), datasets)
        spec = ctx.registry.stage_op(op)
        if (
            spec is not None
        ):  # a layout (`use:`/`output:`) may supply required params; the merge must have them
            for p in spec.required_params:
                if p.name not in params:
                    anchor = item.entries[0].key if item.entries else item
                    ctx.report(
                        codes.MISSING_PARAM,
                        anchor,
                        f"the writer is missing required key '{p.name}'",
                        hint=f"give `{p.name}:` here or in the `outputs:` layout it uses",
                    )
    else:
        op = str(params.pop("kind", params.pop("op", "hep.schema_snapshot")))
        kind_node = item.get("kind") or item.get("op")
        if (
            isinstance(kind_node, ScalarNode)
            and ctx.registry.observer(op) is None
            and not ctx.untrusted_op(kind_node, op)
        ):
            ctx.unknown_name(
                codes.UNKNOWN_OP, kind_node, "observer", sorted(ctx.registry.ops_for("observers"))
            )
        check_output_path(ctx, item.get("out"))
    if kind == "render" and isinstance(params.get("out"), str):
        params["out"] = with_suffix(params["out"], op)
    if kind == "render" and d.op == "hep.hist":
        from fasthep_flow.compiler.planner import params_with_defaults
        from fasthep_flow.compiler.styles import (
            check_render_needs,
            check_style_axes,
            hist_axis_names,
            hist_category_bins,
        )

        style_node = item.get("style")
        drawn = dict(styles.get(style_node.text, {})) if isinstance(style_node, ScalarNode) else {}
        drawn.update({k: v for k, v in params.items() if k not in ("style", "out")})
        axes = hist_axis_names(params_with_defaults(d))
        check_style_axes(ctx, op, drawn, axes, _x_name_nodes(ctx, item))
        bins = hist_category_bins(params_with_defaults(d))
        check_render_needs(ctx, op, drawn, axes, datasets, style_node or item, when, bins)
    return Attachment(kind, d.id, n, op, params, when, item)


_DATASET_TOKENS = ("{dataset}", "{partition_id}")
"""The path tokens that differ between datasets (the others, `{part}` and `{node_id}`, do not at `when: dataset`)."""


def _check_shared_path(
    ctx: Context, d: StageDecl, node: Node | None, path: Any, datasets: dict[str, str]
) -> None:
    """FF132: a `when: dataset` path without a dataset token is one file every dataset of the stage rewrites."""
    if not isinstance(path, str) or any(t in path for t in _DATASET_TOKENS):
        return
    names = [n for n, eventtype in datasets.items() if _applies(d, n, eventtype)]
    if len(names) > 1:
        anchor = node if node is not None else d.node
        last = names[-1]
        ctx.report(
            codes.SHARED_WRITE_PATH, anchor,
            codes.SHARED_WRITE_PATH.message(count=len(names), path=path, last=last),
            hint="put `{dataset}` in the path to keep one file per dataset",
            severity=Severity.WARNING,
        )  # fmt: skip


def _applies(d: StageDecl, dataset: str, eventtype: str) -> bool:
    """Whether the stage's `applies_to` (eventtype and/or dataset names) takes this dataset."""
    rule = to_python(d.node.get("applies_to"))
    if not isinstance(rule, dict):
        return True
    for keys, value in ((("eventtype", "eventtypes"), eventtype), (("dataset", "datasets"), dataset)):
        wanted = next((rule[k] for k in keys if k in rule), None)
        if wanted is not None and value not in ([wanted] if isinstance(wanted, str) else list(wanted)):
            return False
    return True


def _x_name_nodes(ctx: Context, item: MapNode) -> list[Node | None]:
    """Where a wrong `axes.x.name` is written: the inline style, the named style (or its `with:`), the ref."""

    def node_at(root: Node | None, path: tuple[str, ...]) -> Node | None:
        for part in path:
            root = root.get(part) if isinstance(root, MapNode) else None
        return root

    style = item.get("style")
    if isinstance(style, MapNode):
        return [node_at(style, ("with", "axes", "x", "name")), node_at(style, ("axes", "x", "name")), style]
    if isinstance(style, ScalarNode):
        name = style.text
        return [
            node_at(ctx.root, ("styles", name, "with", "axes", "x", "name")),
            node_at(ctx.root, ("styles", name, "axes", "x", "name")),
            style,
        ]
    return [item]


def with_suffix(out: str, op: str) -> str:
    """Upstream appends `.png` to an `out` without a suffix; a cutflow table gets `.csv`."""
    if PurePosixPath(out).suffix:
        return out
    return out + (".csv" if op.endswith("cutflow_csv") else ".png")


def write_keeps(ctx: Context, attachments: list[Attachment]) -> list[tuple[str, list[ScalarNode]]]:
    """(stage id, the `keep` entries) of every write: its own `keep`, else its layout's (`use:`/`output:`)."""
    layouts = ctx.root.get("outputs")
    out: list[tuple[str, list[ScalarNode]]] = []
    for att in attachments:
        if att.kind != "write":
            continue
        keep = att.node.get("keep")
        if keep is None and isinstance(layouts, MapNode):
            ref = att.node.get("use") or att.node.get("output")
            layout = layouts.get(ref.text) if isinstance(ref, ScalarNode) else None
            keep = layout.get("keep") if isinstance(layout, MapNode) else None
        items = keep.items if isinstance(keep, SeqNode) else []
        out.append((att.stage, [i for i in items if isinstance(i, ScalarNode) and isinstance(i.value, str)]))
    return out


def check_applies_to(ctx: Context, decls: list[StageDecl], dataset_names: list[str]) -> None:
    for d in decls:
        _check_dataset_params(ctx, d, dataset_names)
        node = d.node.get("applies_to")
        if not isinstance(node, MapNode):
            continue
        for key in ("dataset", "datasets"):
            value = node.get(key)
            names = (
                [value]
                if isinstance(value, ScalarNode)
                else list(value.items)
                if isinstance(value, SeqNode)
                else []
            )
            for nm in names:
                if isinstance(nm, ScalarNode) and isinstance(nm.value, str):
                    ctx.refer(nm, SymbolKind.DATASET, dataset_names, codes.UNKNOWN_DATASET, stage=d.id)


def _warn_stage_style(ctx: Context, style_node: ScalarNode, op: str) -> None:
    """A style whose op works only as a stage (``hep.render.schema_validation``: the style itself is not warned
    about, a stage may use it) draws nothing when a render attachment names it: say so where it is named."""
    spec = ctx.registry.render(op)
    if spec is not None and spec.pending and ctx.registry.stage_op(op) is not None:
        ctx.report(
            codes.NOT_SUPPORTED_YET,
            style_node,
            f"{spec.pending} as a render attachment: the render is skipped at run time",
            hint=f"'{op}' runs as a stage (`op: {op}` with `from:` the stages it reports on)",
            severity=Severity.WARNING,
        )


def _check_dataset_params(ctx: Context, d: StageDecl, dataset_names: list[str]) -> None:
    """A param naming a dataset (``curator.root_tree_schema`` ``dataset``) names one of the workflow's."""
    if d.spec is None or d.params is None:
        return
    for param in d.spec.params:
        if param.type is DatasetName:
            value = d.params.get(param.name)
            if isinstance(value, ScalarNode) and isinstance(value.value, str):
                ctx.refer(value, SymbolKind.DATASET, dataset_names, codes.UNKNOWN_DATASET, stage=d.id)


@dataclass
class Observer:
    n: int
    op: str
    params: dict[str, Any]
    at: tuple[str, ...] | None
    """Plan node ids observed; None = every source read (a profile preset without `at`)."""


def collect_observers(ctx: Context, valid_targets: set[str]) -> list[Observer]:
    """Profile presets first, then the workflow's `observers:`; each `at:` must name a plan node."""
    out: list[Observer] = []
    for preset in getattr(ctx.registry, "observer_presets", ()):
        params = dict(preset)
        op = str(params.pop("kind", "hep.schema_snapshot"))
        at = params.pop("at", None)
        out.append(Observer(len(out), op, params, tuple(at) if isinstance(at, list) else None))
    node = ctx.root.get("observers")
    for item in _items(node) if isinstance(node, SeqNode) else []:
        params = to_python(item)
        assert isinstance(params, dict)
        op = str(params.pop("kind", "hep.schema_snapshot"))
        kind_node = item.get("kind")
        if isinstance(kind_node, ScalarNode) and ctx.registry.observer(op) is None:
            if not ctx.untrusted_op(kind_node, op):
                ctx.unknown_name(
                    codes.UNKNOWN_OP, kind_node, "observer", sorted(ctx.registry.ops_for("observers"))
                )
            continue
        at_node = item.get("at")
        targets: list[str] = []
        for t in at_node.items if isinstance(at_node, SeqNode) else [at_node] if at_node is not None else []:
            if isinstance(t, ScalarNode) and isinstance(t.value, str):
                if t.text not in valid_targets:
                    ctx.unknown_name(
                        codes.UNKNOWN_STAGE_REF,
                        t,
                        "plan node",
                        sorted(valid_targets),
                        extra_hint="observe `read.<source>` or `stage.<id>`",
                    )
                    continue
                targets.append(t.text)
        params.pop("at", None)
        check_output_path(ctx, item.get("out"))
        out.append(Observer(len(out), op, params, tuple(targets) if at_node is not None else None))
    return out
