"""The symbol index a compile leaves behind: every definition and reference with its span.

The language service answers hover, go-to-definition, references, rename, outline and completion from this
index, so it never re-derives the data-flow the compiler already worked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fasthep_flow.document.nodes import MapNode, ScalarNode
from fasthep_flow.document.spans import Span


class SymbolKind(StrEnum):
    STAGE = "stage"
    SOURCE = "source"
    FIELD = "field"
    GLOBAL = "global"
    CONTEXT = "context"
    STYLE = "style"
    OUTPUT = "output"
    DATASET = "dataset"
    PROFILE = "profile"
    WORKFLOW = "workflow"


class FieldOrigin(StrEnum):
    BRANCH = "branch"  # read from a source (listed in `branches`, or found in the input file)
    DEFINE = "define"  # defined by a stage (hep.define variable, cutflow flag, select_objects output...)
    ALIAS = "alias"  # top-level `fields:` alias
    GLOBAL = "global"  # analysis.globals
    CONTEXT = "context"  # dataset, dataset_name, file, entries, start, stop


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: SymbolKind
    span: Span
    """The span of the name itself (the `id:` value, the variable's `name:` value, the style's key...)."""
    stage: str | None = None
    """For fields defined by a stage and for stages themselves: the stage id."""
    origin: FieldOrigin | None = None
    detail: str = ""
    """One line for hover: the op of a stage, the defining expression of a field, the branch type..."""
    expr: ScalarNode | None = None
    order: int = 0
    """Position in the flow: stage index * 1000 + step, so 'defined later' can be told from 'defined before'."""


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    kind: SymbolKind
    span: Span
    """The exact span of this occurrence (inside an expression string: just the name's characters)."""
    stage: str | None = None
    resolved: bool = True


@dataclass(frozen=True, slots=True)
class StageInfo:
    id: str
    index: int
    node: MapNode
    id_span: Span | None
    op: str | None
    op_span: Span | None
    inputs: tuple[str, ...] = ()
    """Resolved data inputs (a stage id or `source:<name>`)."""
    needs: tuple[str, ...] = ()


@dataclass
class SymbolIndex:
    definitions: list[Definition] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    stages: list[StageInfo] = field(default_factory=list)
    branch_types: dict[str, str] = field(default_factory=dict)
    """Field -> awkward type string read from the input file's metadata (when it could be read)."""

    def definitions_of(self, name: str, kind: SymbolKind | None = None) -> list[Definition]:
        return [d for d in self.definitions if d.name == name and (kind is None or d.kind is kind)]

    def references_to(self, name: str, kind: SymbolKind | None = None) -> list[Reference]:
        return [r for r in self.references if r.name == name and (kind is None or r.kind is kind)]

    def stage(self, stage_id: str) -> StageInfo | None:
        for s in self.stages:
            if s.id == stage_id:
                return s
        return None

    def fields_visible_at(self, order: int) -> list[Definition]:
        """Fields usable by an expression at flow position ``order`` (sources, globals, earlier defines)."""
        out = []
        for d in self.definitions:
            if d.kind in (SymbolKind.FIELD, SymbolKind.GLOBAL, SymbolKind.CONTEXT) and (
                d.origin is not FieldOrigin.DEFINE or d.order < order
            ):
                out.append(d)
        return out
