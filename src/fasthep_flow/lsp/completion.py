"""textDocument/completion: the service's completions as protocol items (snippets only for clients that
take them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability

from fasthep_flow import service
from fasthep_flow.lsp.host import guarded, in_thread, markup, snapshot

if TYPE_CHECKING:
    from fasthep_flow.lsp.server import FlowServer

# Keyed by the service's enum values (StrEnum members equal their strings), so that registering the
# handlers imports no service module: the server answers `initialize` before the compiler is loaded.
_COMPLETION_KIND = {
    "key": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.Value,
    "op": types.CompletionItemKind.Module,
    "stage": types.CompletionItemKind.Reference,
    "field": types.CompletionItemKind.Field,
    "function": types.CompletionItemKind.Function,
    "constant": types.CompletionItemKind.Constant,
    "style": types.CompletionItemKind.Color,
    "output": types.CompletionItemKind.File,
    "dataset": types.CompletionItemKind.Folder,
    "profile": types.CompletionItemKind.Module,
    "file": types.CompletionItemKind.File,
    "snippet": types.CompletionItemKind.Snippet,
    "workflow": types.CompletionItemKind.Module,
}
TRIGGER_CHARACTERS = [":", " ", "[", ",", "(", ".", "-", '"', "'", "/"]


def _strip_snippet(text: str) -> str:
    """Plain text of a snippet for clients without snippet support."""
    text = re.sub(r"\$\{\d+\|([^,|}]*)[^}]*\}", r"\1", text)
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", text)
    return re.sub(r"\$\d+", "", text)


def register(server: FlowServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False),
    )
    @guarded(lambda: types.CompletionList(is_incomplete=False, items=[]))
    async def on_completion(ls: FlowServer, params: types.CompletionParams) -> types.CompletionList:
        doc, ctx, conv = snapshot(ls, params.text_document.uri)
        found = await in_thread(ls, service.complete, doc, conv.pos(params.position), ctx)
        snippets = bool(
            get_capability(ls.client_capabilities, "text_document.completion.completion_item.snippet_support")
        )
        items = []
        for c in found:
            text = c.text if snippets or not c.snippet else _strip_snippet(c.text)
            items.append(
                types.CompletionItem(
                    label=c.label,
                    kind=_COMPLETION_KIND.get(c.kind, types.CompletionItemKind.Text),
                    detail=c.detail or None,
                    documentation=markup(c.documentation),
                    sort_text=c.sort,
                    filter_text=c.label,
                    text_edit=types.TextEdit(range=conv.range(c.replace), new_text=text),
                    insert_text_format=types.InsertTextFormat.Snippet
                    if c.snippet and snippets
                    else types.InsertTextFormat.PlainText,
                )
            )
        return types.CompletionList(is_incomplete=False, items=items)
