"""Start many real ``fasthep-flow`` runs without paying an interpreter's start-up for each.

A test that launches dozens of runs (the ``kill -9`` resume trials) spends most of each run importing numpy,
awkward, uproot and hist again. This script imports them once, then forks one child per command it is given:
the child is a real process running the CLI's own ``main`` with the command's arguments, with its stdout and
stderr in files, and ``SIGKILL`` stops it like any other process. Only the import time is shared, nothing of
a run: no run happens in this process, so the children start from the state a fresh interpreter has after its
imports.

Protocol (one command at a time, lines of JSON on stdin and plain lines on stdout): the launcher prints
``ready``; for ``["argv", ...], "stdout path", "stderr path"`` it prints the child's pid, then, when the child
has ended, its return code as ``subprocess`` reports it (``-9`` for a ``SIGKILL``). ``WarmLauncher`` is the
test side.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _warm() -> None:
    """The imports every run of a toy or ROOT workflow makes (each costs a fresh interpreter ~0.7 CPU-s)."""
    import awkward  # noqa: F401
    import hist  # noqa: F401
    import numpy  # noqa: F401
    import uproot  # noqa: F401

    import fasthep_flow.cli.commands
    import fasthep_flow.compiler
    import fasthep_flow.runtime.run  # noqa: F401


def _child(argv: list[str], stdout: str, stderr: str) -> None:
    """In the forked child: the command's own process from here on; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, stdout), (2, stderr)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        sys.argv = ["fasthep-flow", *argv]
        from fasthep_flow.cli.main import main

        code = int(main(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    _warm()
    print("ready", flush=True)
    for line in sys.stdin:
        argv, stdout, stderr = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(argv, stdout, stderr)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status), flush=True)


class Launched:
    """One run started by the launcher: ``pid``, ``poll()``, ``wait()``, ``returncode``, ``stderr``."""

    def __init__(self, launcher: WarmLauncher, pid: int, stderr: Path) -> None:
        self.launcher, self.pid, self._stderr = launcher, pid, stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            line = self.launcher.read_line(timeout=0)
            if line is not None:
                self.returncode = int(line)
        return self.returncode

    def wait(self, timeout: float) -> int:
        if self.returncode is None:
            line = self.launcher.read_line(timeout=timeout)
            if line is None:
                raise subprocess.TimeoutExpired("fasthep-flow", timeout)
            self.returncode = int(line)
        return self.returncode

    @property
    def stderr(self) -> str:
        return self._stderr.read_text(encoding="utf-8", errors="replace")


class WarmLauncher:
    """The test side: ``start(argv, folder)`` forks a run (its output files go in ``folder``), ``run`` waits."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
        self._buffer = b""
        self._count = 0
        if self.read_line(timeout=120) != "ready":
            raise RuntimeError("the warm launcher did not start")

    def read_line(self, timeout: float) -> str | None:
        """The launcher's next line, or None when none came within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = max(0.0, end - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"the warm launcher ended (exit {self.proc.wait()})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode().strip()

    def start(self, argv: list[str], folder: Path) -> Launched:
        self._count += 1
        stdout, stderr = folder / f"launch{self._count}.out", folder / f"launch{self._count}.err"
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps([argv, str(stdout), str(stderr)]) + "\n").encode())
        line = self.read_line(timeout=60)
        if line is None:
            raise RuntimeError("the warm launcher did not fork")
        return Launched(self, int(line), stderr)

    def run(self, argv: list[str], folder: Path, timeout: float) -> Launched:
        launched = self.start(argv, folder)
        launched.wait(timeout)
        return launched

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


if __name__ == "__main__":
    serve()
