"""Stage 3, run in the sandbox: each submission's program runs in a child forked from this
warm process (:mod:`autograder.sandbox`), ``jobs`` at a time.

:func:`child_job` is the only code of the grader that runs inside the sandbox: it runs the
cells, then probes each item (the untrusted half of :mod:`autograder.items`), and writes a
message (:mod:`autograder.grading.messages`) for the cells and for each item as soon as it has
it, so a crash later loses nothing before. The parent (:class:`Runner`) reads those messages
back through :mod:`autograder.wire`, starts a new child for the items after one that hung or
crashed (at most :data:`MAX_RESTARTS` times), and hands each submission's :class:`Report` on.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from autograder import sandbox, wire
from autograder.grading.load import Plan
from autograder.grading.messages import (
    CellsRan,
    Crashed,
    ItemMessage,
    ItemProbed,
    Undefined,
    cells_from_wire,
    item_from_wire,
    to_wire,
)
from autograder.grading.rebuild import Rebuilt
from autograder.items import format_error, probe_item

RESULT_LIMIT = 64 * 1024 * 1024
MAX_RESTARTS = 3  # children started again after one stopped, per submission

T = TypeVar("T")


# the sandboxed half ------------------------------------------------------------------------


def child_job(
    program: Sequence[tuple[str, str]], plans: Sequence[Plan], first: int = 0
) -> Callable[[], None]:
    """What the child runs: the cells, then the probes of each item from ``first`` on, writing
    each item's message as soon as it has it (so a crash later loses nothing before)."""

    def job() -> None:
        directory = os.open(".", os.O_RDONLY)

        def write(name: str, message: CellsRan | ItemProbed | Undefined | Crashed) -> None:
            try:
                doc, arrays = wire.encode(to_wire(message))
            except wire.WireError as exc:
                crash = Crashed(f"returned data the grader cannot read: {exc}")
                doc, arrays = wire.encode(to_wire(crash))
            for suffix, data in ((".npz", arrays), (".json", doc.encode())):
                fd = os.open(
                    f"{name}{suffix}.tmp",
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                    0o600,
                    dir_fd=directory,
                )
                os.write(fd, data)
                os.close(fd)
                os.rename(
                    f"{name}{suffix}.tmp",
                    f"{name}{suffix}",
                    src_dir_fd=directory,
                    dst_dir_fd=directory,
                )

        namespace: dict[str, Any] = {"__name__": "__main__"}
        errors = {}
        for grade_id, source in program:
            try:
                exec(compile(source, f"<answer cell {grade_id}>", "exec"), namespace)  # noqa: S102
            except BaseException as exc:  # noqa: BLE001 - SystemExit and friends included
                errors[grade_id] = format_error(exc)
        write("cells", CellsRan(errors))
        for n, plan in enumerate(plans):
            if n < first:
                continue
            missing = [t for t in plan.item.targets if t not in namespace]
            if missing:
                write(f"item{n}", Undefined(tuple(missing)))
                continue
            message: ItemProbed | Crashed
            try:
                functions = [namespace[t] for t in plan.item.targets]
                probe = probe_item(plan.item, functions, plan.cases)
                message = ItemProbed(probe.probes, probe.forbidden_calls)
            except BaseException as exc:  # noqa: BLE001 - sys.exit() inside a function
                message = Crashed(format_error(exc))
            write(f"item{n}", message)

    return job


# the trusted half --------------------------------------------------------------------------


def read_wire(scratch: Path, name: str) -> object | None:
    """The plain data in the child's file ``name`` (None if the child did not write it; the
    data of a :class:`Crashed` message if it is not plain data)."""
    doc = sandbox.read_file(scratch / f"{name}.json", RESULT_LIMIT)
    arrays = sandbox.read_file(scratch / f"{name}.npz", RESULT_LIMIT)
    if doc is None or arrays is None:
        return None
    try:
        decoded: object = wire.decode(doc.decode("utf-8", "replace"), arrays)
    except wire.WireError as exc:
        return to_wire(Crashed(str(exc)))
    return decoded


@dataclass
class Report:
    """What the children reported on one submission: a message per item (absent: none came),
    why the child stopped before an item's message, the answer cells' errors, notes."""

    items: dict[int, ItemMessage] = field(default_factory=dict)
    stopped: dict[int, str] = field(default_factory=dict)
    cell_errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


@dataclass
class Task(Generic[T]):
    """One submission to run: ``key`` is the caller's (handed back with the report), ``name``
    names the scratch folder; ``rebuilt`` None means nothing to run (an unreadable notebook)."""

    key: T
    name: str
    rebuilt: Rebuilt | None


@dataclass
class _Running(Generic[T]):
    task: Task[T]
    rebuilt: Rebuilt
    slot: int
    child: sandbox.Child
    first: int = 0
    report: Report = field(default_factory=Report)


