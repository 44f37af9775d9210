"""Running untrusted code in a resource-limited child process forked from a warm parent.

The grader imports NumPy, PyTorch and the checks once; every submission then runs in a child
made with ``fork()`` (about 10 ms), which confines itself before it runs a line of student code:

* its own session and process group, stdin from ``/dev/null``, stdout and stderr to a file,
  and no other descriptor of the grader's (its files, pipes and locks are closed);
* resource limits: CPU seconds, address space (on top of what the warm parent already maps),
  processes/threads, size of any file written, open files, no core dumps;
* when the grader runs as root, which is what these guarantees need: a new network namespace
  (no network: only a loopback interface that is down), ``chroot`` into a private scratch
  directory (so ``solutions/``, the gradebook and other submissions do not exist for it), and
  a drop to an unprivileged uid/gid of its own (so it cannot signal the grader or write as root);
* a scrubbed environment.

The parent enforces a wall-clock timeout, kills the child's whole process group and, when
privileges were dropped, every process of the child's uid (a reaper that ``kill(-1)`` s as that
uid, forked only when a scan of ``/proc`` finds one), so nothing the submission started
outlives it. :func:`confinement` reports which of these are in force on this machine.
"""

from __future__ import annotations

import ctypes
import fcntl
import importlib
import os
import resource
import signal
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNET = 0x40000000
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
FIRST_UID = 61000  # the sandbox's unprivileged uids: 61000, 61001, ... (see uid_for)
UIDS = 4096  # how many there are: as many job slots as every grader on the machine runs at once
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Limits:
    """Per-submission limits."""

    timeout: float = 60.0  # wall-clock seconds
    memory_mb: int = 2048  # address space the child may add to the warm parent's
    processes: int = 32  # processes and threads of the child's uid (RLIMIT_NPROC)
    file_mb: int = 16  # largest file the child may write (its printed output included)
    open_files: int = 256

    @property
    def cpu_seconds(self) -> int:
        return max(1, int(self.timeout) + 1)


def privileged() -> bool:
    """Whether the sandbox can chroot, drop privileges and unshare the network."""
    return os.geteuid() == 0


def confinement() -> dict[str, bool]:
    """What the sandbox enforces on this machine (probed once, in a throwaway child)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        network = privileged() and _libc.unshare(CLONE_NEWNET) == 0
        os.write(w, b"1" if network else b"0")
        os._exit(0)
    os.close(w)
    network = os.read(r, 1) == b"1"
    os.close(r)
    os.waitpid(pid, 0)
    root = privileged()
    return {
        "resource limits": True,
        "wall-clock timeout": True,
        "own process group": True,
        "chroot into scratch": root,
        "unprivileged uid": root,
        "no network": network,
    }


def _current_address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _confine(
    scratch: Path, uid: int, limits: Limits, preload: Sequence[str] = ()
) -> None:  # pragma: no cover - child
    """Everything the child does to itself before it runs untrusted code. The modules named
    in ``preload`` are imported after the limits are set and before the chroot, which hides
    the library from the child: the modules the answers import must be loaded by then."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(scratch / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    # Every other descriptor the grader had open at the fork (its sandbox uid leases, its
    # output pipe, a gradebook, another student's file) is closed: the child could write
    # through it after the chroot and the change of uid.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    os.closerange(3, hard if hard != resource.RLIM_INFINITY else max(soft, 65536))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails instead of killing
    mb = 1024 * 1024
    address_space = _current_address_space() + limits.memory_mb * mb
    for limit, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, address_space),
        (resource.RLIMIT_FSIZE, limits.file_mb * mb),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))
    for module in preload:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001, S112 - the answer cell reports the failed import
            continue
    if privileged():
        _libc.unshare(CLONE_NEWNET)  # best effort: refused in some containers
        os.chown(scratch, uid, uid)
        os.chroot(scratch)
        os.chdir("/")
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    else:
        os.chdir(scratch)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
    os.environ.clear()
    os.environ.update(
        {
            "PATH": "/nonexistent",
            "HOME": "/",
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }
    )


@dataclass
class Child:
    """A running sandboxed child."""

    pid: int
    uid: int
    scratch: Path
    deadline: float
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Exit:
    """How a child ended."""

    timed_out: bool
    exit_code: int | None  # None when killed by a signal
    signal: int | None
    cpu_seconds: float
    max_rss_mb: float

    def describe(self, limits: Limits) -> str:
        if self.timed_out:
            return f"it ran longer than the time limit of {limits.timeout:g} s"
        if (
            self.signal == signal.SIGXCPU
            or self.signal == signal.SIGKILL
            and self.cpu_seconds >= limits.cpu_seconds
        ):
            return f"it used more than {limits.cpu_seconds} s of CPU time"
        if self.signal is not None:
            return f"it was killed by signal {signal.Signals(self.signal).name}"
        return f"it exited with code {self.exit_code}"


