"""What a language-service call may know besides the document: the workspace's files, trust and settings.

A ``Context`` is an immutable snapshot. The LSP host makes a new one whenever an open buffer changes, so a
workflow that includes ``datasets.yaml`` is compiled again against the *edited* text of that file, and a compile
cached for one context is never reused for another (see ``Document.compiled``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from fasthep_flow.document.files import UnreadableFile, read_workflow_file


@dataclass(frozen=True, slots=True)
class Settings:
    debounce_ms: int = 150
    """Quiet time after a burst of edits before diagnosing again (the first edit after a pause goes at once)."""
    check_inputs: bool = True
    """Open the input files' metadata (never their data) to check branches and learn their types."""
    inlay_hints: bool = True


class OverlayReader:
    """Reads open editor buffers first and the disk otherwise: an include sees what the user sees.

    Implements the document layer's ``FileReader`` protocol. The overlay is copied at construction, so a reader
    handed to a worker thread never observes a half-applied edit.
    """

    __slots__ = ("_overlays",)

    def __init__(self, overlays: Mapping[str, str] | None = None) -> None:
        self._overlays: Mapping[str, str] = MappingProxyType(
            {_norm(path): text for path, text in (overlays or {}).items()}
        )

    def read(self, path: str) -> str | None:
        try:
            return self.read_checked(path)
        except UnreadableFile:
            return None

    def read_checked(self, path: str) -> str:
        """The buffer, or the file (bounded, regular files only); ``UnreadableFile`` says why not."""
        text = self._overlays.get(_norm(path))
        if text is not None:
            return text
        return read_workflow_file(path)

    @property
    def overlays(self) -> Mapping[str, str]:
        return self._overlays


def _norm(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


@dataclass(frozen=True, eq=False)
class Context:
    """Compared by identity on purpose: a new snapshot of the workspace is a new context."""

    reader: OverlayReader = field(default_factory=OverlayReader)
    trust: bool = False
    """Load ops from workspace code (``registry:`` layers); off until the user trusts the workspace."""
    settings: Settings = field(default_factory=Settings)
    project_root: Path | None = None
    """The workspace folder: relative input paths resolve here first, as `check` run from it does."""
