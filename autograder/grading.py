"""Grading a class: load -> rebuild -> run in a sandbox -> check -> record -> report.

:class:`Assignment` prepares, once per batch and in the trusted parent, everything that does
not depend on a student: the released notebook's cells, the checks, the cases (one seed per
assignment and course, recorded in ``grades/<assignment>/seed``, so every student meets the
same inputs whatever batch grades them) and the reference solution's probes.
:meth:`Batch.run` then grades each submission in a sandboxed child forked from this warm
process, ``jobs`` at a time, judges the child's plain-data probes against the reference,
and records each student's result atomically as soon as it is known, so an interrupted batch
resumes where it stopped. A saved result is reused only when its inputs (the submission, the
release and the reference solution, the grader's version and source, the seed) are unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from autograder import cells, policy, sandbox, submission, wire
from autograder.catalog import ASSIGNMENTS
from autograder.items import (
    Case,
    Item,
    ItemProbe,
    Probe,
    format_error,
    judge,
    probe_item,
    safe_probe,
)
from autograder.report import Failure

RESULT_LIMIT = 64 * 1024 * 1024
MAX_RESTARTS = 3  # children started again after one stopped, per submission
PRELOAD = ("scipy.special", "scipy.stats", "matplotlib", "torch.autograd.gradcheck")


class SetupError(RuntimeError):
    """The grader cannot run (a missing notebook, an unknown assignment): nothing was graded."""


@dataclass(frozen=True)
class ItemResult:
    grade_id: str
    points: float
    max_points: float
    status: str  # passed, failed, error, timeout, forbidden, missing
    message: str  # for the instructor: the full report
    feedback: str  # for the student: hidden cases' inputs are not shown
    hidden: bool = False  # the failure was found by a hidden case


@dataclass
class StudentResult:
    student: str
    assignment: str
    digest: str  # of the submitted notebook's bytes
    items: list[ItemResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    inputs: str = ""  # digest of everything the result depends on (see Batch.inputs)
    seed: int | None = None
    grader: str = ""  # the grader's version, with a digest of its source

    @property
    def score(self) -> float:
        return sum(i.points for i in self.items)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> StudentResult:
        data = json.loads(text)
        data["items"] = [ItemResult(**i) for i in data["items"]]
        return cls(**data)


@dataclass(frozen=True)
class Plan:
    """One item as the batch runs it: its points (from the release's test cell), its cases,
    how many are visible, the reference probes."""

    item: Item
    points: float
    cases: list[Case]
    visible: int
    expected: list[Probe]
    answer_ids: tuple[str, ...]  # the answer cells that define the item's targets


@functools.cache
def grader_version() -> str:
    """``"<package version>+<digest>"``: the digest covers every source file of the grader,
    the checks included, so a changed check or rule changes it."""
    try:
        version = importlib.metadata.version("activation-functions-course")
    except importlib.metadata.PackageNotFoundError:  # a copy of the package (Gradescope)
        version = "unknown"
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return f"{version}+{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class Assignment:
    name: str
    pristine: submission.Pristine
    plans: list[Plan]
    seed: int
    sources: str  # digest of the release and the reference solution

    @classmethod
    def prepare(cls, course: Path, name: str, seed: int) -> Assignment:
        if name not in ASSIGNMENTS:
            raise SetupError(
                f"unknown assignment {name!r}; the assignments are: {', '.join(ASSIGNMENTS)}"
            )
        release = course / "exercises" / name / f"{name}.ipynb"
        source = course / "solutions" / name / f"{name}.ipynb"
        for path, hint in (
            (release, f"run `nbgrader generate_assignment {name}`"),
            (source, "the reference solutions must be in solutions/"),
        ):
            if not path.is_file():
                raise SetupError(f"{path} does not exist: {hint}")
        sources = hashlib.sha256(release.read_bytes() + b"\0" + source.read_bytes()).hexdigest()
        released = cells.read(release)
        pristine = submission.Pristine.from_notebook(released)
        reference = cells.define(cells.read(source))
        points = {t.grade_id: t.points for t in cells.tests(released)}
        items = ASSIGNMENTS[name]
        if list(points) != [i.grade_id for i in items]:
            raise SetupError(
                f"the test cells of {release} do not match the checks of {name}; "
                "regenerate the release"
            )
        for module in PRELOAD:  # imported now: the sandbox cannot read site-packages
            try:
                __import__(module)
            except ImportError:  # not installed here (a Gradescope image, say): not needed
                continue
        # one thread: an intra-op thread pool started here would deadlock the forked children
        torch.set_num_threads(1)
        rng = np.random.default_rng(seed)
        plans = []
        for item in items:
            cases = list(item.cases(rng, True))
            visible = len(item.cases(np.random.default_rng(0), False))
            functions = [reference[t] for t in item.targets]
            expected = [safe_probe(item, case, functions) for case in cases]
            answer_ids = tuple(
                g for g, names in pristine.defines.items() if names & set(item.targets)
            )
            plans.append(Plan(item, points[item.grade_id], cases, visible, expected, answer_ids))
        return cls(name, pristine, plans, seed, sources)


# the sandboxed half ------------------------------------------------------------------------


def child_job(
    program: Sequence[tuple[str, str]], plans: Sequence[Plan], first: int = 0
) -> Callable[[], None]:
    """What the child runs: the cells, then the probes of each item from ``first`` on, writing
    each item's result as soon as it has it (so a crash later loses nothing before)."""

    def job() -> None:
        directory = os.open(".", os.O_RDONLY)

        def write(name: str, value: Any) -> None:
            try:
                doc, arrays = wire.encode(value)
            except wire.WireError as exc:
                doc, arrays = wire.encode({"crash": f"returned data the grader cannot read: {exc}"})
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
        write("cells", {"errors": errors})
        for n, plan in enumerate(plans):
            if n < first:
                continue
            missing = [t for t in plan.item.targets if t not in namespace]
            if missing:
                write(f"item{n}", {"undefined": missing})
                continue
            try:
                functions = [namespace[t] for t in plan.item.targets]
                probe = probe_item(plan.item, functions, plan.cases)
                result: Any = {"probes": probe.probes, "forbidden": list(probe.forbidden_calls)}
            except BaseException as exc:  # noqa: BLE001 - sys.exit() inside a function
                result = {"crash": format_error(exc)}
            write(f"item{n}", result)

    return job


# the trusted half --------------------------------------------------------------------------


def read_result(scratch: Path, name: str) -> Any | None:
    doc = sandbox.read_file(scratch / f"{name}.json", RESULT_LIMIT)
    arrays = sandbox.read_file(scratch / f"{name}.npz", RESULT_LIMIT)
    if doc is None or arrays is None:
        return None
    try:
        return wire.decode(doc.decode("utf-8", "replace"), arrays)
    except wire.WireError as exc:
        return {"crash": str(exc)}


def judge_item(
    plan: Plan,
    raw: Any,
    cell_errors: dict[str, str],
    stopped: str | None,
    sub: submission.Submission,
    violations: dict[str, list[str]],
) -> ItemResult:
    """The score of one item from what the child reported (``raw``, None if nothing)."""
    item = plan.item

    def result(status: str, message: str, feedback: str | None = None) -> ItemResult:
        return ItemResult(
            item.grade_id,
            plan.points if status == "passed" else 0.0,
            plan.points,
            status,
            message,
            message if feedback is None else feedback,
            feedback is not None,
        )

    missing = [g for g in plan.answer_ids if g in sub.missing]
    if missing:
        return result(
            "missing", f"the answer cell {', '.join(missing)} is not in the submitted notebook"
        )
    used = [v for found in violations.values() for v in found]
    if used:  # such code could change how every other answer is checked: nothing counts
        where = ", ".join(g for g, found in violations.items() if found)
        return result(
            "forbidden",
            f"answer cell {where} "
            f"{policy.explain(list(dict.fromkeys(used)))}; see the rules at the top "
            "of the notebook",
        )
    if raw is None:
        why = stopped or "it returned no result"
        timeout = "time limit" in why or "CPU time" in why
        return result(
            "timeout" if timeout else "error", f"not graded: the grading process stopped ({why})"
        )
    if not isinstance(raw, dict):
        return result("error", "the grading process returned no readable result")
    if "undefined" in raw:
        names = ", ".join(str(n) for n in raw["undefined"])
        why = (
            "; ".join(
                f"answer cell {g} raised {e}"
                for g, e in cell_errors.items()
                if g in plan.answer_ids
            )
            or "the answer cell does not define it"
        )
        return result("error", f"{names} is not defined: {why}")
    if "crash" in raw:
        return result("error", f"the check stopped: {raw['crash']}")
    try:
        probes = ItemProbe(list(raw["probes"]), tuple(str(c) for c in raw["forbidden"]))
        if len(probes.probes) != len(plan.cases) or not all(
            isinstance(p, dict) for p in probes.probes
        ):
            raise ValueError("wrong number of probes")
        outcome, index = judge(item, plan.cases, probes, plan.expected)
    except Exception as exc:  # noqa: BLE001 - malformed data from the child
        return result("error", f"the grading process returned malformed data ({exc})")
    if outcome.forbidden_calls:
        return result(
            "forbidden",
            f"uses {', '.join(outcome.forbidden_calls)}, which this "
            "exercise asks you to implement yourself",
        )
    if outcome.failure is None:
        return result("passed", "")
    message = outcome.failure.render(item.title)
    if index is not None and index >= plan.visible:
        hidden = Failure(
            "a hidden check",
            "failed a hidden case (hidden checks do not show their inputs)",
            hint=outcome.failure.hint,
        )
        return result("failed", message, hidden.render(item.title))
    return result("failed", message)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: a reader, or a grader killed mid-write, sees
    the old file or the new one, never a torn one. (No fsync: a file lost to a power cut is
    regraded, because a result that does not parse counts as not graded.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide grades from the instructor's account
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def course_seed(course: Path, assignment: str, seed: int | None = None) -> int:
    """The seed of the assignment's random cases in this course, so every student meets the
    same inputs whatever batch grades them: read from ``grades/<assignment>/seed``, drawn fresh
    and written there the first time, replaced by ``seed`` when one is given."""
    path = course / "grades" / assignment / "seed"
    if seed is None:
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            entropy = np.random.SeedSequence().entropy
            assert isinstance(entropy, int)  # SeedSequence() without arguments draws an int
            seed = entropy % 2**32
    if assignment in ASSIGNMENTS:  # an unknown one fails in Assignment.prepare
        write_atomically(path, f"{seed}\n")
    return int(seed)


@dataclass
class Running:
    """A submission being graded: its current child and what earlier children reported."""

    student: str
    sub: submission.Submission
    program: list[tuple[str, str]]
    violations: dict[str, list[str]]
    slot: int
    child: sandbox.Child
    first: int = 0
    raw: dict[int, Any] = field(default_factory=dict)
    stopped: dict[int, str] = field(default_factory=dict)
    cell_errors: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchSummary:
    graded: list[StudentResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Batch:
    """One grading run of one assignment over a course directory."""

    def __init__(
        self,
        course: Path,
        assignment: str,
        *,
        limits: sandbox.Limits | None = None,
        jobs: int = 1,
        seed: int | None = None,
    ) -> None:
        self.course = course.resolve()
        if not self.course.is_dir():
            raise SetupError(f"{course} is not a directory")
        self.results_dir = self.course / "grades" / assignment
        self.seed = course_seed(self.course, assignment, seed)
        self.assignment = Assignment.prepare(self.course, assignment, self.seed)
        self.limits = limits or sandbox.Limits()
        self.jobs = max(1, jobs)

    def inputs(self, sub: submission.Submission) -> str:
        """A digest of everything a result depends on: the submission, the release and the
        reference solution, the grader (checks included) and the seed. A saved result is
        reused only when it is unchanged."""
        parts = (sub.digest, self.assignment.sources, grader_version(), str(self.seed))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def students(self, requested: Sequence[str] | None) -> list[str]:
        if requested:
            return list(dict.fromkeys(requested))
        root = self.course / "submitted"
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if (p / self.assignment.name).is_dir())

    def result_path(self, student: str) -> Path:
        return self.results_dir / f"{student}.json"

    def previous(self, student: str) -> StudentResult | None:
        try:
            return StudentResult.from_json(self.result_path(student).read_text())
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def run(
        self,
        requested: Sequence[str] | None = None,
        force: bool = False,
        on_result: Callable[[StudentResult, int, int], None] | None = None,
    ) -> BatchSummary:
        start = time.monotonic()
        summary = BatchSummary()
        students = self.students(requested)
        pending: list[tuple[str, submission.Submission]] = []
        for student in students:
            if "/" in student or student.startswith("."):
                raise SetupError(f"invalid student id {student!r}")
            folder = self.course / "submitted" / student / self.assignment.name
            sub = submission.load(folder, self.assignment.name, self.assignment.pristine)
            old = self.previous(student)
            if not force and old is not None and old.inputs == self.inputs(sub):
                summary.skipped.append(student)
                continue
            pending.append((student, sub))
        scratch_root = Path(tempfile.mkdtemp(prefix="autograder-"))
        sandbox.become_subreaper()
        # Objects that exist now are shared with every child; a garbage collection in a child
        # would write to all of them and copy their pages. Freezing exempts them from it.
        gc.freeze()
        for slot in range(self.jobs):  # leftovers of a grader that was killed
            sandbox.kill_uid(sandbox.FIRST_UID + slot)
        total, done = len(pending), 0
        free = list(range(self.jobs))
        running: dict[int, Running] = {}
        try:
            while pending or running:
                while pending and free:
                    student, sub = pending.pop(0)
                    if sub.problem is not None:
                        result = self.record(self.unreadable(student, sub))
                    else:
                        slot = free.pop(0)
                        running_job = self.launch(student, sub, slot, scratch_root)
                        running[running_job.child.pid] = running_job
                        continue
                    done += 1
                    summary.graded.append(result)
                    if on_result:
                        on_result(result, done, total)
                if not running:
                    continue
                for job, exit_info in self.wait(running):
                    if self.absorb(job, exit_info, scratch_root):
                        running[job.child.pid] = job  # relaunched for the items left
                        continue
                    free.append(job.slot)
                    free.sort()
                    result = self.record(self.result_of(job))
                    done += 1
                    summary.graded.append(result)
                    if on_result:
                        on_result(result, done, total)
        finally:
            for job in running.values():
                sandbox.kill_everything(job.child)
            shutil.rmtree(scratch_root, ignore_errors=True)
            gc.unfreeze()
        summary.seconds = time.monotonic() - start
        return summary

    def launch(
        self, student: str, sub: submission.Submission, slot: int, scratch_root: Path
    ) -> Running:
        program = submission.program(self.assignment.pristine, sub.answers)
        violations = {g: policy.violations(s) for g, s in sub.answers.items()}
        child = self.spawn(program, 0, slot, student, scratch_root)
        return Running(student, sub, program, violations, slot, child)

    def spawn(
        self,
        program: list[tuple[str, str]],
        first: int,
        slot: int,
        student: str,
        scratch_root: Path,
    ) -> sandbox.Child:
        scratch = scratch_root / f"{slot}-{first}-{student}"
        preload = [
            m
            for _, source in program
            for m in policy.imported_modules(source)
            if policy.module_allowed(m)
        ]
        return sandbox.start(
            child_job(program, self.assignment.plans, first), scratch, slot, self.limits, preload
        )

    def absorb(self, job: Running, exit_info: sandbox.Exit, scratch_root: Path) -> bool:
        """Take what the ended child reported; relaunch it for the items after the one that
        stopped it (True), so one hanging or crashing function costs only its own items."""
        scratch = job.child.scratch
        cells_raw = read_result(scratch, "cells")
        if isinstance(cells_raw, dict) and isinstance(cells_raw.get("errors"), dict):
            job.cell_errors = {str(k): str(v) for k, v in cells_raw["errors"].items()}
        n_items = len(self.assignment.plans)
        for n in range(job.first, n_items):
            raw = read_result(scratch, f"item{n}")
            if raw is not None:
                job.raw[n] = raw
        shutil.rmtree(scratch, ignore_errors=True)
        if exit_info.exit_code == 0 and not exit_info.timed_out:
            return False
        reason = exit_info.describe(self.limits)
        left = [n for n in range(job.first, n_items) if n not in job.raw]
        if cells_raw is None or not left:  # stopped in the answer cells: nothing to retry
            for n in left:
                job.stopped[n] = f"{reason}, while running the answer cells"
            job.notes.append(f"the grading process stopped: {reason}")
            return False
        job.stopped[left[0]] = f"{reason}, while checking this item"
        grade_id = self.assignment.plans[left[0]].item.grade_id
        job.notes.append(f"the grading process stopped on {grade_id}: {reason}")
        if len(left) == 1 or len(job.stopped) >= MAX_RESTARTS:
            for n in left[1:]:
                job.stopped[n] = f"not checked: the process stopped {len(job.stopped)} times"
            return False
        job.first = left[0] + 1
        job.child = self.spawn(job.program, job.first, job.slot, job.student, scratch_root)
        return True

    def wait(self, running: dict[int, Running]) -> list[tuple[Running, sandbox.Exit]]:
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

    def result_of(self, job: Running) -> StudentResult:
        items = [
            judge_item(
                plan, job.raw.get(n), job.cell_errors, job.stopped.get(n), job.sub, job.violations
            )
            for n, plan in enumerate(self.assignment.plans)
        ]
        return StudentResult(
            job.student,
            self.assignment.name,
            job.sub.digest,
            items,
            list(job.sub.notes) + job.notes,
            round(time.monotonic() - job.started, 3),
            self.inputs(job.sub),
            self.seed,
            grader_version(),
        )

    def unreadable(self, student: str, sub: submission.Submission) -> StudentResult:
        items = [
            ItemResult(
                p.item.grade_id,
                0.0,
                p.points,
                sub.status,
                sub.problem or "",
                sub.problem or "",
            )
            for p in self.assignment.plans
        ]
        return StudentResult(
            student,
            self.assignment.name,
            sub.digest,
            items,
            list(sub.notes),
            0.0,
            self.inputs(sub),
            self.seed,
            grader_version(),
        )

    def record(self, result: StudentResult) -> StudentResult:
        write_atomically(self.result_path(result.student), result.to_json())
        return result

    def all_results(self) -> list[StudentResult]:
        if not self.results_dir.is_dir():
            return []
        results = []
        for path in sorted(self.results_dir.glob("*.json")):
            try:
                results.append(StudentResult.from_json(path.read_text()))
            except (ValueError, TypeError, KeyError):
                continue
        return results
