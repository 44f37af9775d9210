"""The one grading entry, :func:`grade`: load -> rebuild -> run in the sandbox -> judge ->
record, for the submissions of one assignment.

The command line (through :func:`autograder.grading.course.grade_course`, which adds the
course directory's CSV, feedback pages and gradebook) and Gradescope (:mod:`autograder.
gradescope`, one submission) both grade through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder import sandbox
from autograder.grading.judge import judge_student, unreadable
from autograder.grading.load import Assignment, Sources
from autograder.grading.rebuild import Rebuilt, rebuild
from autograder.grading.record import Results, fresh_seed
from autograder.grading.results import SetupError, StudentResult
from autograder.grading.run import Report, Runner, Task
from autograder.submission import Submission

Progress = Callable[[StudentResult, int, int], None]
"""Called with each result as soon as it is known, how many are done, and how many to do."""


@dataclass
class BatchSummary:
    """One run: the assignment as graded (its plans and seed), the results graded now (in the
    order they finished), the students whose saved result was reused, and the wall time."""

    assignment: Assignment
    graded: list[StudentResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class _Pending:
    student: str
    sub: Submission
    violations: dict[str, list[str]]


def grade(
    sources: Sources,
    submissions: Mapping[str, Path | None],
    *,
    seed: int | None = None,
    results: Results | None = None,
    jobs: int = 1,
    limits: sandbox.Limits | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> BatchSummary:
    """Grade ``submissions`` (student id -> the student's folder, the notebook itself, or None
    when nothing was submitted) of the assignment in ``sources``, with the cases of ``seed``
    (None: a fresh one), ``jobs`` sandboxed children at a time under ``limits``.

    With ``results``, each student's result is saved there as soon as it is known, and a saved
    result whose inputs are unchanged is reused unless ``force``; without, nothing is saved or
    reused. Raises :class:`SetupError` when the assignment cannot be graded at all."""
    assignment = Assignment.prepare(sources, fresh_seed() if seed is None else seed)
    start = time.monotonic()
    summary = BatchSummary(assignment)
    tasks: list[Task[_Pending]] = []
    for student, where in submissions.items():
        if "/" in student or student.startswith("."):
            raise SetupError(f"invalid student id {student!r}")
        sub = assignment.load(where)
        old = results.previous(student) if results is not None else None
        if not force and old is not None and old.inputs == assignment.inputs(sub):
            summary.skipped.append(student)
            continue
        built: Rebuilt | None = None
        if sub.problem is None:
            built = rebuild(assignment.pristine, sub.answers)
        violations = built.violations if built is not None else {}
        tasks.append(Task(_Pending(student, sub, violations), student, built))
    total = len(tasks)

    def finished(task: Task[_Pending], report: Report | None) -> None:
        pending = task.key
        if report is None:
            result = unreadable(assignment, pending.student, pending.sub)
        else:
            result = judge_student(
                assignment, pending.student, pending.sub, pending.violations, report
            )
        if results is not None:
            results.save(result)
        summary.graded.append(result)
        if progress:
            progress(result, len(summary.graded), total)

    Runner(assignment.plans, limits or sandbox.Limits(), jobs).run(tasks, finished)
    summary.seconds = time.monotonic() - start
    return summary
