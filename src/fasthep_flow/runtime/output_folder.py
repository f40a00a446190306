"""The output folder of one run: locked, written through a private staging folder, replaced in one swap.

A run never writes, moves or deletes through a path of the existing output folder, so a symbolic link planted
there (``out/lnk -> /some/dir``, a symlinked ``out/cutflows``) cannot send a file, or a deletion, outside it:

1. ``open``: resolve the folder's parents (the folder itself must not be a symlink), take the folder lock
   (``folder_lock.py``), delete stale staging folders of dead runs (safe: every live run of this folder holds
   the lock), create a fresh staging folder ``<parent>/.fasthep-staging-<name>.<pid>.<id>`` beside it.
2. The run writes every output, ``plan.json`` and ``run.json`` into the staging folder.
3. ``promote``: the old folder's entries that belong to neither run (files you put there) are hard-linked into
   the staging folder, symlinks as symlinks (never followed). An output whose path passes through, or
   replaces, a symlink or a folder of yours is refused: nothing changes. Then ``renameat2(RENAME_EXCHANGE)``
   swaps the two folders in one step — a reader sees the old complete folder or the new one, never a mix — and
   the old tree, now at the staging path, is deleted (``shutil.rmtree`` unlinks symlinks, never follows them).

An output folder that is a mount point cannot be swapped with a folder beside it: there the staging folder is
inside it and ``promote`` moves file by file after checking every path (same refusals; not atomic as a whole).

A previous ``run.json`` is only used to tell which old files were the previous run's (they are not carried
over); no path read from it is ever followed. The cache/resume work can stage its blobs through the same
folder: ``OutputDir.staging`` is the only place a run writes to, ``promote`` the only place the folder changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from fasthep_flow.document import codes
from fasthep_flow.document.codes import Code
from fasthep_flow.ops.failures import OpError
from fasthep_flow.runtime.folder_lock import LOCK_NAME, FolderBusy, FolderLock, LockIsSymlink
from fasthep_flow.runtime.outputs import EVENTS_NAME, PLAN_NAME, RECORD_NAME, STAGING_PREFIX, safe_relative

_RESERVED_TOP = frozenset({LOCK_NAME, RECORD_NAME, PLAN_NAME, EVENTS_NAME})
_STAGING_RE = re.compile(
    r"^\.fasthep-staging-(?P<name>.+)\.(?P<pid>\d+)\.(?P<id>[0-9a-f]{8})(?P<old>\.old)?$"
)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputRefused(Exception):
    """The folder cannot be used or replaced; carries the diagnostic's code, message and hint."""

    def __init__(self, code: Code, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class OutputDir:
    """The output folder of one run, its lock and its staging folder (see the module docstring)."""

    def __init__(self, root: Path, wait: float | None = None, confine_to: Path | None = None) -> None:
        if confine_to is not None:
            _refuse_linked_parts(Path(root), Path(confine_to))
        self.root = real_folder(Path(root))
        _restore_interrupted_swap(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputRefused(
                codes.OUTPUT_ERROR, f"cannot create the output folder '{self.root}': {exc.strerror}"
            ) from exc
        if self.root.is_symlink() or not self.root.is_dir():
            raise OutputRefused(codes.OUTPUT_PATH, f"the output folder '{self.root}' is not a folder")
        try:
            self._lock = FolderLock.acquire(self.root, wait)
        except FolderBusy as exc:
            raise OutputRefused(
                codes.OUTPUT_BUSY,
                str(exc),
                "wait for it to finish, pass --wait SECONDS to wait for it, or choose another --outdir",
            ) from exc
        except LockIsSymlink as exc:
            raise OutputRefused(
                codes.OUTPUT_PATH,
                f"'{exc}' is a symbolic link; fasthep-flow never follows links in an output folder",
                "delete the link",
            ) from exc
        except OSError as exc:
            raise OutputRefused(
                codes.OUTPUT_ERROR, f"cannot lock the output folder '{self.root}': {exc.strerror}"
            ) from exc
        self._keep_staging = False
        self.swaps = _can_swap(self.root)
        """False for a mount point (a container's volume): a rename cannot cross it, files move one by one."""
        if self.swaps:
            name = f"{STAGING_PREFIX}{self.root.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            self.staging = self.root.parent / name
        else:
            self.staging = self.root / f"{STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            self._remove_stale()
            self.staging.mkdir()
            if self._lock.held and self.swaps:  # the lock's inode goes with the new folder: still locked
                os.link(self._lock.path, self.staging / LOCK_NAME, follow_symlinks=False)
        except OSError as exc:
            self.cleanup()
            raise OutputRefused(
                codes.OUTPUT_ERROR,
                f"cannot create the staging folder '{self.staging}' beside the output folder: {exc.strerror}",
                "a run stages its outputs beside the output folder and swaps them in: the parent folder "
                "must be writable",
            ) from exc
        except BaseException:
            self.cleanup()
            raise

    # -- the staging folder --------------------------------------------------------------------------------
    def staged(self, rel: PurePosixPath | str) -> Path:
        """The place in the staging area for a (checked) relative path; its folder exists."""
        path = self.staging / PurePosixPath(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_text(self, rel: PurePosixPath | str, text: str) -> Path:
        return self.write_bytes(rel, text.encode("utf-8"))

    def write_bytes(self, rel: PurePosixPath | str, data: bytes) -> Path:
        path = self.staged(rel)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path

    def write_record(self, text: str) -> Path:
        """``run.json`` is staged like every output: it appears together with them, in the swap."""
        return self.write_text(RECORD_NAME, text)

    def staged_files(self) -> list[PurePosixPath]:
        """Every file the run staged (``run.json`` and the lock excluded), sorted."""
        files = []
        for path in _files_under(self.staging):
            rel = PurePosixPath(path.relative_to(self.staging).as_posix())
            if rel.as_posix() in (RECORD_NAME, LOCK_NAME):
                continue
            files.append(rel)
        return sorted(files)

    # -- checks --------------------------------------------------------------------------------------------
    def refuse_symlinks(self, rels: Iterable[PurePosixPath | str]) -> None:
        """Refuse (``FF307``) when one of these output paths passes through a symlink of the output folder."""
        for rel in rels:
            link = self.symlink_on(PurePosixPath(rel))
            if link is not None:
                raise _symlink_refusal(PurePosixPath(rel), link, _readlink(self.root / link))

    def symlink_on(self, rel: PurePosixPath) -> PurePosixPath | None:
        for i in range(1, len(rel.parts) + 1):
            prefix = PurePosixPath(*rel.parts[:i])
            try:
                mode = os.lstat(self.root / prefix).st_mode
            except OSError:
                return None
            if stat.S_ISLNK(mode):
                return prefix
            if not stat.S_ISDIR(mode):
                return None
        return None

    # -- promotion -----------------------------------------------------------------------------------------
    def promote(self, previous: Iterable[str]) -> list[PurePosixPath]:
        """Swap the staged folder in as the output folder; return the run's files (``run.json`` excluded).

        ``previous`` are the paths the previous ``run.json`` listed: those files are not carried over. Raises
        ``OutputRefused`` (and changes nothing) when an output would be or pass through a symlink, replace a
        folder holding files the previous run did not write, or need a folder where a file of yours is. (An
        output replaces a file of the same name, as re-running always has.)
        """
        self._drop_partial_writes()
        files = self.staged_files()
        owned = {c.as_posix() for p in previous if (c := _clean(p)) is not None}
        if not self.swaps:
            try:
                self._promote_in_place(files, owned)
            except OSError as exc:
                raise OutputRefused(
                    codes.OUTPUT_ERROR, f"cannot move the outputs into '{self.root}': {exc.strerror}"
                ) from exc
            return files
        conflicts: list[OutputRefused] = []
        try:
            _carry(self.root, self.staging, None, owned, conflicts, move=False)
            if conflicts:
                raise conflicts[0]
            exchange(self.staging, self.root)
        except OSError as exc:
            raise OutputRefused(
                codes.OUTPUT_ERROR,
                f"cannot move the outputs into '{self.root}': {exc.strerror} ({exc.filename})",
                "the previous outputs are unchanged",
            ) from exc
        # The old tree is now at self.staging. Anything of yours that arrived after the carry moves over;
        # if that fails, the old tree is kept (until the next run) rather than deleted with it.
        try:
            _carry(self.staging, self.root, None, owned, [], move=True)
        except OSError:
            self._keep_staging = True
            return files
        shutil.rmtree(self.staging, ignore_errors=True)
        return files

    def _promote_in_place(self, files: list[PurePosixPath], owned: set[str]) -> None:
        """Where the folder cannot be swapped: every path checked first (nothing moves if one is refused),
        then one rename per file, the previous run's leftovers removed, ``run.json`` last. Not atomic as a
        whole — a run killed here leaves a mix, which the next run replaces — but confined all the same."""
        for rel in [*files, PurePosixPath(RECORD_NAME)]:
            self._check_in_place(rel, owned)
        for rel in [*files, PurePosixPath(RECORD_NAME)]:
            dest = self.root / rel
            for i in range(1, len(rel.parts)):
                prefix = self.root / PurePosixPath(*rel.parts[:i])
                if prefix.is_file() and not prefix.is_symlink():
                    prefix.unlink()  # the previous run's file where this run needs a folder
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)  # only the previous run's files (checked): its folder, not yours
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / rel, dest)
        current = {f.as_posix() for f in files}
        for old in sorted(owned - current):
            rel = PurePosixPath(old)
            path = self.root / rel
            if self.symlink_on(rel) is None and path.is_file():
                path.unlink()
                folder = path.parent
                while folder != self.root and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent

    def _check_in_place(self, rel: PurePosixPath, owned: set[str]) -> None:
        link = self.symlink_on(rel)
        if link is not None:
            raise _symlink_refusal(rel, link, _readlink(self.root / link))
        for i in range(1, len(rel.parts) + 1):
            prefix = PurePosixPath(*rel.parts[:i])
            path = self.root / prefix
            if not path.exists():
                return
            if i < len(rel.parts) and not path.is_dir() and prefix.as_posix() not in owned:
                raise OutputRefused(
                    codes.OUTPUT_PATH,
                    f"outputs under '{prefix}/' would replace the file '{prefix}', which this run did not write",
                    "rename the output folder, or move that file away",
                )
            if i == len(rel.parts) and path.is_dir() and _holds_foreign(path, prefix, owned):
                raise OutputRefused(
                    codes.OUTPUT_PATH,
                    f"the output '{rel}' would replace a folder of the same name that holds files "
                    "this run did not write",
                    "rename the output, or move that folder away",
                )

    def _drop_partial_writes(self) -> None:
        """``.<name>.tmp`` files of writes that failed half-way are not outputs: they stay out of the folder."""
        for path in list(_files_under(self.staging)):
            if path.name.startswith(".") and path.name.endswith(".tmp") and not path.is_symlink():
                path.unlink()
                folder = path.parent
                while folder != self.staging and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent

    def cleanup(self) -> None:
        """Delete the staging folder (or the old tree after a swap) and release the lock."""
        if not self._keep_staging:
            shutil.rmtree(self.staging, ignore_errors=True)
        self._lock.release()

    def _remove_stale(self) -> None:
        """Staging folders of this output folder left by killed runs. We hold the lock: none is live."""
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.root.parent):
                m = _STAGING_RE.match(entry.name)
                if m and m["name"] == self.root.name and entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
        with contextlib.suppress(OSError):  # the layout of earlier versions: staging inside the folder
            for entry in os.scandir(self.root):
                if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)


