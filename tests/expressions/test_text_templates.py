"""Report templates (the Jinja subset of ``expressions.text_templates``): what they render, where a mistake is
reported, and that they can only show data. The expected texts were written by hand from Jinja's documented
rules (whitespace control, ``loop``, ``for … else``, one trailing newline dropped)."""

from __future__ import annotations

import pytest

from fasthep_flow.expressions import text_templates as tt
from fasthep_flow.expressions.text_templates import (
    ANY,
    SCALAR,
    TemplateError,
    check_names,
    list_of,
    mapping,
    parse_template,
)

CONTEXT = {
    "run": {"id": "r1", "datasets": ["zz", "dy"], "plan": None},
    "stages": [
        {"node_id": "stage.Sel", "outputs": [{"port": "events"}, {"port": "cutflow"}]},
        {"node_id": "stage.H", "outputs": []},
    ],
    "versions": {"awkward": "2.6", "hist": "2.7"},
}


def render(text: str, context: dict | None = None) -> str:
    return parse_template(text).render(CONTEXT if context is None else context)


def test_values_loops_and_whitespace_control() -> None:
    text = (
        "# {{ run.id }} ({{ run.datasets | join(', ') }})\n"
        "{% for s in stages -%}\n"
        "- {{ s.node_id }}:{% for o in s.outputs %} {{ o.port }}{% if not loop.last %},{% endif %}{% else %}"
        " none{% endfor %}\n"
        "{% endfor %}"
        "{%- for name, version in versions.items() %}\n{{ loop.index }}. {{ name | upper }} {{ version }}"
        "{%- endfor %}\n"
    )
    assert render(text) == (
        "# r1 (zz, dy)\n- stage.Sel: events, cutflow\n- stage.H: none\n\n1. AWKWARD 2.6\n2. HIST 2.7"
    )


def test_or_default_tests_and_comparisons() -> None:
    assert render('{{ run.plan or "unknown" }}') == "unknown"
    assert render('{{ run.nothing | default("d") }}|{{ run.nothing }}|') == "d||"
    assert (
        render("{{ run.plan is none }} {{ run.x is defined }} {{ run.id is not none }}") == "True False True"
    )
    assert render('{{ "zz" in run.datasets }} {{ "ww" not in run.datasets }}') == "True True"
    assert render("{{ stages | length == 2 and run.datasets[1] == 'dy' }}") == "True"
    assert render('{{ run["id"] ~ "-" ~ stages[0].node_id }}') == "r1-stage.Sel"
    assert render("{% if run.x %}a{% elif run.id == 'r1' %}b{% else %}c{% endif %}") == "b"
    assert render("{{ 2 > 10 }} {{ 'a' < 1 }}") == "False False"  # a type mismatch compares false


def test_missing_data_renders_as_nothing_and_never_fails() -> None:
    """Rendering is total: a run never fails on what its record lacks."""
    assert (
        render("[{{ a.b.c }}]{% for x in nothing %}x{% else %}empty{% endfor %}[{{ run.id.x }}]")
        == "[]empty[]"
    )
    assert (
        render("{{ stages[9].node_id }}{{ run.datasets | join(5) }}{{ versions | first }}") == "zz5dyawkward"
    )


