"""fasthep-flow: compile, check, run and edit FAST-HEP workflows.

``fasthep_flow.load("wf.yaml")`` is the Python API (``fasthep_flow.api``); it is imported on first use, so that
``import fasthep_flow`` (and ``fasthep-flow check``) stays light.
"""

from typing import Any

from fasthep_flow._version import __version__

__all__ = ["Workflow", "WorkflowError", "__version__", "load", "loads"]

_API = {"Workflow", "WorkflowError", "load", "loads"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from fasthep_flow import api

        return getattr(api, name)
    raise AttributeError(f"module 'fasthep_flow' has no attribute {name!r}")