def _can_swap(root: Path) -> bool:
    """The output folder and its parent are one filesystem, and the folder is no mount point."""
    try:
        return not os.path.ismount(root) and os.stat(root).st_dev == os.stat(root.parent).st_dev
    except OSError:
        return False


def real_folder(root: Path) -> Path:
    """The output folder with its parents resolved; refuse a folder that is itself a symlink or holds the
    current directory (the swap would pull the directory from under the shell)."""
    absolute = Path(os.path.abspath(root))
    if absolute.name in ("", ".", ".."):
        raise OutputRefused(codes.OUTPUT_PATH, f"'{root}' names no output folder", "give --outdir a folder")
    folder = absolute.parent.resolve() / absolute.name
    if folder.is_symlink():
        raise OutputRefused(
            codes.OUTPUT_PATH,
            f"the output folder '{root}' is a symbolic link (to '{os.readlink(folder)}')",
            "a cloned repository could ship such a link; give the real folder with --outdir",
        )
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the current directory was deleted: it cannot be inside the folder we are about to use
        return folder
    if cwd == folder or folder in cwd.parents:
        raise OutputRefused(
            codes.OUTPUT_PATH,
            f"the output folder '{root}' contains the current directory",
            "a run replaces its output folder as a whole; choose a subfolder with --outdir",
        )
    return folder


