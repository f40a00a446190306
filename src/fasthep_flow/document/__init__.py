"""Text to a node tree with spans; diagnostics and spans shared by every layer."""

from fasthep_flow.document.codes import Code
from fasthep_flow.document.diagnostics import (
    Diagnostic,
    Edit,
    Fix,
    InternalError,
    Related,
    Severity,
    apply_edits,
)
from fasthep_flow.document.includes import (
    DiskReader,
    FileReader,
    IncludeRef,
    LoadedWorkflow,
    include_errors,
    load_workflow,
)
from fasthep_flow.document.loader import Loaded, parse_yaml
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, ScalarStyle, SeqNode, to_python
from fasthep_flow.document.spans import LineIndex, Pos, Span

__all__ = [
    "Code",
    "Diagnostic",
    "DiskReader",
    "Edit",
    "Entry",
    "FileReader",
    "Fix",
    "IncludeRef",
    "InternalError",
    "LineIndex",
    "Loaded",
    "LoadedWorkflow",
    "MapNode",
    "Node",
    "Pos",
    "Related",
    "ScalarNode",
    "ScalarStyle",
    "SeqNode",
    "Severity",
    "Span",
    "apply_edits",
    "include_errors",
    "load_workflow",
    "parse_yaml",
    "to_python",
]
