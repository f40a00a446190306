"""Upstream's render stages: a stage whose `op` is a render op draws the product of the stage it reads.

```yaml
- id: Plot
  op: hep.render.hist1d
  from: [{node: H, port: hist}]
  params: {style: s1}          # a style name or an inline mapping; other params override the style
  out: plot_stage.png          # stage-level `out` and `when` (default final)
```

It becomes the plan node `render.<id>.0` reading `stage.<H>`, exactly like a `render:` attachment on `H`
(LANGUAGE.md §8.4). `variations:` expansion of render stages is accepted and reported as not supported yet.
"""

from __future__ import annotations

from typing import Any

from fasthep_flow.compiler.attachments import (
    Attachment,
    check_output_path,
    lifecycle_when,
    undrawn,
    with_suffix,
)
from fasthep_flow.compiler.context import Context
from fasthep_flow.compiler.reports import REPORT_NOT_A_RENDER, REPORT_OP
from fasthep_flow.compiler.stages import StageDecl
from fasthep_flow.compiler.styles import inline_style
from fasthep_flow.compiler.symbols import SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Severity
from fasthep_flow.document.nodes import MapNode, ScalarNode, to_python


def render_stage_attachments(
    ctx: Context,
    renders: list[StageDecl],
    stages: list[StageDecl],
    styles: dict[str, dict[str, Any]],
    datasets: dict[str, str] | None = None,
) -> list[Attachment]:
    """One render attachment per render stage; ``datasets`` (name → eventtype) checks what it draws."""
    out: list[Attachment] = []
    by_id = {d.id: d for d in stages}
    for d in renders:
        target = d.data_input
        if d.inputs and not any(r.name == target for r in d.inputs) and target is not None:
            continue  # its `from` names nothing known: FF301 says so
        if target is None or target.startswith("source:"):
            anchor = d.op_node or d.node
            ctx.report(
                codes.MISSING_KEY,
                anchor,
                f"render stage '{d.id}' needs `from: [{{node: <stage>, port: hist}}]`",
                hint="name the stage whose histogram or cutflow it draws",
            )
            continue
        if d.op == REPORT_OP:
            ctx.report(
                codes.WRONG_OP_KIND,
                d.op_node or d.node,
                REPORT_NOT_A_RENDER,
                hint="move it to the top-level `reports:` list (`{id, op, source: provenance, outputs}`)",
            )
            continue
        drawn = _drawn_port(d, by_id.get(target))
        if drawn is not None:
            ctx.report(
                codes.WRONG_OP_KIND, d.op_node or d.node, drawn, hint="bind it with `from: [{node: <stage>}]`"
            )
            continue
        params_node = d.node.get("params")
        params = to_python(params_node) if isinstance(params_node, MapNode) else {}
        assert isinstance(params, dict)
        style: dict[str, Any] = {}
        style_node = params_node.get("style") if isinstance(params_node, MapNode) else None
        if isinstance(style_node, ScalarNode) and isinstance(style_node.value, str):
            if ctx.refer(style_node, SymbolKind.STYLE, styles, codes.UNKNOWN_STYLE, stage=d.id):
                style = dict(styles[style_node.text])
        elif isinstance(style_node, MapNode):
            style = inline_style(ctx, style_node, styles)
        merged = {**style, **{k: v for k, v in params.items() if k != "style"}}
        merged.pop("op", None)
        out_node = d.node.get("out")
        check_output_path(ctx, out_node)
        out_text = str(to_python(out_node)) if isinstance(out_node, ScalarNode) else d.id
        merged["out"] = with_suffix(out_text, d.op or "")
        when_node = d.node.get("when")
        when = lifecycle_when(str(to_python(when_node))) if isinstance(when_node, ScalarNode) else "final"
        if d.node.get("variations") is not None:
            ctx.report(
                codes.NOT_SUPPORTED_YET,
                d.node.entry("variations").key if d.node.entry("variations") else d.node,
                f"render stage '{d.id}': `variations` expansion is not supported yet; one render is made",
                severity=Severity.WARNING,
            )
        _check_drawable(ctx, d, by_id.get(target), merged, datasets, when)
        out.append(Attachment("render", d.id, 0, d.op or "", merged, when, d.node, input_stage=target))
    return out


def _drawn_port(render: StageDecl, target: StageDecl | None) -> str | None:
    """Why the stage read cannot be drawn by this render op (None when it can)."""
    if target is None or target.spec is None or render.spec is None:
        return None
    wanted = undrawn(render.spec, target.spec)
    if not wanted:
        return None
    return (
        f"render stage '{render.id}' draws a {' or '.join(sorted(wanted))}, but stage '{target.id}' "
        f"({target.op}) produces none"
    )


def _check_drawable(
    ctx: Context,
    render: StageDecl,
    target: StageDecl | None,
    style: dict[str, Any],
    datasets: dict[str, str] | None,
    when: str,
) -> None:
    """What the render stage's op cannot draw from the histogram it reads (as for `render:` attachments), and
    upstream's comparison of two *stages* (`from` entries `as: reference/target`), which ours does not do."""
    from fasthep_flow.compiler.planner import params_with_defaults
    from fasthep_flow.compiler.styles import check_render_needs, hist_axis_names, hist_category_bins

    op = render.op or ""
    aliased = [r for r in render.inputs if r.alias in ("reference", "target")]
    if op == "hep.render.comparison" and aliased:
        ctx.report(
            codes.NOT_SUPPORTED_YET,
            aliased[0].node,
            f"render stage '{render.id}': comparing two stages (`as: reference/target`) is not supported yet",
            hint=f"it compares datasets of stage '{target.id if target else '?'}': name them in "
            "`comparison.reference` / `comparison.target`",
            severity=Severity.WARNING,
        )
    is_hist = target is not None and target.op == "hep.hist"
    params = params_with_defaults(target) if is_hist and target is not None else {}
    axes = hist_axis_names(params) if is_hist else None
    check_render_needs(ctx, op, style, axes, datasets, render.op_node, when, hist_category_bins(params))