def _refuse_linked_parts(root: Path, base: Path) -> None:
    """Refuse when a folder between ``base`` and ``root`` (``root`` included) is a symbolic link."""
    absolute, start = Path(os.path.abspath(root)), Path(os.path.abspath(base))
    try:
        parts = absolute.relative_to(start).parts
    except ValueError:
        return  # not below the base: nothing shipped with the workflow decides where it lands
    here = start
    for part in parts:
        here = here / part
        if here.is_symlink():
            raise OutputRefused(
                codes.OUTPUT_PATH,
                f"'{here}' on the way to the default output folder is a symbolic link (to '{_readlink(here)}')",
                "a cloned repository could ship such a link; delete it, or give the output folder with --outdir",
            )


def exchange(a: Path, b: Path) -> None:
    """Swap two folders of one parent atomically (Linux ``renameat2``); elsewhere, three renames."""
    libc = _libc()
    fn = getattr(libc, "renameat2", None) if libc is not None else None
    if fn is not None:
        if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), str(b))
    old = a.with_name(a.name + ".old")  # the window without `b` is repaired by the next run
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _restore_interrupted_swap(root: Path) -> None:
    """A run killed inside the three-rename fallback leaves no folder and the old one at ``*.old``."""
    if os.path.lexists(root):
        return
    with contextlib.suppress(OSError):
        for entry in os.scandir(root.parent):
            m = _STAGING_RE.match(entry.name)
            if not (m and m["old"] and m["name"] == root.name and entry.is_dir(follow_symlinks=False)):
                continue
            if _alive(int(m["pid"])):
                return  # that run is between its renames right now; it finishes the swap itself
            os.rename(entry.path, root)
            return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _clean(path: str) -> PurePosixPath | None:
    try:
        return safe_relative(path)
    except OpError:
        return None


