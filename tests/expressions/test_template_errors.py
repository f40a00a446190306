"""The Lark parser of report templates (``template_grammar``): what its grammar reads that a hand-written split
did not, the limit that keeps the tree shallow enough to render, and that it is built lazily and once. Where
malformed templates are reported is in ``test_text_templates.py``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fasthep_flow.expressions.template_grammar import MAX_DEPTH, template_parser
from fasthep_flow.expressions.text_templates import TemplateError, check_names, mapping, parse_template


def test_tag_closers_inside_strings_are_text() -> None:
    """Strings are tokens of the tag, so a `}}` or `%}` inside one does not end it."""
    assert parse_template("{{ \"}}\" ~ '%}' }}").render({}) == "}}%}"


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
    assert (
        check_names(parse_template(shallow), mapping()) != []
    )  # `a` is unknown, found without recursing out


def test_the_parser_is_built_once_and_only_when_a_template_is_parsed() -> None:
    assert template_parser() is template_parser()
    code = (
        "import sys, fasthep_flow.compiler, fasthep_flow.expressions.text_templates\n"
        "print('fasthep_flow.expressions.template_grammar' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]
