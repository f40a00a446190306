"""Position encodings live in `lsp/convert.py`: code points in, client units out, and back."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from fasthep_flow.document import codes
from fasthep_flow.document.diagnostics import Diagnostic, Related, Severity
from fasthep_flow.document.spans import Pos, Span
from fasthep_flow.lsp import convert
from fasthep_flow.service.semantic_tokens import Token

TEXT = 'a: "é😋"\nexpr: "NMuon >= = 2"  # é😋\n'
#       0123 45 6      (code points on line 0: é at 4, 😋 at 5, closing quote at 6)


@pytest.mark.parametrize(
    ("encoding", "col_after"),
    [
        (types.PositionEncodingKind.Utf16, 7),  # 😋 is 2 UTF-16 units
        (types.PositionEncodingKind.Utf8, 10),  # é is 2 bytes, 😋 is 4
        (types.PositionEncodingKind.Utf32, 6),
    ],
)
def test_columns_after_wide_characters(encoding: str, col_after: int) -> None:
    conv = convert.Converter(TEXT, PositionCodec(encoding))
    assert conv.position(Pos(0, 6)) == types.Position(line=0, character=col_after)
    assert conv.pos(types.Position(line=0, character=col_after)) == Pos(0, 6)
    assert conv.position(Pos(0, 4)) == types.Position(line=0, character=4)  # before é nothing shifts


def test_a_client_position_past_the_end_of_a_line_clamps() -> None:
    conv = convert.Converter(TEXT, PositionCodec(types.PositionEncodingKind.Utf16))
    assert conv.pos(types.Position(line=0, character=99)) == Pos(0, 7)


def test_diagnostic_shape() -> None:
    conv = convert.Converter(TEXT, PositionCodec(types.PositionEncodingKind.Utf16))
    d = Diagnostic(
        codes.EXPR_SYNTAX,
        Severity.ERROR,
        Span("/w.yaml", Pos(1, 16), Pos(1, 17)),
        "expected an operand after '>=', found '='",
        hint="remove one '='",
        related=(Related(Span("/w.yaml", Pos(0, 6), Pos(0, 7)), "see here"),),
    )
    out = convert.diagnostic(d, conv)
    assert out.code == "FF201" and out.source == "fasthep-flow"
    assert out.severity == types.DiagnosticSeverity.Error
    assert out.message == "expected an operand after '>=', found '='\nremove one '='"
    assert out.code_description is not None and out.code_description.href == codes.EXPR_SYNTAX.url
    assert out.range == types.Range(types.Position(1, 16), types.Position(1, 17))
    assert out.related_information is not None
    assert out.related_information[0].location.uri == "file:///w.yaml"
    assert out.related_information[0].location.range.start.character == 7


def test_semantic_tokens_are_relative_and_in_client_units() -> None:
    conv = convert.Converter(TEXT, PositionCodec(types.PositionEncodingKind.Utf16))
    tokens = [
        Token(Span("/w.yaml", Pos(0, 4), Pos(0, 6)), 3),  # "é😋": 3 UTF-16 units long
        Token(Span("/w.yaml", Pos(1, 7), Pos(1, 12)), 0),
        Token(Span("/w.yaml", Pos(1, 13), Pos(1, 15)), 4),
    ]
    assert convert.semantic_tokens(tokens, conv) == [0, 4, 3, 3, 0, 1, 7, 5, 0, 0, 0, 6, 2, 4, 0]


def test_ascii_texts_take_the_short_way_to_the_same_positions() -> None:
    """An ASCII text converts columns without counting units; the answers are the ones counting gives."""
    from pygls.workspace.position_codec import PositionCodec

    from fasthep_flow.document.spans import Pos
    from fasthep_flow.lsp.convert import Converter

    text = "a: 1\nbb: [x, 'y']\n\n  - id: Z\n"
    for encoding in ("utf-8", "utf-16", "utf-32"):
        codec = PositionCodec(encoding)
        fast = Converter(text, codec)
        lines = text.split("\n")
        for line in range(len(lines) + 1):
            for col in range(-1, 16):
                got = fast.line_character(Pos(line, col))
                if line >= len(lines) - 1 and not lines[line:]:
                    continue
                here = lines[line] if line < len(lines) else ""
                counted = (
                    codec.client_num_units(here[: min(max(col, 0), len(here))]) if line < len(lines) else 0
                )
                assert got == (line, counted), (encoding, line, col)
                assert fast.pos(fast.position(Pos(line, col))).col == min(max(col, 0), len(here))
    accented = Converter("é: 😋x\n", PositionCodec("utf-16"))
    assert accented.line_character(Pos(0, 4)) == (0, 5)  # the emoji is two UTF-16 units


def test_outline_json_is_remembered_by_content_and_follows_edits() -> None:
    """The outline's JSON is re-used per symbol content: an edit renaming or moving a stage shows at once."""
    from fasthep_flow.lsp.outline import _symbols
    from fasthep_flow.service.context import Context
    from fasthep_flow.service.document import Document

    text = (
        "version: 1.0\nsources: {events: {kind: toy}}\nanalysis:\n  stages:\n"
        "    - id: A\n      op: hep.define\n      params: {variables: [{name: x, expr: 'NMuon + 1'}]}\n"
        "    - id: B\n      op: hep.selection.flag\n      params: {selection: ['x > 1']}\n"
    )
    codec = PositionCodec("utf-16")

    def stages(t: str) -> list[tuple[str, int, int]]:
        out = _symbols(Document("untitled:o", t, 1), Context(), convert.converter(t, codec))
        section = next(s for s in out if s["name"] == "analysis")["children"][0]
        return [
            (s["name"], s["selectionRange"]["start"]["line"], s["selectionRange"]["end"]["character"])
            for s in section["children"]
        ]

    assert stages(text) == [("A", 4, 11), ("B", 7, 11)]
    assert stages(text) == [("A", 4, 11), ("B", 7, 11)]  # from the cache, the same
    assert stages(text.replace("id: B", "id: Bee")) == [("A", 4, 11), ("Bee", 7, 13)]
    moved = text.replace("  stages:\n", "  stages:\n\n")
    assert stages(moved) == [("A", 5, 11), ("B", 8, 11)]
    wide = text.replace("id: B", "id: é😋")  # not ASCII: positions counted in UTF-16 units
    assert stages(wide) == [("A", 4, 11), ("é😋", 7, 13)]
