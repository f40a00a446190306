"""Find files shipped beside the code: the grammar, the schema and the examples.

In a wheel they live under ``fasthep_flow/_shipped``; in an editable install or a source checkout they are the
top-level ``grammar/``, ``schemas/`` and ``examples/`` folders. Looking in both places keeps one copy in git.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE_DIR / "_shipped", _PACKAGE_DIR.parent.parent)


def shipped(*parts: str) -> Path:
    """Path of a shipped resource such as ``shipped("grammar", "expression.lark")``."""
    for root in _CANDIDATES:
        path = root.joinpath(*parts)
        if path.exists():
            return path
    raise FileNotFoundError(f"bug: shipped resource {'/'.join(parts)} is missing from the installation")


def repo_root() -> Path | None:
    """The source checkout this package runs from, or None for an installed wheel (used by staleness tests)."""
    root = _PACKAGE_DIR.parent.parent
    return root if (root / "pyproject.toml").exists() else None
