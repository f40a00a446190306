"""Text to a node tree with spans; diagnostics and spans shared by every layer.

Names are imported on first use (PEP 562): importing one light submodule (spans, the document
snapshot) must not pull in every layer below, which the language server's start and `check` would pay for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {
    "Code": "fasthep_flow.document.codes",
    "Diagnostic": "fasthep_flow.document.diagnostics",
    "Edit": "fasthep_flow.document.diagnostics",
    "Fix": "fasthep_flow.document.diagnostics",
    "InternalError": "fasthep_flow.document.diagnostics",
    "Related": "fasthep_flow.document.diagnostics",
    "Severity": "fasthep_flow.document.diagnostics",
    "apply_edits": "fasthep_flow.document.diagnostics",
    "DiskReader": "fasthep_flow.document.includes",
    "FileReader": "fasthep_flow.document.includes",
    "IncludeRef": "fasthep_flow.document.includes",
    "LoadedWorkflow": "fasthep_flow.document.includes",
    "include_errors": "fasthep_flow.document.includes",
    "load_workflow": "fasthep_flow.document.includes",
    "Loaded": "fasthep_flow.document.loader",
    "parse_yaml": "fasthep_flow.document.loader",
    "Entry": "fasthep_flow.document.nodes",
    "MapNode": "fasthep_flow.document.nodes",
    "Node": "fasthep_flow.document.nodes",
    "ScalarNode": "fasthep_flow.document.nodes",
    "ScalarStyle": "fasthep_flow.document.nodes",
    "SeqNode": "fasthep_flow.document.nodes",
    "to_python": "fasthep_flow.document.nodes",
    "LineIndex": "fasthep_flow.document.spans",
    "Pos": "fasthep_flow.document.spans",
    "Span": "fasthep_flow.document.spans",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
