"""A single-node Slurm on this machine, for the tests that submit Dask workers as real Slurm jobs.

Everything lives in a scratch folder (configuration, state, spool, logs, PID files); the daemons run in the
foreground as children of the test process, so they are stopped by the PIDs this module started. Only munge
uses the system's paths (``/etc/munge/munge.key``, ``/run/munge``), as Debian's package sets them up; a
``munged`` that was already running is used and left running.

Needs root (slurmd starts jobs as their user). When the Debian packages ``slurm-wlm`` and ``munge`` are
missing, they are installed with apt-get — CI runs as root with Debian's archive reachable, so the CI job
needs no extra step; a developer machine without root gets a plain failure that says what is missing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")
MUNGE_SOCKET_DIR = Path("/run/munge")
MUNGE_PID = MUNGE_SOCKET_DIR / "munged.pid"


class SlurmUnavailable(RuntimeError):
    """This machine cannot host the test's Slurm; the message says why and what would fix it."""


@dataclass
class SlurmNode:
    folder: Path
    conf: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    munged_pid: int | None = None
    """The munged this module started (None when one was already running)."""

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def command(self, *argv: str) -> str:
        env = {**os.environ, **self.env}
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=30).stdout

    def jobs(self) -> dict[str, str]:
        """Job id -> state, of the jobs Slurm still lists (pending, running, completing)."""
        out = self.command("squeue", "--noheader", "--format=%i %T")
        return dict(line.split()[:2] for line in out.splitlines() if line.strip())

    def jobs_after(self, seconds: float) -> dict[str, str]:
        """The jobs still listed once ``seconds`` have passed or none is left (a cancelled job is listed as
        COMPLETING while slurmd reaps its processes)."""
        deadline = time.monotonic() + seconds
        jobs = self.jobs()
        while jobs and time.monotonic() < deadline:
            time.sleep(0.5)
            jobs = self.jobs()
        return jobs

    def stop(self) -> None:
        """Cancel what is left, then stop the daemons this module started, by PID."""
        with contextlib.suppress(Exception):
            self.command("scancel", "--full", f"--user={pwd.getpwuid(os.getuid()).pw_name}")
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        if self.munged_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.munged_pid, signal.SIGTERM)
            _wait_gone(self.munged_pid, 10)


def _wait_gone(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_packages() -> None:
    if shutil.which("slurmctld") and shutil.which("munged"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SlurmUnavailable(
            "the Slurm test needs slurmctld, slurmd and munged (Debian: apt-get install slurm-wlm munge) and "
            "root to run them; this machine has neither the programs nor a way to install them"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    # /usr/sbin is not always on a non-login root PATH
    for folder in ("/usr/sbin", "/sbin"):
        if folder not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + folder


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _start_munged() -> int | None:
    """Start munged as the ``munge`` user unless one runs; its PID, or None when it was already running."""
    if _alive(MUNGE_PID):
        return None
    key = Path("/etc/munge/munge.key")
    munge = pwd.getpwnam("munge")
    if not key.exists():
        key.write_bytes(os.urandom(1024))
    os.chown(key, munge.pw_uid, munge.pw_gid)
    key.chmod(0o400)
    MUNGE_SOCKET_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    os.chown(MUNGE_SOCKET_DIR, munge.pw_uid, munge.pw_gid)
    for folder in (Path("/var/lib/munge"), Path("/var/log/munge")):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chown(folder, munge.pw_uid, munge.pw_gid)
    munged = shutil.which("munged") or "/usr/sbin/munged"
    subprocess.run(["runuser", "-u", "munge", "--", munged], check=True, capture_output=True, timeout=30)
    deadline = time.monotonic() + 10
    while not _alive(MUNGE_PID):
        if time.monotonic() > deadline:
            raise SlurmUnavailable("munged did not start (see /var/log/munge/munged.log)")
        time.sleep(0.1)
    return int(MUNGE_PID.read_text().strip())


def _memory_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 2048


def write_conf(folder: Path) -> Path:
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    for sub in ("state", "spool", "log"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    conf = folder / "slurm.conf"
    conf.write_text(
        f"""ClusterName=fasthepflowtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={folder / "state"}
SlurmdSpoolDir={folder / "spool"}
SlurmctldPidFile={folder / "slurmctld.pid"}
SlurmdPidFile={folder / "slurmd.pid"}
SlurmctldLogFile={folder / "log" / "slurmctld.log"}
SlurmdLogFile={folder / "log" / "slurmd.log"}
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={max(1024, _memory_mib() // 2)} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
    )
    return conf


def start(folder: Path, timeout: float = 60.0) -> SlurmNode:
    """Bring up munge, slurmctld and slurmd; return once the node takes jobs (``sinfo`` says idle)."""
    ensure_packages()
    if os.geteuid() != 0:
        raise SlurmUnavailable("the single-node Slurm of the tests must be started as root")
    node = SlurmNode(folder, write_conf(folder))
    node.munged_pid = _start_munged()
    env = {**os.environ, **node.env}
    try:
        for daemon in ("slurmctld", "slurmd"):
            binary = shutil.which(daemon) or f"/usr/sbin/{daemon}"
            log = (folder / "log" / f"{daemon}.out").open("wb")
            argv = [binary, "-D", "-f", str(node.conf)]
            if daemon == "slurmctld":
                argv.append("-c")  # a clean start: no state from an earlier run of the fixture
            node.processes.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
            time.sleep(0.5)
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            for proc in node.processes:
                if proc.poll() is not None:
                    raise SlurmUnavailable(f"{proc.args[0]} exited; see {folder / 'log'}")
            with contextlib.suppress(subprocess.SubprocessError):
                state = node.command("sinfo", "--noheader", "--format=%T").strip()
                if state.startswith("idle"):
                    return node
            time.sleep(0.5)
        raise SlurmUnavailable(f"the Slurm node did not become idle (last state {state!r}); see {folder}/log")
    except BaseException:
        node.stop()
        raise
