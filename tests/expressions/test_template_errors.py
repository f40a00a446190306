"""Where a malformed report template is reported, and in which words: Lark's parse errors (``template_grammar``)
turned into a ``TemplateError`` at the mistake, 1-based, columns in characters. Also the limits that keep the
parsed tree shallow enough to render, and that the parser is built lazily and once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fasthep_flow.expressions.template_grammar import MAX_DEPTH, template_parser
from fasthep_flow.expressions.text_templates import TemplateError, check_names, mapping, parse_template


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
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
        ("{% if a %}{% else %}{% else %}", (1, 24), "'else' without an opening tag: the 'if' at line 1, column 4"),
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
def test_a_malformed_template_is_reported_at_the_mistake(
    text: str, where: tuple[int, int], message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert (caught.value.line, caught.value.col) == where
    assert caught.value.message.startswith(message)


def test_tag_closers_inside_strings_are_text() -> None:
    """Strings are tokens of the tag, so a `}}` or `%}` inside one does not end it."""
    assert parse_template('{{ "}}" ~ \'%}\' }}').render({}) == "}}%}"


def test_depth_is_bounded_before_the_tree_is_built() -> None:
    """Blocks nested, or an operator chain, deeper than MAX_DEPTH are an error at parse time, not a
    RecursionError when the tree is checked or rendered."""
    nested = "{% if a %}" * (MAX_DEPTH + 1) + "{% endif %}" * (MAX_DEPTH + 1)
    with pytest.raises(TemplateError, match="nested too deeply") as caught:
        parse_template(nested)
    assert caught.value.line == 1 and caught.value.col < 10 * (MAX_DEPTH + 1)  # among the opening tags
    with pytest.raises(TemplateError, match="nested too deeply"):
        parse_template("{{ " + " ~ ".join(["a"] * 1000) + " }}")
    shallow = "{% if a %}" * 50 + "{{ " + " ~ ".join(["a"] * 50) + " }}" + "{% endif %}" * 50
    assert parse_template(shallow).render({"a": "x"}) == "x" * 50
    assert check_names(parse_template(shallow), mapping()) != []  # `a` is unknown, found without recursing out


def test_the_parser_is_built_once_and_only_when_a_template_is_parsed() -> None:
    assert template_parser() is template_parser()
    code = (
        "import sys, fasthep_flow.compiler, fasthep_flow.expressions.text_templates\n"
        "print('fasthep_flow.expressions.template_grammar' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]
