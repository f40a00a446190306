"""The one place that knows about position encodings, and the LSP shapes of the service's results.

Spans from YAML and Lark count code points; the client counts UTF-16 code units unless it negotiated
otherwise (``é`` is one unit either way, ``😋`` is two in UTF-16 and four in UTF-8). A ``Converter`` holds one
text and the negotiated codec and translates both ways; everything else in ``lsp/`` goes through it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from fasthep_flow.document.diagnostics import Diagnostic, Severity
from fasthep_flow.document.spans import LineIndex, Pos, Span
from fasthep_flow.service.document import path_to_uri
from fasthep_flow.service.semantic_tokens import Token

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}

SOURCE = "fasthep-flow"


_LONE_CR = re.compile(r"\r(?!\n)")


class Converter:
    """Positions of one text in the client's units (``é``/``😋`` before a column shift it differently).

    The document's lines end at ``\n``; the client's also at a lone ``\r`` (LSP counts ``\n``, ``\r\n`` and
    ``\r``). Only a text with a lone ``\r`` needs the second index, ``_client_starts``; positions then go
    through character offsets.
    """

    __slots__ = ("_client_starts", "_same_units", "codec", "lines")

    def __init__(self, text: str | LineIndex, codec: PositionCodec) -> None:
        self.lines = text if isinstance(text, LineIndex) else LineIndex(text)
        self.codec = codec
        self._client_starts: list[int] | None = None
        if _LONE_CR.search(self.lines.text):
            self._client_starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", self.lines.text))]
        # an ASCII text (most workflows): a column is its own unit count in every encoding
        self._same_units = self._client_starts is None and self.lines.text.isascii()

    @property
    def same_units(self) -> bool:
        """Every column is its own count of client units (an ASCII text with LSP's own line breaks)."""
        return self._same_units

    def line_character(self, pos: Pos) -> tuple[int, int]:
        """``pos`` as the client's (line, character), without building a ``Position``."""
        if self._same_units:
            if pos.line >= self.lines.line_count:
                return pos.line, 0
            return pos.line, min(max(pos.col, 0), len(self.lines.line_text(pos.line)))
        found = self.position(pos)
        return found.line, found.character

    def position(self, pos: Pos) -> types.Position:
        if self._same_units:
            return types.Position(*self.line_character(pos))
        if self._client_starts is not None:
            offset = self.lines.offset(Pos(pos.line, max(pos.col, 0)))
            line = bisect.bisect_right(self._client_starts, offset) - 1
            before = self.lines.text[self._client_starts[line] : offset].rstrip("\r")
            return types.Position(line=line, character=self.codec.client_num_units(before))
        line = self.lines.line_text(pos.line)
        if pos.line >= self.lines.line_count:
            return types.Position(line=pos.line, character=0)
        col = min(max(pos.col, 0), len(line))
        return types.Position(line=pos.line, character=self.codec.client_num_units(line[:col]))

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.start), end=self.position(span.end))

    def pos(self, position: types.Position) -> Pos:
        """A client position in code points; past the end of a line clamps to it (as the protocol says)."""
        if self._client_starts is not None:
            return self.lines.pos(self._client_offset(position))
        line = self.lines.line_text(position.line)
        if self._same_units:
            return Pos(position.line, min(max(position.character, 0), len(line)))
        units = 0
        for i, ch in enumerate(line):
            if units >= position.character:
                return Pos(position.line, i)
            units += self.codec.client_num_units(ch)
        return Pos(position.line, len(line))

    def _client_offset(self, position: types.Position) -> int:
        starts = self._client_starts or [0]
        text = self.lines.text
        if position.line >= len(starts):
            return len(text)
        offset = starts[position.line]
        units = 0
        while offset < len(text) and text[offset] not in "\r\n" and units < position.character:
            units += self.codec.client_num_units(text[offset])
            offset += 1
        return offset

    def units(self, text: str) -> int:
        return int(self.codec.client_num_units(text))


@lru_cache(maxsize=64)
def _converter_for(text: str, encoding: str) -> Converter:
    return Converter(text, PositionCodec(encoding))


def converter(text: str, codec: PositionCodec) -> Converter:
    """A converter for ``text``, shared between requests on the same text (building the line index is O(n))."""
    return _converter_for(text, str(codec.encoding or types.PositionEncodingKind.Utf16))


def location(span: Span, conv: Converter) -> types.Location:
    return types.Location(uri=path_to_uri(span.file), range=conv.range(span))


def diagnostic(d: Diagnostic, conv: Converter, converters: ConverterLookup | None = None) -> types.Diagnostic:
    """One Diagnostic as the LSP sends it: code + docs link, the hint appended, related places as locations."""
    message = d.message if not d.hint else f"{d.message}\n{d.hint}"
    related = None
    if d.related:
        related = [
            types.DiagnosticRelatedInformation(
                location=location(r.span, converters(r.span.file) if converters else conv), message=r.message
            )
            for r in d.related
        ]
    return types.Diagnostic(
        range=conv.range(d.span),
        message=message,
        severity=_SEVERITY[d.severity],
        code=d.code.id,
        code_description=types.CodeDescription(href=d.code.url),
        source=SOURCE,
        related_information=related,
        data={"name": d.code.name},
    )


def diagnostics(
    found: Iterable[Diagnostic], conv: Converter, converters: ConverterLookup | None = None
) -> list[types.Diagnostic]:
    return [diagnostic(d, conv, converters) for d in found]


class ConverterLookup:
    """Converters for other files (related locations, definitions in included files), read through a reader."""

    def __init__(self, read: object, codec: PositionCodec) -> None:
        self._read = read
        self._codec = codec

    def __call__(self, path: str) -> Converter:
        text = self._read(path) if callable(self._read) else None  # type: ignore[operator]
        return converter(text or "", self._codec)


def semantic_tokens(tokens: Iterable[Token], conv: Converter) -> list[int]:
    """LSP's relative encoding (Δline, Δstart, length, type, modifiers), in the client's units."""
    data: list[int] = []
    prev_line, prev_start = 0, 0
    for tok in tokens:
        line, start = conv.line_character(tok.span.start)
        end_line, end = conv.line_character(tok.span.end)
        if end_line != line or end <= start:
            continue
        delta_line = line - prev_line
        delta_start = start - prev_start if delta_line == 0 else start
        if delta_line < 0 or delta_start < 0:
            continue  # overlapping or unsorted: the protocol cannot say it
        data.extend((delta_line, delta_start, end - start, tok.kind, 0))
        prev_line, prev_start = line, start
    return data
