"""The conformance suite's summary: how many cases pass check / run / numbers, and how many quantities match."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root holds `conformance/`

from conformance.summary import TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.cases:
        return
    terminalreporter.section("conformance with upstream fasthep 2026.10.1")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
