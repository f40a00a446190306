"""One run at a time per output folder: an exclusive ``flock`` on ``<outdir>/.fasthep-lock`` (while it runs).

Two runs promoting into one folder would interleave their files and records, so the second run refuses (or
waits, with ``--wait``) and names the pid that holds the folder. The kernel drops a ``flock`` when its last
holder exits, however it exits: a killed run never leaves a stale lock. Worker processes forked by the run
inherit the lock, so it stays held until they are gone too; they die with the run, and a new run that finds
the lock held while the pid written in it is gone waits for them a few seconds instead of refusing.

The lock file survives the folder swap of ``output_folder.py``: the run hard-links it into its staging folder,
so after the swap the new folder's lock file is the same inode the run holds. A waiting run that finally gets
the lock checks that the path still names the inode it locked, and retries otherwise.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

LOCK_NAME = ".fasthep-lock"
_POLL_SECONDS = 0.1
_ORPHAN_GRACE_SECONDS = 15.0
"""How long a run waits, even without ``--wait``, when the pid in the lock file is gone: the lock is then held
only by that run's worker processes, which the kernel is killing (they die with their parent), so the folder
is about to be free. Without this grace, ``kill -9`` followed at once by the same command could be refused."""


class FolderBusy(Exception):
    """Another live run holds the folder; ``holder`` is its pid when it could be read."""

    def __init__(self, folder: Path, holder: int | None) -> None:
        self.folder = folder
        self.holder = holder
        who = f"pid {holder}" if holder is not None else "a process whose pid could not be read"
        super().__init__(f"the output folder '{folder}' is in use by another run ({who})")


class LockIsSymlink(Exception):
    """``.fasthep-lock`` is a symbolic link: somebody planted it; following it would lock (and write) elsewhere."""


class FolderLock:
    """The held lock of one output folder; ``release`` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, folder: Path, wait: float | None = None) -> FolderLock:
        """Lock ``folder`` (which exists); raise ``FolderBusy`` at once, or after ``wait`` seconds."""
        try:
            import fcntl
        except ImportError:  # Windows: no flock; the run goes ahead unlocked (documented)
            return cls(folder / LOCK_NAME, None)

        path = folder / LOCK_NAME
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        orphaned: float | None = None  # when the grace for a dead holder's dying workers ends
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                if os.path.islink(path):
                    raise LockIsSymlink(str(path)) from exc
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                if holder is not None and not _alive(holder):
                    orphaned = orphaned or time.monotonic() + _ORPHAN_GRACE_SECONDS
                    if time.monotonic() < orphaned:
                        time.sleep(_POLL_SECONDS)
                        continue
                if deadline is None or time.monotonic() >= deadline:
                    raise FolderBusy(folder, holder) from None
                time.sleep(_POLL_SECONDS)
                continue
            if not _still_named(fd, path):
                os.close(fd)  # the holder swapped the folder while we waited: lock the new one
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Unlink the lock file while still holding it, then unlock: a run waiting on the old inode sees
        that the path no longer names it and locks afresh, so the folder is left with no lock file in it."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            if _still_named(fd, self.path):
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            os.close(fd)


def _still_named(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def _alive(pid: int) -> bool:
    """Whether ``pid`` names a live process (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text else None
    return None
