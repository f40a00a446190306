"""fasthep-flow: compile, check, run and edit FAST-HEP workflows.

``fasthep_flow.load("wf.yaml")`` is the Python API (``fasthep_flow.api``); it is imported on first use, so that
``import fasthep_flow`` (and ``fasthep-flow check``) stays light. ``__version__`` too is looked up on first use:
`fasthep-flow check` and the language server never need it early.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Workflow", "WorkflowError", "__version__", "load", "loads", "op"]

_API = {"Workflow", "WorkflowError", "load", "loads", "op"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from fasthep_flow import api

        return getattr(api, name)
    if name == "__version__":
        from fasthep_flow._version import __version__

        return __version__
    raise AttributeError(f"module 'fasthep_flow' has no attribute {name!r}")
