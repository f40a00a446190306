"""Style references beyond `styles.<name>`: inline styles on a render (`style: {use, with}`), nested `use`
inside a style (upstream's `project.then`), and the warning for render ops that draw nothing yet.

A style is resolved as upstream does (LANGUAGE.md §11): the base named by `use` (already resolved), then the
mapping's own keys, then `with`, deep-merged in that order; nested mappings holding `use` expand the same way.
"""

from __future__ import annotations

from typing import Any

from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.reports import REPORT_NOT_A_RENDER, REPORT_OP
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


def check_render_op(ctx: Context, op_node: ScalarNode | None, named_style: bool = False) -> None:
    """An unknown render op is an error; an accepted-but-pending one a warning — except in a named style whose
    op is also a stage op (a stage may use the style; an attachment naming it is warned about where it names
    it); the report op in a style an error (upstream fails there: its report context exists only for
    `reports:`)."""
    if op_node is None or not isinstance(op_node.value, str):
        return
    spec = ctx.registry.render(op_node.text)
    if spec is None:
        if ctx.untrusted_op(op_node):  # already reported as not loaded (FF112)
            return
        ctx.unknown_name(codes.UNKNOWN_OP, op_node, "render op", sorted(ctx.registry.ops_for("renders")))
    elif spec.name == REPORT_OP:
        ctx.report(
            codes.WRONG_OP_KIND,
            op_node,
            REPORT_NOT_A_RENDER,
            hint="write the report as a top-level entry: "
            "`reports: [{id, op: hep.report.template, source: provenance, outputs: [{path, format}]}]`",
        )
    elif spec.pending and not (named_style and ctx.registry.stage_op(op_node.text) is not None):
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


def hist_category_bins(params: Any) -> dict[str, list[str]]:
    """The bins a `hep.hist` stage's category axes are known to have at compile time: its variation axis (one
    bin per `variations.weights` key)."""
    variations = params.get("variations") if isinstance(params, dict) else None
    if not isinstance(variations, dict) or not isinstance(variations.get("weights"), dict):
        return {}
    return {str(variations.get("axis") or "variation"): [str(k) for k in variations["weights"]]}


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


CATEGORY_AXES = ("dataset", "dataset_name", "variation")
"""Axes a 2D map or a projection never draws along (the dataset axis and the variation axis)."""
DRAWS_PROJECTION = (
    "hep.render.hist1d",
    "hep.render.data_mc",
    "hep.render.heatmap2d",
    "hep.render.comparison",
)


def render_needs(
    op: str,
    style: dict[str, Any],
    axes: list[str],
    datasets: dict[str, str] | None,
    bins: dict[str, list[str]] | None = None,
) -> list[tuple[str, str]]:
    """(message, hint) for each thing the render of ``op`` with ``style`` needs and the histogram (its axis
    names ``axes``) or the run's datasets (name → eventtype; None when unknown) do not give: the run would fail.
    """
    problems: list[tuple[str, str]] = []
    have = f"this histogram has: {', '.join(axes)}"
    style_axes = style.get("axes") if isinstance(style.get("axes"), dict) else {}

    def named(which: str) -> str | None:
        spec = style_axes.get(which)
        name = spec.get("name") if isinstance(spec, dict) else None
        return name if isinstance(name, str) else None

    if op == "hep.render.heatmap2d":
        x, y = named("x"), named("y")
        missing = [n for n in (x, y) if n is not None and n not in axes]
        for name in missing:
            problems.append((f"heatmap2d: the histogram has no axis '{name}'", have))
        pool = [a for a in axes if a not in CATEGORY_AXES and a not in (x, y)]
        x = x if x is not None else (pool.pop(0) if pool else None)
        y = y if y is not None else (pool.pop(0) if pool else None)
        if not missing and (x is None or y is None or x == y):
            problems.append(("heatmap2d: needs two different axes to draw", f"fill a 2D histogram ({have})"))
    elif op == "hep.render.project":
        block = style.get("project") if isinstance(style.get("project"), dict) else {}
        axis = block.get("axis")
        then = block.get("then")
        if isinstance(axis, str) and axis not in axes:
            problems.append((f"project.axis: the histogram has no axis '{axis}'", have))
        elif isinstance(axis, str):
            keep = block.get("keep_dataset", True) is not False
            kept = [a for a in axes if a == axis or a == "variation" or (keep and a in CATEGORY_AXES[:2])]
            inner_op = str(then.get("op") or "hep.render.hist1d") if isinstance(then, dict) else None
            if inner_op is None:
                problems.append(
                    (
                        f"project.then: no style named {then!r}",
                        "name a style of `styles:` or write {use, with}",
                    )
                )
            elif inner_op not in DRAWS_PROJECTION:
                problems.append(
                    (f"project.then draws with '{inner_op}', which cannot draw a projection",
                     "use a style whose op is " + ", ".join(DRAWS_PROJECTION)),
                )  # fmt: skip
            else:
                assert isinstance(then, dict)
                for message, hint in render_needs(inner_op, then, kept, datasets, bins):
                    problems.append((f"project.then: {message}", f"{hint} (after the projection)"))
                x = named_x(then)
                if inner_op in AXIS_NAMED_BY_X and x is not None and x not in kept:
                    problems.append(
                        (f"project.then: the projection has no axis '{x}'", f"it has: {', '.join(kept)}")
                    )
    elif op == "hep.render.comparison":
        problems += _comparison_needs(style, axes, datasets, bins or {})
    return problems