def _files_under(folder: Path) -> Iterator[Path]:
    for base, dirs, names in os.walk(folder):
        for name in names:
            yield Path(base) / name
        for name in dirs:  # symlinks to folders are files here: walk does not follow them
            if os.path.islink(os.path.join(base, name)):
                yield Path(base) / name


def _carry(
    src: Path,
    dst: Path,
    rel: PurePosixPath | None,
    owned: set[str],
    conflicts: list[OutputRefused],
    move: bool,
) -> None:
    """Bring the entries of ``src`` that belong to neither run into ``dst`` (hard links, or renames)."""
    with os.scandir(src) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        here = PurePosixPath(entry.name) if rel is None else rel / entry.name
        if rel is None and (entry.name in _RESERVED_TOP or entry.name.startswith(STAGING_PREFIX)):
            continue
        target = dst / entry.name
        try:
            there: os.stat_result | None = os.lstat(target)
        except FileNotFoundError:
            there = None
        if entry.is_dir(follow_symlinks=False):
            _carry_folder(entry, target, there, here, owned, conflicts, move)
        elif here.as_posix() in owned:
            continue  # the previous run's file: replaced by the new one, or gone
        elif there is None:
            if move:
                os.rename(entry.path, target)
            else:
                _link(entry, target)
        elif move:
            continue
        elif entry.is_symlink():
            first = _first_file(target, here)
            conflicts.append(_symlink_refusal(first, here, os.readlink(entry.path)))
        elif stat.S_ISDIR(there.st_mode):
            conflicts.append(
                OutputRefused(
                    codes.OUTPUT_PATH,
                    f"outputs under '{here}/' would replace the file '{here}', which this run did not write",
                    "rename the output folder, or move that file away",
                )
            )
        # else: a new output replaces a file of the same name


def _carry_folder(
    entry: os.DirEntry[str],
    target: Path,
    there: os.stat_result | None,
    here: PurePosixPath,
    owned: set[str],
    conflicts: list[OutputRefused],
    move: bool,
) -> None:
    folder = Path(entry.path)
    if there is not None and stat.S_ISDIR(there.st_mode):
        _carry(folder, target, here, owned, conflicts, move)
    elif there is not None:
        if not move and _holds_foreign(folder, here, owned):
            conflicts.append(
                OutputRefused(
                    codes.OUTPUT_PATH,
                    f"the output '{here}' would replace a folder of the same name that holds files "
                    "this run did not write",
                    "rename the output, or move that folder away",
                )
            )
    elif _holds_foreign(folder, here, owned) or not _holds_any(folder):
        # Folders of yours (empty ones too) come along; one that held only the previous run's files goes.
        os.mkdir(target, stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) | 0o700)
        _carry(folder, target, here, owned, conflicts, move)


def _link(entry: os.DirEntry[str], target: Path) -> None:
    if entry.is_symlink():
        os.symlink(os.readlink(entry.path), target)
        return
    try:
        os.link(entry.path, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(entry.path, target, follow_symlinks=False)


def _holds_foreign(folder: Path, rel: PurePosixPath, owned: set[str]) -> bool:
    for path in _files_under(folder):
        if (rel / path.relative_to(folder).as_posix()).as_posix() not in owned:
            return True
    return False


def _holds_any(folder: Path) -> bool:
    return next(_files_under(folder), None) is not None


def _first_file(path: Path, rel: PurePosixPath) -> PurePosixPath:
    """The first staged output at or under ``path`` (which is ``rel`` in the folder), for messages."""
    if path.is_dir() and not path.is_symlink():
        for found in sorted(_files_under(path)):
            return rel / found.relative_to(path).as_posix()
    return rel


def _symlink_refusal(output: PurePosixPath, link: PurePosixPath, target: str) -> OutputRefused:
    where = "is" if output == link else "goes through"
    return OutputRefused(
        codes.OUTPUT_PATH,
        f"the output '{output}' {where} the symbolic link '{link}' (to '{target}') in the output folder; "
        "outputs are never written through links",
        "delete the link, or choose another output path",
    )
