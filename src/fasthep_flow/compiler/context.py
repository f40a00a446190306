"""The state one compile carries through its passes: the tree, the registry, the findings so far."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fasthep_flow.compiler.symbols import Reference, SymbolIndex, SymbolKind
from fasthep_flow.document import codes
from fasthep_flow.document.codes import Code
from fasthep_flow.document.diagnostics import Diagnostic, Edit, Fix, Related, Severity
from fasthep_flow.document.nodes import MapNode, Node, ScalarNode
from fasthep_flow.document.spans import LineIndex, Span

if TYPE_CHECKING:
    from fasthep_flow.compiler.result import CompileOptions
    from fasthep_flow.registry import Registry


MAX_NAME_CHARS = 200
"""Longest stage id, dataset, source, style, output or global name (file names allow 255 bytes)."""


@dataclass
class Context:
    file: str
    root: MapNode
    registry: Registry
    options: CompileOptions
    workflow_dir: Path | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    index: SymbolIndex = field(default_factory=SymbolIndex)
    lines: dict[str, LineIndex] = field(default_factory=dict)
    """The text of every loaded file (the workflow and its includes), for fixes that insert lines."""
    _seen: set[tuple[str, str, int, int]] = field(default_factory=set)

    def report(
        self,
        code: Code,
        node_or_span: Node | Span,
        message: str,
        *,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
        related: tuple[Related, ...] = (),
        fix: Fix | None = None,
    ) -> None:
        span = node_or_span if isinstance(node_or_span, Span) else node_or_span.span
        key = (code.id, span.file, span.start.line, span.start.col)
        if key in self._seen:
            return  # two passes noticing one problem at one place say it once
        self._seen.add(key)
        self.diagnostics.append(Diagnostic(code, severity, span, message, hint, related, fix))

    def unknown_name(
        self,
        code: Code,
        node: ScalarNode,
        what: str,
        candidates: list[str] | tuple[str, ...],
        *,
        name: str | None = None,
        span: Span | None = None,
        extra_hint: str | None = None,
    ) -> None:
        """`unknown op 'hep.hsit'` with `did you mean 'hep.hist'?` and a safe fix replacing the name."""
        from fasthep_flow.registry.suggest import suggest

        name = node.text if name is None else name
        target = span or node.span
        best = suggest(name, list(candidates))
        hint = f"did you mean '{best}'?" if best else extra_hint
        fix = Fix(f"Replace with '{best}'", (Edit(target, best),)) if best else None
        self.report(code, target, f"unknown {what} '{name}'", hint=hint, fix=fix)

    def check_name(self, node: ScalarNode, what: str, *, file_name: bool = False) -> bool:
        """A name the user chose (stage id, global, source, dataset, style, output): a string of sensible length.

        A float key such as ``1.5:`` cannot be referred to from an expression, and a 100,000-character stage id
        becomes a file name the system refuses at run time; both are FF124 errors here instead. A name that
        becomes part of file names (``file_name``) may not hold a path separator or a control character.
        Returns whether the name is usable.
        """
        if not node.is_string:
            shown = "null" if node.value is None else f"{type(node.value).__name__} {node.text!r}"
            self.report(
                codes.BAD_NAME,
                node,
                f"{what} must be a name (a string), not a {shown}",
                hint=f"quote it if it is meant as a name: '{node.text}'" if node.text else "give it a name",
            )
            return False
        if len(node.text) > MAX_NAME_CHARS:
            self.report(
                codes.BAD_NAME,
                node,
                f"{what} is {len(node.text):,} characters long; names may have at most {MAX_NAME_CHARS}",
                hint="use a short name: it becomes part of file names and node ids",
            )
            return False
        bad = next((c for c in node.text if c in "/\\" or not c.isprintable()), None)
        if file_name and bad is not None:
            self.report(
                codes.BAD_NAME,
                node,
                f"{what} {node.text[:40]!r} contains {bad!r}, which cannot be part of a file name",
                hint="use letters, digits, '_' and '-': the name becomes part of output file names",
            )
            return False
        return True

    def untrusted_op(self, node: ScalarNode, name: str | None = None) -> bool:
        """Report an op that is unknown because trust was not given (FF112, a warning); False otherwise.

        An op named by a ``registry:`` layer that was not imported, or any unknown op while a module-named
        profile is left unloaded (it may provide the op), is not the user's mistake: it is a warning, and the
        stage's params and the fields it would define are left unchecked rather than reported as errors.
        """
        name = node.text if name is None else name
        registry = self.registry
        layers = registry.untrusted_ops()
        if name in layers:
            message = (
                f"op '{name}' not loaded: it comes from {layers[name]}, and the workspace is not trusted"
            )
        elif registry.untrusted_profiles:
            names = ", ".join(f"'{p.ref}'" for p in registry.untrusted_profiles)
            message = (
                f"op '{name}' is unknown; it may come from profile {names}, "
                "not loaded because the workspace is not trusted"
            )
        else:
            return False
        self.report(codes.UNTRUSTED, node, message, hint=UNTRUSTED_NOTE, severity=Severity.WARNING)
        return True

    def refer(
        self,
        node: ScalarNode,
        kind: SymbolKind,
        defined: Collection[str],
        code: Code,
        *,
        stage: str | None = None,
        extra_hint: str | None = None,
    ) -> bool:
        """Record a by-name reference (a style, output or dataset) for navigation; report it when unknown.

        Returns whether the name is defined.
        """
        name = node.text
        ok = name in defined
        self.index.references.append(Reference(name, kind, node.span, stage=stage, resolved=ok))
        if not ok:
            self.unknown_name(code, node, kind.value, sorted(defined), extra_hint=extra_hint)
        return ok


UNTRUSTED_NOTE = (
    "trust the workspace to load it: `--trust` on the command line, workspace trust in the editor"
)

__all__ = ["UNTRUSTED_NOTE", "Context", "codes"]
