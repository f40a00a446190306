"""Upstream's `registry:` form: a mapping of sections whose entries name Python objects as "module:object".

```yaml
registry:
  functions: {square: "mymod:square"}          # callable in expressions
  constants: {PI: "math:pi"}                   # a number imported from a module (a literal is rejected)
  transforms: {my.op: {spec: "mymod:SPEC", impl: "mymod:run"}}
```

Op sections (`sources`, `transforms`, `sinks`, `observers`, `render`) become the same layers as our list form
and pass the same trust gate (``registry/trust.py``). Functions are bound by their "module:object" string and
imported only by the runtime; constants are imported (they are values). Either needs trust, whether the module
is installed or workspace code: a bound ``os:system`` would otherwise run at run time with no trust given. An
entry refused for want of trust is an FF112 warning and is recorded (``Sections.untrusted``) so that ``run``
refuses the workflow by name. Sections that have no effect here yet (`backends`, `hooks`, `compile_hooks`,
...) are accepted with FF140.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, error, warning
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode
from fasthep_flow.document.spans import Span
from fasthep_flow.registry.specs import FunctionSpec
from fasthep_flow.registry.trust import ImportFailed, NotTrusted, check_module, import_module

OP_SECTIONS = ("sources", "transforms", "sinks", "observers", "render")
PENDING_SECTIONS = (
    "hooks",
    "backends",
    "compile_hooks",
    "progress_sinks",
    "execution_modifiers",
    "product_handlers",
    "resource_kinds",
    "tools",
)
SECTIONS = ("functions", "constants", "report_templates", *OP_SECTIONS, *PENDING_SECTIONS)
UNTRUSTED_HINT = "run with --trust (or enable workspace trust in the editor) to load it"


@dataclass(frozen=True)
class ReportTemplate:
    """`registry.report_templates.<name>`: a report template file registered under a name (data, not code:
    no trust needed). ``path`` is absolute or relative to ``base``, the folder of the file that registers it."""

    path: str
    base: Path | None
    source: str | None


@dataclass
class Sections:
    """What a mapping-form `registry:` contributes."""

    layers: list[tuple[MapNode, str]] = field(default_factory=list)
    """(`{spec, impl}` node, op name) pairs, loaded like list-form layers."""
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    untrusted: list[tuple[str, str, Span]] = field(default_factory=list)
    """(what, "module:object", span) for each entry not loaded because trust was not given."""
    report_templates: dict[str, ReportTemplate] = field(default_factory=dict)


def is_ref(text: str) -> bool:
    module, sep, attr = text.partition(":")
    return bool(sep) and all(p.isidentifier() for p in (*module.split("."), *attr.split(".")))


def read_sections(
    node: MapNode, workflow_dir: Path | None, trust: bool, diagnostics: list[Diagnostic]
) -> Sections:
    out = Sections()
    for entry in node.entries:
        section, body = entry.key.text, entry.value
        if section in PENDING_SECTIONS:
            diagnostics.append(
                warning(
                    codes.NOT_SUPPORTED_YET,
                    entry.key.span,
                    f"registry section '{section}' is accepted but not supported yet: its entries are not used",
                )
            )
            continue
        if section not in SECTIONS or not isinstance(body, MapNode):
            continue  # unknown sections and shapes: the schema reports them
        for item in body.entries:
            name, value = item.key.text, item.value
            if section in OP_SECTIONS:
                if isinstance(value, MapNode):
                    out.layers.append((value, name))
            elif section == "functions":
                _function(out, name, value, workflow_dir, trust, diagnostics)
            elif section == "report_templates":
                _report_template(out, name, value, workflow_dir)
            else:
                _constant(out, name, value, workflow_dir, trust, diagnostics)
    return out


def _report_template(out: Sections, name: str, value: Node, workflow_dir: Path | None) -> None:
    """`{path, source?, formats?, description?}` (upstream's keys; `formats` and `description` are recorded
    there and used nowhere, so they are only checked by the schema). An entry without a string `path` is
    skipped: the schema reports it."""
    if not isinstance(value, MapNode) or not _text(value.get("path")):
        return
    path = value.get("path")
    file = Path(path.span.file) if path is not None and path.span.file else None
    base = file.parent if file is not None and file.is_absolute() else workflow_dir
    out.report_templates[name] = ReportTemplate(_text(path), base, _text(value.get("source")) or None)


def _text(value: Node | None) -> str:
    return value.text.strip() if isinstance(value, ScalarNode) and value.is_string else ""


def _gate(
    out: Sections,
    value: Node,
    workflow_dir: Path | None,
    trust: bool,
    diagnostics: list[Diagnostic],
    what: str,
) -> str | None:
    """The "module:object" text when it may be used (well formed and trusted); else a diagnostic.

    Without trust nothing is imported (the module is only located): an installed module is no safer than workspace code here,
    since binding it lets the workflow call it.
    """
    if not isinstance(value, ScalarNode) or not value.is_string:
        diagnostics.append(
            error(
                codes.PARAM_TYPE,
                value.span,
                f'{what} must be a "module:object" string',
                hint="a literal value is not accepted; name an object in a module, e.g. `math:pi`",
            )
        )
        return None
    ref = value.text.strip()
    if not is_ref(ref):
        diagnostics.append(
            error(
                codes.PARAM_TYPE,
                value.span,
                f"{what} '{ref}' is not of the form 'module:object'",
                hint="e.g. `mypkg.functions:square`",
            )
        )
        return None
    verdict = check_module(ref.partition(":")[0], workflow_dir)
    if not verdict.found:
        diagnostics.append(
            error(
                codes.REGISTRY_LOAD,
                value.span,
                f"module '{verdict.module}' cannot be found",
                hint="is it installed?",
            )
        )
        return None
    if not trust:  # nothing imported: an installed module is no safer than workspace code here
        section, name = what.split(" ", 1)
        diagnostics.append(
            warning(
                codes.UNTRUSTED,
                value.span,
                f"registry {section} {name} ('{ref}') not loaded: workspace not trusted",
                hint=UNTRUSTED_HINT,
            )
        )
        out.untrusted.append((f"registry {section}", ref, value.span))
        return None
    return ref


def _function(
    out: Sections,
    name: str,
    value: Node,
    workflow_dir: Path | None,
    trust: bool,
    diagnostics: list[Diagnostic],
) -> None:
    ref = _gate(out, value, workflow_dir, trust, diagnostics, f"function '{name}'")
    if ref is None and not trust and is_ref(_text(value)):
        # Refused for want of trust (FF112, and `run` refuses the workflow): the name stays known so that its
        # calls are not also reported as unknown functions, but it binds no code (an empty impl).
        out.functions[name] = FunctionSpec(
            name, 0, None, "Not loaded: workspace not trusted.", "", f"{name}(...)"
        )
    elif ref is not None:  # bound by name; the runtime imports it (the same way as built-in functions)
        out.functions[name] = FunctionSpec(
            name, 0, None, f"From `{ref}` (workflow registry).", ref, f"{name}(...)"
        )


def _constant(
    out: Sections,
    name: str,
    value: Node,
    workflow_dir: Path | None,
    trust: bool,
    diagnostics: list[Diagnostic],
) -> None:
    ref = _gate(out, value, workflow_dir, trust, diagnostics, f"constant '{name}'")
    if ref is None:
        if not trust and is_ref(
            _text(value)
        ):  # refused (FF112): known by name for the checker, never a value
            out.constants[name] = float("nan")
        return
    module, _, attr = ref.partition(":")
    verdict = check_module(module, workflow_dir)
    try:
        target: object = import_module(module, workflow_dir, trust=trust, from_workspace=not verdict.trusted)
        for part in attr.split("."):
            target = getattr(target, part)
    except (
        ImportFailed,
        NotTrusted,
        ImportError,
        AttributeError,
    ) as exc:  # each a diagnostic, not a traceback
        diagnostics.append(
            error(
                codes.REGISTRY_LOAD,
                value.span,
                f"constant '{name}' cannot be loaded: {type(exc).__name__}: {exc}",
            )
        )
        return
    if isinstance(target, bool) or not isinstance(target, int | float):
        diagnostics.append(
            error(
                codes.REGISTRY_LOAD,
                value.span,
                f"constant '{name}' is a {type(target).__name__}, not a number",
            )
        )
        return
    out.constants[name] = float(target)
