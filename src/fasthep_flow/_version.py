"""The one place the version lives, so the CLI and run records agree with the wheel."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fasthep-flow")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
