"""The one place the version lives, so the CLI and run records agree with the wheel.

Read from the name of the installed ``fasthep_flow-<version>.dist-info`` folder on ``sys.path`` (the
installer writes it so): ``importlib.metadata`` would find the same, but importing it costs more than the
rest of a `check` start-up, so it is only the fallback.
"""

from __future__ import annotations

import os
import sys


def _from_dist_info() -> str | None:
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("fasthep_flow-") and name.endswith(".dist-info"):
                return name[len("fasthep_flow-") : -len(".dist-info")]
    return None


def _version() -> str:
    found = _from_dist_info()
    if found:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fasthep-flow")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


__version__ = _version()
