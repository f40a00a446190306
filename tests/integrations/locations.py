"""Where things are for the integration tests: the repository, and tools beside Python or on PATH."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def require_executable(name: str) -> str:
    """The path of a tool the test needs; a missing tool fails the test (these tests are never skipped)."""
    beside_python = BIN / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is needed by this test but is not installed (not in {BIN} nor on PATH)")
    return found