def test_attributes_read_data_only() -> None:
    """`a.b` looks a key up in a mapping: a template cannot reach an object's Python attributes."""
    assert render("{{ run.__class__ }}{{ run.items }}{{ stages.append }}") == ""
    with pytest.raises(TemplateError, match="not allowed"):
        parse_template("{{ __builtins__ }}")
    with pytest.raises(TemplateError, match=r"'pop\(\)' cannot be called"):
        parse_template("{{ run.pop() }}")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("ok\n{{ run.id", (2, 1), "never closed"),
        (
            "{{ s }}\n {%- for s in stages %}\n{{ s }}",
            (2, 6),
            "'for' is never closed: missing '{% endfor %}'",
        ),
        ("a\n  {% endif %}", (2, 6), "'endif' without an opening tag"),
        ("{{ run | nosuch }}", (1, 10), "unknown filter 'nosuch'"),
        ("{% set x = 1 %}", (1, 4), "unknown tag 'set'"),
        ("{{ 1 + 2 }}", (1, 6), "unexpected character '+'"),
        ("{{ run. }}", (1, 9), "expected name"),
        ("{{ a is odd }}", (1, 9), "unknown test 'odd'"),
        # blocks never closed: the innermost one, at its keyword
        (
            "{% for s in stages %}\n  {% if s %}\n{{ s }}",
            (2, 6),
            "'if' is never closed: missing '{% endif %}'",
        ),
        ("{% if a %}\n{% elif b %}x", (1, 4), "'if' is never closed: missing '{% endif %}'"),
        ("{% for x in xs %}", (1, 4), "'for' is never closed: missing '{% endfor %}'"),
        # tags never closed, at the brace (past the whitespace that `{%-` strips)
        ("a\n {%- if x", (2, 2), "'{%' is never closed by '%}'"),
        ("{# note", (1, 1), "'{#' is never closed by '#}'"),
        # a stray end tag, alone or inside another block
        ("text\n{% endif %}", (2, 4), "'endif' without an opening tag"),
        (
            "{% for x in xs %}\n  {% endif %}",
            (2, 6),
            "'endif' without an opening tag: the 'for' at line 1, column 4 needs '{% endfor %}' first",
        ),
        (
            "{% if a %}{% else %}{% else %}",
            (1, 24),
            "'else' without an opening tag: the 'if' at line 1, column 4",
        ),
        # bad expressions: what was expected, what was found
        ("{{ a b }}", (1, 6), "expected '}}', found 'b'"),
        ("{% for x in y z %}", (1, 15), "expected '%}', found 'z'"),
        ("{{ (a b }}", (1, 7), "expected ')' or an operator, found 'b'"),
        ("{% for x y %}", (1, 10), "expected ',' or 'in', found 'y'"),
        ("line\n  {{ x.\n}}", (3, 1), "expected name, found the end of the tag"),
        ("{{ a | join( }}", (1, 14), "expected a value or ')', found the end of the tag"),
        ("{{ x }", (1, 6), "unexpected character '}': a tag opened with '{{' ends with '}}'"),
        ("{{ 'abc }}", (1, 4), "a string opened with ' is never closed"),
        ("{{ 'é' ~ x | nope }}", (1, 14), "unknown filter 'nope'"),
        ("{% 1 %}", (1, 4), "expected 'for' or 'if', found '1'"),
    ],
)
def test_syntax_errors_have_a_line_and_column(text: str, where: tuple[int, int], message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert (caught.value.line, caught.value.col) == where
    assert message in caught.value.message


SHAPE = mapping(
    run=mapping(id=SCALAR, datasets=list_of(SCALAR), plan=SCALAR),
    stages=list_of(mapping(node_id=SCALAR, outputs=list_of(mapping(port=SCALAR)))),
    versions=ANY,
)


def test_names_are_checked_against_the_context_shape() -> None:
    template = parse_template(
        "{{ run.idd }}\n{% for s in stages %}{{ s.node }}{{ s.outputs[0].port }}{{ loop.indx }}{% endfor %}"
        "{{ versions.anything }}{{ stage }}{% if run.extra is defined %}{{ run.extra | default(1) }}{% endif %}"
    )
    found = [(e.line, e.col, e.message) for e in check_names(template, SHAPE)]
    assert [f[:2] for f in found] == [(1, 8), (2, 27), (2, 65), (2, 110)]
    assert "no attribute 'idd' here (it has: id, datasets, plan)" in found[0][2]
    assert "no attribute 'node' here (it has: node_id, outputs)" in found[1][2]
    assert "'indx'" in found[2][2] and "unknown name 'stage'" in found[3][2]
    assert (
        check_names(parse_template("{% for k, v in versions.items() %}{{ k }}{{ v.x }}{% endfor %}"), SHAPE)
        == []
    )


def test_output_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tt, "MAX_OUTPUT", 50)
    text = render(
        "{% for a in xs %}{% for b in xs %}0123456789{% endfor %}{% endfor %}", {"xs": list(range(100))}
    )
    assert text == "0123456789" * 5


def test_work_is_bounded_and_odd_keys_render_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TemplateError, match="nested too deeply"):
        parse_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")
    assert render("[{{ run[run.datasets] }}]") == "[]"  # a list as a key: nothing, not a failure
    monkeypatch.setattr(tt, "MAX_STEPS", 1000)
    silent = "{% for a in xs %}{% for b in xs %}{% endfor %}{% endfor %}done"
    assert render(silent, {"xs": list(range(10_000))}) == ""  # stopped long before 10^8 steps
