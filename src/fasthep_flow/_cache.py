"""The user cache folder, and small JSON entries written there atomically (below every layer).

``$FASTHEP_FLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/fasthep-flow``, else ``~/.cache/fasthep-flow``. What is
kept there can always be recomputed: a missing or corrupt entry reads as None, and failing to write one is
ignored (a read-only home still works, only slower).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def user_cache_dir() -> Path:
    explicit = os.environ.get("FASTHEP_FLOW_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fasthep-flow"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
