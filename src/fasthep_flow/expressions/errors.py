"""A problem found in one expression string, positioned by offsets into that string.

The expression layer does not know where the string sits in the workflow file; the compiler does, and turns an
``ExprError`` into a ``Diagnostic`` with ``to_diagnostic(scalar)``, which maps the offsets through the scalar's
offset table (quotes, escapes and block-scalar indentation included).
"""

from __future__ import annotations

from dataclasses import dataclass

from fasthep_flow.document import Code, Diagnostic, ScalarNode, Severity


@dataclass(frozen=True, slots=True)
class ExprError:
    code: Code
    start: int
    end: int
    message: str
    hint: str | None = None

    def to_diagnostic(self, scalar: ScalarNode, severity: Severity = Severity.ERROR) -> Diagnostic:
        """This error as a diagnostic at its exact place inside ``scalar`` (the YAML string it came from)."""
        return Diagnostic(self.code, severity, scalar.span_of(self.start, self.end), self.message, self.hint)


def column_text(text: str, offset: int) -> str:
    """'column 5' (1-based) or, for a multi-line expression, 'line 2, column 3'."""
    line_start = text.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    if line_start == 0:
        return f"column {column}"
    return f"line {text.count(chr(10), 0, offset) + 1}, column {column}"


def shown(token_text: str, limit: int = 24) -> str:
    """A token quoted for a message, shortened when it is a long string literal."""
    if len(token_text) > limit:
        token_text = token_text[: limit - 3] + "..."
    return f"'{token_text}'"
