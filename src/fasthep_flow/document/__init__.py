"""Text to a node tree with spans; diagnostics and spans shared by every layer."""

from fasthep_flow.document.codes import Code
from fasthep_flow.document.diagnostics import Diagnostic, Edit, Fix, InternalError, Related, Severity, apply_edits
from fasthep_flow.document.nodes import Entry, MapNode, Node, ScalarNode, ScalarStyle, SeqNode, to_python
from fasthep_flow.document.spans import LineIndex, Pos, Span

__all__ = [
    "Code",
    "Diagnostic",
    "Edit",
    "Entry",
    "Fix",
    "InternalError",
    "LineIndex",
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
    "to_python",
]
