"""The language server: a thin pygls host over ``fasthep_flow.service`` (``fasthep-flow lsp``)."""

from fasthep_flow.lsp.launch import main

__all__ = ["main"]