_leases: dict[int, tuple[int, int]] = {}  # job slot -> (uid, fd of its lock file)


def uid_for(slot: int) -> int:
    """The uid that job slot ``slot`` of this process runs its children as.

    Two graders on one machine (two assignments graded at once, two ``nbgrader autograde``
    runs) must never share a uid: each kills every process of its children's uid when a child
    ends, which would kill the other's. So a slot leases a free uid on its first use, for the
    life of this process, by holding an exclusive ``flock`` on ``<tmp>/autograder-uids/<uid>``
    (root's alone, mode 0700); the kernel releases it when the process ends, however it ends.
    Processes left behind by a grader that was killed are killed when their uid is leased
    again. Unprivileged, children keep the grader's own uid and this is ``FIRST_UID + slot``.
    """
    if slot in _leases:
        return _leases[slot][0]
    if not privileged():
        _leases[slot] = (FIRST_UID + slot, -1)
        return FIRST_UID + slot
    folder = Path(tempfile.gettempdir()) / "autograder-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise RuntimeError(
            f"{folder} must belong to the grader's user, with mode 0700: remove it and grade again"
        )
    taken = {uid for uid, _ in _leases.values()}
    for uid in range(FIRST_UID, FIRST_UID + UIDS):
        if uid in taken:
            continue
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another grader's
            os.close(fd)
            continue
        _leases[slot] = (uid, fd)
        if uid_has_processes(uid):  # leftovers of a grader that was killed
            kill_uid(uid)
        return uid
    raise RuntimeError(f"all {UIDS} sandbox uids are in use by other graders: try again later")


def start(
    job: Callable[[], None], scratch: Path, slot: int, limits: Limits, preload: Sequence[str] = ()
) -> Child:
    """Fork a confined child that runs ``job`` in ``scratch`` and exits, after importing the
    (trusted, standard or numerical) modules named in ``preload``. It runs as the uid that
    :func:`uid_for` leased for ``slot``."""
    uid = uid_for(slot)
    scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 70
        try:
            _confine(scratch, uid, limits, preload)  # closes the leases' fds with the rest
            job()
            code = 0
        except BaseException:  # noqa: BLE001 - nothing may escape the child
            code = 71
        finally:
            os._exit(code)
    now = time.monotonic()
    return Child(pid, uid, scratch, now + limits.timeout, now)


def become_subreaper() -> None:
    """Make orphaned grandchildren of the sandbox our children, so we can reap them."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_everything(child: Child) -> None:
    """Kill the child's process group and, as its uid, every process it may have started."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid_has_processes(child.uid):
        kill_uid(child.uid)


def uid_has_processes(uid: int) -> bool:
    """Whether any process, zombies included, has real uid ``uid`` (from ``/proc/PID/status``).

    Lets the common case, a child that started nothing that outlived it, skip the reaper's
    fork (30 ms from a parent that has imported PyTorch). No process of ``uid`` can slip past:
    the grader is a child subreaper, so every such process is its descendant, and one that
    exits during the scan stays a zombie, still listed, until its parent reaps it, which is
    either the grader (busy scanning) or another process of ``uid`` that was itself listed.
    Without a readable ``/proc`` it answers True, so the reaper runs."""
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return True
    wanted = f"Uid:\t{uid}\t"
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if line.startswith(wanted):
                            return True
                        break
        except OSError:
            continue  # the process ended while we looked
    return False


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (when privileged): a reaper that ``kill(-1)`` s as it."""
    if not privileged():
        return
    reaper = os.fork()
    if reaper == 0:  # pragma: no cover - runs in the reaper
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(reaper, 0)


def exit_of(status: int, rusage: resource.struct_rusage, timed_out: bool) -> Exit:
    code = os.waitstatus_to_exitcode(status)
    return Exit(
        timed_out,
        code if code >= 0 else None,
        -code if code < 0 else None,
        rusage.ru_utime + rusage.ru_stime,
        rusage.ru_maxrss / 1024,
    )


def read_file(path: Path, limit: int) -> bytes | None:
    """Read a file the child wrote, refusing symlinks, non-regular files and huge files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)[:limit]
    finally:
        os.close(fd)
