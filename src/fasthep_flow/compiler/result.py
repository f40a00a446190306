"""What a compile returns: never an exception for a user's mistake, always every diagnostic found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fasthep_flow.compiler.symbols import SymbolIndex
from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.document.includes import FileReader, LoadedWorkflow
from fasthep_flow.document.loader import Loaded
from fasthep_flow.plan import ExecutionPlan

if TYPE_CHECKING:
    from fasthep_flow.registry import Registry, UntrustedCode


@dataclass(frozen=True)
class CompileOptions:
    trust: bool = False
    """Import the Python code a workflow names (`registry:` layers, `pkg:name` profiles): the user trusts it."""
    check_inputs: bool = True
    """Open input files' metadata (lazily, with uproot) to check listed branches and learn types."""
    reader: FileReader | None = None
    """Where included files are read from (the LSP passes its open buffers); disk by default."""
    project_root: Path | None = None
    """Relative input paths resolve here first (the editor's workspace folder); the working directory when
    None — upstream's project root — then the workflow's folder (``document/input_paths.py``)."""
    previous: tuple[str, Loaded] | None = field(default=None, compare=False)
    """The main file's previous text and parse (the editor's last compile): a one-scalar edit re-uses it."""
    overrides: tuple[str, ...] = ()
    """Command-line overrides `KEY=VALUE` (document/overrides.py), applied to the merged tree in order; their
    values are checked like the file's and reported at `<override N>:1:col`."""
    ops: tuple[Any, ...] = field(default=(), compare=False)
    """Op specs from the calling program (``fasthep_flow.load(..., ops=[...])``: ``@op`` functions' specs), added
    to the registry; code already running, so they need no trust."""
    workflows: tuple[str, ...] = ()
    """Run only these of the configuration's named workflows (`run --workflow NAME`): the plan is cut down to
    them (``plan/workflows.py``); an unknown name is an FF309 error. Empty: the whole configuration."""


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class CompileResult:
    diagnostics: tuple[Diagnostic, ...]
    loaded: LoadedWorkflow
    registry: Registry | None
    index: SymbolIndex = field(default_factory=SymbolIndex)
    build_workflow: Callable[[], dict[str, Any] | None] = field(default=_nothing, repr=False, compare=False)
    build_plan: Callable[[], ExecutionPlan | None] = field(default=_nothing, repr=False, compare=False)

    @cached_property
    def workflow(self) -> dict[str, Any] | None:
        """The normalised workflow (plain data), or None when the file could not be read at all.

        Built on first use: the editor asks for diagnostics on every keystroke and for this rarely."""
        return self.build_workflow()

    @cached_property
    def plan(self) -> ExecutionPlan | None:
        """The execution plan, or None when there are errors (built on first use, like ``workflow``)."""
        return self.build_plan()

    @property
    def untrusted_code(self) -> tuple[UntrustedCode, ...]:
        """What the workflow names that would import code but was not loaded (no trust): ``run`` refuses it."""
        return self.registry.untrusted_code() if self.registry is not None else ()

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    def for_file(self, file: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.span.file == file]
