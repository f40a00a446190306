"""The language service: pure functions from (document, position, context) to results.

The LSP server (``fasthep_flow.lsp``), the CLI and the tests call these; nothing here imports pygls or
lsprotocol. Positions are ``Pos`` (0-based, columns in code points); only ``lsp/convert.py`` knows encodings.
"""

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
