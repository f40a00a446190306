"""The run side of the accepted-but-pending render ops: draw nothing, so the run goes on (check warned FF140)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fasthep_flow.ops.contract import RunContext


def render(products: Mapping[str, Any], style: Mapping[str, Any], out: Path, ctx: RunContext) -> list[Path]:
    """No file: the op is accepted for upstream compatibility and not implemented yet."""
    return []
