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
