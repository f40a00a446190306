"""Style references beyond `styles.<name>`: inline styles on a render (`style: {use, with}`), nested `use`
inside a style (upstream's `project.then`), and the warning for render ops that draw nothing yet.

A style is resolved as upstream does (LANGUAGE.md §11): the base named by `use` (already resolved), then the
mapping's own keys, then `with`, deep-merged in that order; nested mappings holding `use` expand the same way.
"""

from __future__ import annotations

from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.symbols import SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode, SeqNode, to_python


def merge_deep(base: Any, over: Any) -> Any:
    """Mappings merge key by key, anything else is replaced by ``over``."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge_deep(base.get(k), v) if k in base else v
        return out
    return over


def expand_nested(value: Any, styles: dict[str, dict[str, Any]], depth: int = 0) -> Any:
    """Every nested mapping with `use: <style>` becomes that style merged with its own keys and `with`."""
    if depth > 20:
        return value
    if isinstance(value, dict):
        out = {k: expand_nested(v, styles, depth + 1) for k, v in value.items()}
        then = out.get("then")
        if depth > 0 and isinstance(then, str) and then in styles:  # `project.then: <style name>`
            out["then"] = expand_nested(styles[then], styles, depth + 1)
        base_name = out.get("use")
        if depth > 0 and isinstance(base_name, str) and base_name in styles:
            own = {k: v for k, v in out.items() if k not in ("use", "with")}
            merged = merge_deep(merge_deep(styles[base_name], own), out.get("with") or {})
            return merged if isinstance(merged, dict) else out
        return out
    if isinstance(value, list):
        return [expand_nested(v, styles, depth + 1) for v in value]
    return value


def check_nested_uses(ctx: Context, node: Node | None, names: Any, depth: int = 0) -> None:
    """A `use:` inside a style's nested mapping (not the style's own) must name a style."""
    if depth > 20:
        return
    if isinstance(node, MapNode):
        for entry in node.entries:
            if depth > 0 and entry.key.text == "use":
                if isinstance(entry.value, ScalarNode) and isinstance(entry.value.value, str):
                    ctx.refer(entry.value, SymbolKind.STYLE, names, codes.UNKNOWN_STYLE)
            else:
                check_nested_uses(ctx, entry.value, names, depth + 1)
    elif isinstance(node, SeqNode):
        for item in node.items:
            check_nested_uses(ctx, item, names, depth + 1)


def check_render_op(ctx: Context, op_node: ScalarNode | None) -> None:
    """An unknown render op is an error; an accepted-but-pending one (heatmap2d, project...) a warning."""
    if op_node is None or not isinstance(op_node.value, str):
        return
    spec = ctx.registry.render(op_node.text)
    if spec is None:
        if ctx.untrusted_op(op_node):  # already reported as not loaded (FF112)
            return
        ctx.unknown_name(codes.UNKNOWN_OP, op_node, "render op", sorted(ctx.registry.ops_for("renders")))
    elif spec.pending:
        ctx.report(
            codes.NOT_SUPPORTED_YET,
            op_node,
            f"{spec.pending}: the render is skipped at run time",
            hint="accepted so that upstream workflows check; use hep.render.hist1d or data_mc to draw now",
            severity=Severity.WARNING,
        )


def inline_style(ctx: Context, node: MapNode, styles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`render: {style: {use: base, with: {...}}}` or a plain inline mapping with `op`."""
    own = to_python(node)
    assert isinstance(own, dict)
    base: dict[str, Any] = {}
    use = node.get("use")
    if (
        isinstance(use, ScalarNode)
        and isinstance(use.value, str)
        and ctx.refer(use, SymbolKind.STYLE, styles, codes.UNKNOWN_STYLE)
    ):
        base = styles[use.text]
    result = merge_deep(base, {k: v for k, v in own.items() if k not in ("use", "with")})
    if isinstance(own.get("with"), dict):
        result = merge_deep(result, own["with"])
    op_node = node.get("op")
    check_render_op(ctx, op_node if isinstance(op_node, ScalarNode) else None)
    check_nested_uses(ctx, node, styles, 1)
    return expand_nested(result, styles)


AXIS_NAMED_BY_X = ("hep.render.hist1d", "hep.render.data_mc")
"""Render ops that draw along the histogram axis named by the style's `axes.x.name`."""


def hist_axis_names(params: Any) -> list[str] | None:
    """The axis names of a `hep.hist` stage's plain params (None when they cannot be known)."""
    if not isinstance(params, dict) or not isinstance(params.get("axes"), list):
        return None
    names = [str(a.get("name")) for a in params["axes"] if isinstance(a, dict) and a.get("name") is not None]
    dataset_axis = params.get("dataset_axis")
    if dataset_axis is True:
        names.append("dataset")
    elif isinstance(dataset_axis, dict):
        names.append(str(dataset_axis.get("name") or "dataset"))
    variations = params.get("variations")
    if isinstance(variations, dict):
        names.append(str(variations.get("axis") or "variation"))
    return names


def check_style_axes(
    ctx: Context, op: str, style: dict[str, Any], axes: list[str] | None, where: list[Node | None]
) -> None:
    """`axes.x.name` of a 1D render must be an axis of the histogram it draws (else the run would fail)."""
    if op not in AXIS_NAMED_BY_X or axes is None:
        return
    x = style.get("axes", {}).get("x") if isinstance(style.get("axes"), dict) else None
    wanted = x.get("name") if isinstance(x, dict) else None
    if not isinstance(wanted, str) or wanted in axes:
        return
    anchor = next((n for n in where if n is not None), None)
    if anchor is None:
        return
    ctx.unknown_name(
        codes.PARAM_VALUE,
        anchor,  # type: ignore[arg-type]
        "histogram axis",
        axes,
        name=wanted,
        extra_hint=f"`axes.x.name` names the histogram axis drawn; this histogram has: {', '.join(axes)}",
    )
