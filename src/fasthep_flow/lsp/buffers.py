"""Open buffers whose lines are the LSP's lines: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line.

pygls splits a buffer with ``str.splitlines``, which also breaks at U+2028, U+2029, NEL (U+0085), form feeds
and other separators. The client does not, so after a label containing one of them every incremental edit
below it landed on the wrong line and the server's copy of the buffer drifted away from the editor's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pygls.workspace import TextDocument, Workspace

_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")
"""Zero-width split points: after ``\\n``, and after a ``\\r`` that no ``\\n`` follows."""


def lsp_lines(text: str) -> list[str]:
    """``text`` cut into lines as the LSP specification counts them, each keeping its line ending."""
    return [line for line in _LINE_END.split(text) if line]


class LspTextDocument(TextDocument):
    """A pygls document that counts lines as the client does (see the module docstring)."""

    _split: tuple[str, tuple[str, ...]] | None = None
    """The text last split and its lines: pygls asks for the lines several times per edit."""

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        split = self._split
        if split is None or split[0] is not source:
            split = self._split = (source, tuple(lsp_lines(source)))
        return split[1]


class LspWorkspace(Workspace):
    """The workspace whose open documents are ``LspTextDocument``s."""

    @classmethod
    def like(cls, other: Workspace) -> LspWorkspace:
        """The same root, sync kind, folders and position encoding as the workspace pygls just built."""
        return cls(
            other.root_uri,
            other._sync_kind,
            list(other.folders.values()),
            other.position_encoding,
        )

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )
