"""``known_failures.txt``: what does not conform yet, one line per case aspect or quantity, with its reason.

Line format: ``<case>::<aspect>[::<quantity glob>]  <reason>`` where aspect is ``check``, ``run`` or ``numbers``;
``#`` starts a comment. The list is strict: an entry whose case or quantity now conforms fails the suite until
it is removed, so the list only shrinks as the work lands.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).resolve().parent / "known_failures.txt"


@dataclass(frozen=True)
class Known:
    case: str
    aspect: str
    quantity: str | None
    reason: str


def load(path: Path = PATH) -> list[Known]:
    out = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition(" ")
        parts = key.split("::")
        if len(parts) not in (2, 3) or parts[1] not in ("check", "run", "numbers"):
            raise ValueError(f"known_failures.txt: bad entry {key!r}")
        out.append(Known(parts[0], parts[1], parts[2] if len(parts) == 3 else None, reason.strip()))
    return out


def whole(entries: list[Known], case: str, aspect: str) -> Known | None:
    """The entry marking a whole aspect of a case as failing."""
    return next((k for k in entries if k.case == case and k.aspect == aspect and k.quantity is None), None)


def quantity(entries: list[Known], case: str, name: str) -> Known | None:
    """The entry marking one quantity of a case's numbers as failing."""
    return next(
        (
            k
            for k in entries
            if k.case == case
            and k.aspect == "numbers"
            and k.quantity
            and fnmatch.fnmatchcase(name, k.quantity)
        ),
        None,
    )