def named_x(style: dict[str, Any]) -> str | None:
    axes = style.get("axes")
    x = axes.get("x") if isinstance(axes, dict) else None
    name = x.get("name") if isinstance(x, dict) else None
    return name if isinstance(name, str) else None


def _comparison_needs(
    style: dict[str, Any], axes: list[str], datasets: dict[str, str] | None, bins: dict[str, list[str]]
) -> list[tuple[str, str]]:
    opts = style.get("comparison") if isinstance(style.get("comparison"), dict) else {}
    problems: list[tuple[str, str]] = []
    x = named_x(style)
    if x is not None and x not in axes:
        problems.append(
            (f"comparison: the histogram has no axis '{x}'", f"this histogram has: {', '.join(axes)}")
        )
    if datasets is None:
        return problems
    variation_axis = opts.get("variation_axis")
    if isinstance(variation_axis, str):
        if variation_axis not in axes:
            problems.append((f"comparison.variation_axis: the histogram has no axis '{variation_axis}'",
                             "fill it with `variations:` in the hist's params"))  # fmt: skip
        known = bins.get(variation_axis)
        reference = str(opts.get("variation_reference") or "nominal")
        for key, value in (
            ("variation_reference", reference),
            ("variation", opts.get("variation") or reference),
        ):
            if known is not None and str(value) not in known:
                problems.append((f"comparison.{key}: the axis '{variation_axis}' has no bin '{value}'",
                                 "its bins: " + ", ".join(known)))  # fmt: skip
        for key, default in (("reference_eventtype", "data"), ("target_eventtype", "mc")):
            eventtype = str(opts.get(key) or default)
            found = [n for n, t in datasets.items() if t == eventtype]
            if len(found) != 1:
                problems.append((f"comparison.{key}: {len(found)} datasets have eventtype '{eventtype}'",
                                 "the variation form compares exactly one dataset of each eventtype"))  # fmt: skip
        return problems
    for key in ("reference", "target"):
        name = opts.get(key)
        if name is None:
            eventtype = str(opts.get(f"{key}_eventtype") or ("data" if key == "reference" else "mc"))
            if not any(t == eventtype for t in datasets.values()):
                problems.append((f"comparison: no `{key}` given and no dataset has eventtype '{eventtype}'",
                                 f"name the {key} dataset in `comparison.{key}`"))  # fmt: skip
        elif str(name) not in datasets:
            problems.append((f"comparison.{key}: '{name}' is not a dataset of the workflow",
                             "datasets: " + ", ".join(datasets)))  # fmt: skip
    return problems


def check_render_needs(
    ctx: Context,
    op: str,
    style: dict[str, Any],
    axes: list[str] | None,
    datasets: dict[str, str] | None,
    anchor: Node | None,
    when: str = "final",
    bins: dict[str, list[str]] | None = None,
) -> None:
    """Report, at the render's style reference, what :func:`render_needs` finds (nothing when the axes are
    unknown: the hist's params could not be read); a comparison draws two datasets, so only at the run's end."""
    if anchor is None:
        return
    if op == "hep.render.comparison" and when != "final":
        ctx.report(
            codes.PARAM_VALUE,
            anchor,
            f"comparison: a render `when: {when}` draws one dataset at a time; a comparison needs two",
            hint="render it `when: final`",
        )
    if axes is None:
        return
    for message, hint in render_needs(op, style, axes, datasets, bins):
        ctx.report(codes.PARAM_VALUE, anchor, message, hint=hint)
