"""``expressions/parser_tables.py``: parsers loaded from the shipped JSON tables behave exactly as parsers built
from the grammar, and tables that do not fit are never used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from fasthep_flow.expressions import parser_tables
from fasthep_flow.expressions.builder import AstBuilder
from fasthep_flow.expressions.template_builder import TemplateBuilder

EXPRESSIONS = [
    "sqrt(Muon_Px ** 2 + Muon_Py ** 2) > 20 and NMuon >= 2",
    "x if y else -z // 2 % 3",
    "a.b.c(d=1, e=[0])",
    "f(x)[1:2, ::3]",
    "~a | b & c ^ d",
    "a < b <= c != d",
    "not (a or b)",
    "'s' + \"t\"",
    # mistakes: the same error, at the same place, with the same expectations
    "a +",
    "(a",
    "a b",
    "if",
    "a[1:",
    "a ++",
    "f(x=)",
]
TEMPLATES = [
    "# {{ run.id }}\n{% for k, v in d.items() %}- {{ k }}: {{ v | default('n/a') }}\n{% else %}none{% endfor %}",
    "{%- if a is defined and b not in c -%}{{ a ~ b }}{% elif x %}y{% else %}z{% endif %}",
    "{# a comment #}{{ x[0].y }}",
    "{% for x in y %}",
    "{% endif %}",
    "{{ a b }}",
]


def _outcome(parser: Lark, text: str) -> Any:
    try:
        return repr(parser.parse(text))
    except UnexpectedInput as exc:
        return (type(exc).__name__, exc.line, exc.column, sorted(getattr(exc, "expected", None) or ()))


def _built(name: str, **runtime: Any) -> Lark:
    return Lark(parser_tables._grammar(name), **parser_tables.GRAMMARS[name], **runtime)


def test_the_shipped_tables_were_made_from_the_shipped_grammars() -> None:
    for name in parser_tables.GRAMMARS:
        tables = json.loads(parser_tables.table_path(name).read_text(encoding="utf-8"))
        grammar = parser_tables._grammar(name)
        assert tables["grammar_sha256"] == parser_tables._fingerprint(grammar), (
            f"grammar/{name}.lark changed: run `python scripts/gen_parser_tables.py`"
        )


@pytest.mark.parametrize(
    ("name", "texts", "runtime"),
    [
        ("expression", EXPRESSIONS, {"transformer": AstBuilder()}),
        ("template", TEMPLATES, {"transformer": TemplateBuilder()}),
    ],
)
def test_a_loaded_parser_parses_and_fails_as_a_built_one(name: str, texts: list[str], runtime: dict) -> None:
    loaded = parser_tables.lark_parser(name, **runtime)
    # from the tables when they fit this Lark; otherwise (another Lark installed) it was built from the grammar
    fits = not parser_tables.stale_tables()
    assert (loaded.source_path == "<deserialized>") is fits
    built = _built(name, **runtime)
    for text in texts:
        assert _outcome(loaded, text) == _outcome(built, text), text
    assert sorted(loaded.parse_interactive("").accepts()) == sorted(built.parse_interactive("").accepts())
    assert [t.type for t in loaded.lex(texts[0])] == [t.type for t in built.lex(texts[0])]


def test_tables_that_do_not_fit_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = parser_tables.shipped

    def shipped(*parts: str) -> Path:
        return tmp_path / parts[-1] if parts[-1].endswith(".tables.json") else real(*parts)

    monkeypatch.setattr(parser_tables, "shipped", shipped)
    good = parser_tables.tables_for("expression")
    cases = {
        "damaged": "{not json",
        "other grammar": json.dumps({**good, "grammar_sha256": "0" * 64}),
        "other lark": json.dumps({**good, "lark": "0.0.1"}),
        "unreadable tables": json.dumps({**good, "data": {"parser": 1}}),
    }
    for why, text in cases.items():
        (tmp_path / "expression.tables.json").write_text(text, encoding="utf-8")
        parser = parser_tables.lark_parser("expression", transformer=AstBuilder())
        assert parser.source_path != "<deserialized>", why
        assert _outcome(parser, "a + b * 2") == _outcome(
            _built("expression", transformer=AstBuilder()), "a + b * 2"
        )
    (tmp_path / "expression.tables.json").unlink()
    assert parser_tables.lark_parser("expression").source_path != "<deserialized>"  # none at all
