"""Reading a workflow file from disk without trusting what the path is or what the bytes are.

A path named on the command line or in ``include:`` may be a FIFO (``open`` would wait forever for a writer),
a device (``/dev/zero`` never ends), a huge file, or bytes that are not UTF-8. Each of those is the user's
mistake, so it comes back as ``UnreadableFile`` — a message, a hint and the position to report it at (the
first bad byte for an encoding problem) — never as a hang, a MemoryError or a traceback.

The file is opened non-blocking and checked with ``fstat`` on the open descriptor (so a path swapped between
a check and the open cannot slip through), then at most ``MAX_TEXT_CHARS`` + 1 bytes are read.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass

from fasthep_flow.document import codes
from fasthep_flow.document.codes import Code
from fasthep_flow.document.loader import MAX_TEXT_CHARS, too_large_words
from fasthep_flow.document.spans import LineIndex, Pos

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))  # fmt: skip


START = Pos(0, 0)


@dataclass
class UnreadableFile(Exception):
    """Why a file cannot be a workflow, and where to say so."""

    code: Code
    message: str
    hint: str | None = None
    pos: Pos = START
    readable_prefix: str = ""
    """The text before the problem (for an encoding error): lets a renderer show the line."""
    missing: bool = False
    """The file does not exist (callers that treat a missing file differently can tell)."""

    def __str__(self) -> str:
        return self.message


def read_workflow_file(path: str | os.PathLike[str]) -> str:
    """The text of a workflow file, exactly as stored (line endings kept), or ``UnreadableFile``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableFile(codes.INCLUDE_MISSING, f"no such file: {path}", missing=True) from None
    except OSError as exc:
        raise UnreadableFile(codes.INCLUDE_MISSING, f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = describe_kind(info.st_mode)
            raise UnreadableFile(
                codes.INCLUDE_MISSING,
                f"{path} is {kind}, not a regular file",
                hint="a workflow (and every file it includes) must be an ordinary file",
            )
        if info.st_size > MAX_TEXT_CHARS:
            raise _too_large(info.st_size)
        data = _read_at_most(fd, MAX_TEXT_CHARS + 1)
    except OSError as exc:
        raise UnreadableFile(codes.INCLUDE_MISSING, f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_TEXT_CHARS:
        raise _too_large(len(data))  # grew while being read
    return decode_workflow_bytes(data)


def decode_workflow_bytes(data: bytes) -> str:
    """UTF-8 bytes to text; anything else is ``UnreadableFile`` at the first byte that is not UTF-8."""
    for bom, name in _BOMS:
        if data.startswith(bom) and not data.startswith(codecs.BOM_UTF8):
            raise UnreadableFile(
                codes.NOT_UTF8,
                f"the file is {name} text (it starts with a {name} byte-order mark), not UTF-8",
                hint=f"save it as UTF-8 (in most editors: 'Save with encoding'); {name} is not read",
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        line = prefix.count("\n")
        col = len(prefix) - (prefix.rfind("\n") + 1)
        bad = data[exc.start : exc.start + 1].hex().upper()
        binary = b"\x00" in data[:8192]
        raise UnreadableFile(
            codes.NOT_UTF8,
            f"the file is not UTF-8 text: byte 0x{bad} (line {line + 1}, column {col + 1}) cannot be decoded",
            hint="this looks like a binary file, not a workflow"
            if binary
            else "save the file as UTF-8; Latin-1 or Windows-1252 accents are the usual cause",
            pos=Pos(line, col),
            readable_prefix=prefix,
        ) from None


def prefix_index(problem: UnreadableFile) -> LineIndex:
    """A line index of the readable text before the problem, so the renderer can show that line."""
    return LineIndex(problem.readable_prefix)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _too_large(size: int) -> UnreadableFile:
    message, hint = too_large_words(size)
    return UnreadableFile(codes.TOO_LARGE, message, hint=hint)


def describe_kind(mode: int) -> str:
    """'a folder', 'a named pipe (FIFO)', 'a device'...: what a path that is not a regular file is."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
