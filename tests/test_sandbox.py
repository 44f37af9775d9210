"""The sandbox's clean-up: nothing a submission starts outlives it, even when it hides; its uid
leases; and what a child inherits from the grader.

Each scenario runs in its own Python process, because the grader makes itself a child
subreaper (orphans of the sandbox become its children), which a test runner should not be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import sandbox

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    not sandbox.privileged(),
    reason="the uid reaper needs root (it is what drops each child to its own uid)",
)

SCENARIO = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from autograder import sandbox

    def escape():
        # a grandchild leaves the child's process group, then keeps replacing itself
        # (fork, parent exits), the hardest kind of process to find by looking
        if os.fork() == 0:
            os.setsid()
            while True:
                try:
                    if os.fork():
                        os._exit(0)
                except OSError:  # too many processes of this uid for now: try again
                    time.sleep(0.001)
        time.sleep(0.3)

    def stay():
        time.sleep(0.05)

    def reap_all():
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    return True
            except ChildProcessError:
                return False

    job = {"escape": escape, "stay": stay}[sys.argv[1]]
    scratch = Path(sys.argv[2])
    sandbox.become_subreaper()
    child = sandbox.start(job, scratch, 7, sandbox.Limits(timeout=10))
    os.waitpid(child.pid, 0)
    found = sandbox.uid_has_processes(child.uid)
    sandbox.kill_everything(child)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        more = reap_all()
        if not sandbox.uid_has_processes(child.uid) and not more:
            break
        time.sleep(0.01)
    left = sandbox.uid_has_processes(child.uid)
    sandbox.kill_uid(child.uid)  # whatever the verdict, leave nothing running
    print(json.dumps({"found": found, "left": left}))
""")


def run(kind: str, tmp_path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, kind, str(tmp_path / "scratch")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_process_that_left_the_group_and_forks_forever_is_found_and_killed(tmp_path):
    result = run("escape", tmp_path)
    assert result == {"found": True, "left": False}


def test_a_child_that_started_nothing_leaves_nothing_to_find(tmp_path):
    assert run("stay", tmp_path) == {"found": False, "left": False}


def test_the_scan_sees_a_zombie_of_the_uid():
    """A process that exited but was not reaped still counts: it cannot hide by exiting."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.setuid(sandbox.FIRST_UID + 9)
        os._exit(0)
    try:
        for _ in range(500):
            with open(f"/proc/{pid}/status") as status:
                if "State:\tZ" in status.read():
                    break
        assert sandbox.uid_has_processes(sandbox.FIRST_UID + 9)
    finally:
        os.waitpid(pid, 0)
    assert not sandbox.uid_has_processes(sandbox.FIRST_UID + 9)


LEASE = textwrap.dedent("""
    import sys, time
    from autograder import sandbox
    print(sandbox.uid_for(0), sandbox.uid_for(1), flush=True)
    sys.stdin.readline()  # hold the leases until the test says so
""")


def test_two_graders_at_once_never_share_a_uid():
    """Each grader kills every process of its children's uid when a child ends: two graders
    on the same uid would kill each other's children. A second grader leases other uids,
    and gets the first one's back once that one has ended."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(
        [sys.executable, "-c", LEASE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        text=True,
    )  # fmt: skip
    assert first.stdout is not None and first.stdin is not None
    held = set(map(int, first.stdout.readline().split()))
    second = subprocess.run(
        [sys.executable, "-c", LEASE], input="\n", capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    theirs = set(map(int, second.stdout.split()))
    assert len(held) == 2 and len(theirs) == 2 and not held & theirs, (held, theirs)
    first.communicate("\n", timeout=60)
    again = subprocess.run(
        [sys.executable, "-c", LEASE], input="\n", capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert set(map(int, again.stdout.split())) == held  # released when the first one ended


DESCRIPTORS = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from autograder import sandbox

    scratch, secret = Path(sys.argv[1]), Path(sys.argv[2])
    kept = os.open(secret, os.O_RDWR)  # what a grader may hold: a gradebook, a results file
    read_end, write_end = os.pipe()  # and a pipe: its own output, read by formgrader or a shell

    def job():
        reached = []
        for fd in range(3, 4096):
            try:
                os.write(fd, b"written by a submission")
                reached.append(fd)
            except OSError:
                pass
        fd = os.open("reached.json", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, json.dumps(reached).encode())
        os.close(fd)

    sandbox.become_subreaper()
    child = sandbox.start(job, scratch, 3, sandbox.Limits(timeout=10))
    _, status = os.waitpid(child.pid, 0)
    sandbox.kill_everything(child)
    os.close(write_end)
    print(json.dumps({
        "exit": os.waitstatus_to_exitcode(status),
        "reached": json.loads((scratch / "reached.json").read_text()),
        "pipe": os.read(read_end, 100).decode(),
    }))
""")


def test_the_child_can_write_through_no_descriptor_the_grader_holds(tmp_path):
    """The child closes every descriptor it inherited but stdin, stdout and stderr: after the
    chroot and the change of uid, an open file of the grader's would still be writable."""
    secret = tmp_path / "gradebook.db"
    secret.write_bytes(b"the grader's data")
    done = subprocess.run(
        [sys.executable, "-c", DESCRIPTORS, str(tmp_path / "scratch"), str(secret)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"exit": 0, "reached": [], "pipe": ""}
    assert secret.read_bytes() == b"the grader's data"
