"""The language service: pure functions from (document, position, context) to results.

The LSP server (``fasthep_flow.lsp``), the CLI and the tests call these; nothing here imports pygls or
lsprotocol. Positions are ``Pos`` (0-based, columns in code points); only ``lsp/convert.py`` knows encodings.

Names are imported on first use (PEP 562): importing one light submodule (spans, the document
snapshot) must not pull in every layer below, which the language server's start and `check` would pay for.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fasthep_flow.service.code_actions import Action, code_actions
    from fasthep_flow.service.code_lens import PREVIEW_PLAN, RUN_PLAN, Lens, code_lenses
    from fasthep_flow.service.complete import Completion, CompletionKind, complete
    from fasthep_flow.service.context import Context, OverlayReader, Settings
    from fasthep_flow.service.definition import definition
    from fasthep_flow.service.diagnose import diagnose, diagnostics_elsewhere, files_read
    from fasthep_flow.service.document import Document, path_to_uri, uri_to_path
    from fasthep_flow.service.folding import Fold, folding_ranges
    from fasthep_flow.service.hover import HoverText, hover
    from fasthep_flow.service.inlay_hints import InferredType, InlayHint, infer_types, inlay_hints
    from fasthep_flow.service.links import Link, document_links
    from fasthep_flow.service.plans import PlanPreview, RunReport, plan_until, preview_plan, run_plan
    from fasthep_flow.service.references import Refusal, RenameTarget, prepare_rename, references, rename
    from fasthep_flow.service.semantic_tokens import LEGEND, Token, semantic_tokens
    from fasthep_flow.service.symbols import OutlineKind, OutlineSymbol, document_symbols

_EXPORTS: dict[str, str] = {
    "Action": "fasthep_flow.service.code_actions",
    "code_actions": "fasthep_flow.service.code_actions",
    "PREVIEW_PLAN": "fasthep_flow.service.code_lens",
    "RUN_PLAN": "fasthep_flow.service.code_lens",
    "Lens": "fasthep_flow.service.code_lens",
    "code_lenses": "fasthep_flow.service.code_lens",
    "Completion": "fasthep_flow.service.complete",
    "CompletionKind": "fasthep_flow.service.complete",
    "complete": "fasthep_flow.service.complete",
    "Context": "fasthep_flow.service.context",
    "OverlayReader": "fasthep_flow.service.context",
    "Settings": "fasthep_flow.service.context",
    "definition": "fasthep_flow.service.definition",
    "diagnose": "fasthep_flow.service.diagnose",
    "diagnostics_elsewhere": "fasthep_flow.service.diagnose",
    "files_read": "fasthep_flow.service.diagnose",
    "Document": "fasthep_flow.service.document",
    "path_to_uri": "fasthep_flow.service.document",
    "uri_to_path": "fasthep_flow.service.document",
    "Fold": "fasthep_flow.service.folding",
    "folding_ranges": "fasthep_flow.service.folding",
    "HoverText": "fasthep_flow.service.hover",
    "hover": "fasthep_flow.service.hover",
    "InferredType": "fasthep_flow.service.inlay_hints",
    "InlayHint": "fasthep_flow.service.inlay_hints",
    "infer_types": "fasthep_flow.service.inlay_hints",
    "inlay_hints": "fasthep_flow.service.inlay_hints",
    "Link": "fasthep_flow.service.links",
    "document_links": "fasthep_flow.service.links",
    "PlanPreview": "fasthep_flow.service.plans",
    "RunReport": "fasthep_flow.service.plans",
    "plan_until": "fasthep_flow.service.plans",
    "preview_plan": "fasthep_flow.service.plans",
    "run_plan": "fasthep_flow.service.plans",
    "Refusal": "fasthep_flow.service.references",
    "RenameTarget": "fasthep_flow.service.references",
    "prepare_rename": "fasthep_flow.service.references",
    "references": "fasthep_flow.service.references",
    "rename": "fasthep_flow.service.references",
    "LEGEND": "fasthep_flow.service.semantic_tokens",
    "Token": "fasthep_flow.service.semantic_tokens",
    "semantic_tokens": "fasthep_flow.service.semantic_tokens",
    "OutlineKind": "fasthep_flow.service.symbols",
    "OutlineSymbol": "fasthep_flow.service.symbols",
    "document_symbols": "fasthep_flow.service.symbols",
}

__all__ = [
    "LEGEND",
    "PREVIEW_PLAN",
    "RUN_PLAN",
    "Action",
    "Completion",
    "CompletionKind",
    "Context",
    "Document",
    "Fold",
    "HoverText",
    "InferredType",
    "InlayHint",
    "Lens",
    "Link",
    "OutlineKind",
    "OutlineSymbol",
    "OverlayReader",
    "PlanPreview",
    "Refusal",
    "RenameTarget",
    "RunReport",
    "Settings",
    "Token",
    "code_actions",
    "code_lenses",
    "complete",
    "definition",
    "diagnose",
    "diagnostics_elsewhere",
    "document_links",
    "document_symbols",
    "files_read",
    "folding_ranges",
    "hover",
    "infer_types",
    "inlay_hints",
    "path_to_uri",
    "plan_until",
    "prepare_rename",
    "preview_plan",
    "references",
    "rename",
    "run_plan",
    "semantic_tokens",
    "uri_to_path",
]


class _Exports(types.ModuleType):
    """Keeps the exported functions when their submodule is imported: ``service.complete`` is the function
    (as it was when this file imported everything), although importing ``service/complete.py`` sets the
    package attribute ``complete`` to the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Exports


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