class Runner:
    """Runs the tasks of one batch in sandboxed children, ``jobs`` at a time."""

    def __init__(self, plans: Sequence[Plan], limits: sandbox.Limits, jobs: int) -> None:
        self.plans = list(plans)
        self.limits = limits
        self.jobs = max(1, jobs)

    def run(
        self, tasks: Sequence[Task[T]], finished: Callable[[Task[T], Report | None], None]
    ) -> None:
        """Run every task; call ``finished`` with each one's report as soon as it is known
        (at once, with None, for a task with nothing to run)."""
        pending = list(tasks)
        scratch_root = Path(tempfile.mkdtemp(prefix="autograder-"))
        sandbox.become_subreaper()
        # Objects that exist now are shared with every child; a garbage collection in a child
        # would write to all of them and copy their pages. Freezing exempts them from it.
        gc.freeze()
        for slot in range(self.jobs):  # lease the slots' uids (and kill what a killed grader left)
            sandbox.uid_for(slot)
        free = list(range(self.jobs))
        running: dict[int, _Running[T]] = {}
        try:
            while pending or running:
                while pending and free:
                    task = pending.pop(0)
                    if task.rebuilt is None:
                        finished(task, None)
                        continue
                    slot = free.pop(0)
                    child = self.spawn(task.rebuilt, 0, slot, task.name, scratch_root)
                    running[child.pid] = _Running(task, task.rebuilt, slot, child)
                if not running:
                    continue
                for job, exit_info in self.wait(running):
                    if self.absorb(job, exit_info, scratch_root):
                        running[job.child.pid] = job  # relaunched for the items left
                        continue
                    free.append(job.slot)
                    free.sort()
                    finished(job.task, job.report)
        finally:
            for job in running.values():
                sandbox.kill_everything(job.child)
            shutil.rmtree(scratch_root, ignore_errors=True)
            gc.unfreeze()

    def spawn(
        self, rebuilt: Rebuilt, first: int, slot: int, name: str, scratch_root: Path
    ) -> sandbox.Child:
        scratch = scratch_root / f"{slot}-{first}-{name}"
        job = child_job(rebuilt.program, self.plans, first)
        return sandbox.start(job, scratch, slot, self.limits, rebuilt.preload)

    def absorb(self, job: _Running[T], exit_info: sandbox.Exit, scratch_root: Path) -> bool:
        """Take what the ended child reported; relaunch it for the items after the one that
        stopped it (True), so one hanging or crashing function costs only its own items."""
        scratch = job.child.scratch
        report = job.report
        cells_raw = read_wire(scratch, "cells")
        cells = cells_from_wire(cells_raw)
        if cells is not None:
            report.cell_errors = cells.errors
        n_items = len(self.plans)
        for n in range(job.first, n_items):
            raw = read_wire(scratch, f"item{n}")
            if raw is not None:
                report.items[n] = item_from_wire(raw)
        shutil.rmtree(scratch, ignore_errors=True)
        if exit_info.exit_code == 0 and not exit_info.timed_out:
            return False
        reason = exit_info.describe(self.limits)
        left = [n for n in range(job.first, n_items) if n not in report.items]
        if cells_raw is None or not left:  # stopped in the answer cells: nothing to retry
            for n in left:
                report.stopped[n] = f"{reason}, while running the answer cells"
            report.notes.append(f"the grading process stopped: {reason}")
            return False
        report.stopped[left[0]] = f"{reason}, while checking this item"
        grade_id = self.plans[left[0]].item.grade_id
        report.notes.append(f"the grading process stopped on {grade_id}: {reason}")
        if len(left) == 1 or len(report.stopped) >= MAX_RESTARTS:
            for n in left[1:]:
                report.stopped[n] = f"not checked: the process stopped {len(report.stopped)} times"
            return False
        job.first = left[0] + 1
        job.child = self.spawn(job.rebuilt, job.first, job.slot, job.task.name, scratch_root)
        return True

    def wait(self, running: dict[int, _Running[T]]) -> list[tuple[_Running[T], sandbox.Exit]]:
        """Block until at least one child ends (or times out); reap stray grandchildren."""
        while True:
            finished = []
            try:
                pid, status, rusage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid and pid in running:
                job = running.pop(pid)
                sandbox.kill_everything(job.child)
                finished.append((job, sandbox.exit_of(status, rusage, False)))
            now = time.monotonic()
            for pid_, job in list(running.items()):
                if now > job.child.deadline:
                    sandbox.kill_everything(job.child)
                    _, status, rusage = os.wait4(pid_, 0)
                    running.pop(pid_)
                    finished.append((job, sandbox.exit_of(status, rusage, True)))
            if finished:
                return finished
            if not pid:
                time.sleep(0.002)
