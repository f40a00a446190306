"""How an operation reports a user's mistake found only while running (a branch absent from a file, a path
that escapes the output directory): an ``OpError`` carrying a stable diagnostic code.

The op knows no YAML spans; the runtime catches ``OpError``, places it on the stage's origin and turns it into
a ``Diagnostic``. Anything else raised by an op is a bug or a library failure (reported as ``FF401``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from fasthep_flow.document.codes import Code


class OpError(Exception):
    """A problem with the workflow or its data, told in the user's terms; picklable for process pools."""

    def __init__(self, code: Code, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[type[OpError], tuple[Code, str, str | None]]:
        return (type(self), (self.code, self.message, self.hint))

    def __str__(self) -> str:
        return f"{self.code.id} {self.message}" + (f" ({self.hint})" if self.hint else "")


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidates, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
