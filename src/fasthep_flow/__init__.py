"""fasthep-flow: compile, check, run and edit FAST-HEP workflows."""

from fasthep_flow._version import __version__

__all__ = ["__version__"]
