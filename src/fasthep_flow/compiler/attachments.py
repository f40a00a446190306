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
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python

WHEN = ("partition", "dataset", "final")
DEFAULT_WHEN = {"write": "partition", "render": "final", "inspect": "partition"}  # as upstream


@dataclass
class Attachment:
    kind: str  # write | render | inspect
    stage: str
    n: int
    op: str
    params: dict[str, Any]
    when: str
    node: MapNode


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
) -> list[Attachment]:
    result: list[Attachment] = []
    for d in decls:
        for kind in ("write", "render", "inspect"):
            for n, item in enumerate(_items(d.node.get(kind))):
                att = _attachment(ctx, d, kind, n, item, styles, outputs)
                if att is not None:
                    result.append(att)
    return result


def _attachment(
    ctx: Context,
    d: StageDecl,
    kind: str,
    n: int,
    item: MapNode,
    styles: dict[str, dict[str, Any]],
    outputs: dict[str, dict[str, Any]],
) -> Attachment | None:
    params = to_python(item)
    assert isinstance(params, dict)
    when = str(params.pop("when", DEFAULT_WHEN[kind]))
    op = ""
    if kind == "render":
        style_node = item.get("style")
        if isinstance(style_node, ScalarNode) and isinstance(style_node.value, str):
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
        check_output_path(ctx, item.get("out"))
    elif kind == "write":
        out_node = item.get("output")
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
            merged.update({k: v for k, v in params.items() if k != "output"})
            params = merged
        op = str(params.pop("op", params.pop("kind", "root_tree")))
        if item.get("op") is not None or item.get("kind") is not None:
            _check_sink_op(ctx, item)
        check_output_path(ctx, item.get("path"))
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
    return Attachment(kind, d.id, n, op, params, when, item)


def check_applies_to(ctx: Context, decls: list[StageDecl], dataset_names: list[str]) -> None:
    for d in decls:
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
