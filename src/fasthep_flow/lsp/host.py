"""What every request handler does around its service call: snapshot the document, run the service in a
worker thread, guard against a bug, and build the protocol's edits and errors.

A failure inside a handler is logged with its traceback and answered with an empty result: one bad request
must never take the server down or pop an error at the user.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from fasthep_flow.document.spans import Span
from fasthep_flow.service.document import path_to_uri

if TYPE_CHECKING:
    from fasthep_flow import service
    from fasthep_flow.lsp import convert
    from fasthep_flow.lsp.server import FlowServer
    from fasthep_flow.service.document import Document

log = logging.getLogger(__name__)
T = TypeVar("T")


def guarded(empty: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log a handler's exception (with traceback) and answer ``empty()``; the server keeps serving."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def run(ls: FlowServer, params: Any) -> Any:
            try:
                return await fn(ls, params)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", fn.__name__)
                return empty()

        return run

    return wrap


async def in_thread(ls: FlowServer, fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(ls.thread_pool, functools.partial(fn, *args))


def snapshot(ls: FlowServer, uri: str) -> tuple[Document, service.Context, convert.Converter]:
    doc, ctx = ls.snapshot(uri)
    return doc, ctx, ls.converter(doc)


def span_of(doc: Document, conv: convert.Converter, rng: types.Range) -> Span:
    return Span(doc.path, conv.pos(rng.start), conv.pos(rng.end))


def markup(markdown: str) -> types.MarkupContent | None:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown) if markdown else None


def workspace_edit(ls: FlowServer, edits_by_file: dict[str, list[Any]]) -> types.WorkspaceEdit:
    lookup = ls.converters()
    changes: dict[str, list[types.TextEdit]] = {}
    for file, edits in edits_by_file.items():
        conv = lookup(file)
        changes[path_to_uri(file)] = [
            types.TextEdit(range=conv.range(e.span), new_text=e.new_text) for e in edits
        ]
    return types.WorkspaceEdit(changes=changes)


def refused(reason: str) -> JsonRpcException:
    """A refused request (a rename) answers with LSP's RequestFailed error and the reason, which editors show."""
    return JsonRpcException(reason, code=types.LSPErrorCodes.RequestFailed)
