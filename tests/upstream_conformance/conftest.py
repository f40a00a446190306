"""The conformance suite's summary (how many cases pass check / run / numbers, how many quantities match) is
printed by ``tests/conftest.py``: under pytest-xdist only the root conftest is loaded by the controller, which
gathers the workers' counts. This file puts the repository root on the path, where ``conformance/`` lives."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
