"""Static types (issue 11 item 6): what is reported when a field's type is known, and the silence otherwise."""

from __future__ import annotations

import pytest

from fasthep_flow.expressions import parse
from fasthep_flow.expressions.types import (
    CONSTANT,
    EVENT,
    LIST,
    NUMBER,
    STRING,
    StaticType,
    check_types,
    type_of_description,
)

TYPES = {
    "NMuon": StaticType(EVENT, NUMBER),
    "Muon_Px": StaticType(LIST, NUMBER),
    "dataset": StaticType(CONSTANT, STRING),
}


def _problems(text: str) -> list[tuple[str, str]]:
    expr = parse(text)
    return [(text[p.start : p.end], p.message) for p in check_types(expr.tree, TYPES.get)]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("int32", StaticType(EVENT, NUMBER)),
        ("var * float32", StaticType(LIST, NUMBER)),
        ("var * bool", StaticType(LIST, "bool")),
        ("toy source `events`: number of muons in the event (int)", StaticType(EVENT, NUMBER)),
        ("toy source `events`: muon momentum x component [GeV] (jagged float)", StaticType(LIST, NUMBER)),
        ("alias of Muon_Px", StaticType("unknown", "unknown")),
    ],
)
def test_a_field_type_is_read_from_its_description(description: str, expected: StaticType) -> None:
    assert type_of_description(description) == expected


def test_the_three_mistakes_are_found_at_their_characters() -> None:
    assert _problems("NMuon >= '2'") == [("NMuon >= '2'", "compares a number with a string")]
    assert _problems("1 + NMuon[0]") == [
        ("NMuon[0]", "indexes 'NMuon', which has one value per event, not a list")
    ]
    assert _problems("sum(NMuon) > 1") == [
        ("NMuon", "sum() reduces 'NMuon', which has one value per event, not a list")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "NMuon >= 2",
        "dataset == 'zz'",
        "Muon_Px[0] > 1",
        "sum(Muon_Px) > leading(Muon_Px, 0.0)",
        "count_nonzero(Muon_Px > 10) >= 2",
        "sum(NMuon, axis=0)",  # an explicit axis says what is meant
        "Unknown[0] == 'x'",  # a name of unknown type (a define, a global) is never reported
        "nth(Muon_Px, 1) == NMuon",
    ],
)
def test_well_typed_or_unknown_expressions_are_not_reported(text: str) -> None:
    assert _problems(text) == []
