"""Grading a course directory (``python -m autograder grade COURSE ASSIGNMENT``): nbgrader's
layout in, :func:`autograder.grading.grade` in the middle, and what a course keeps out:

* ``grades/<assignment>/<student>.json`` and ``grades/<assignment>/seed`` (:mod:`.record`),
  then ``grades/<assignment>.csv``, rewritten from every saved result;
* ``feedback/<student>/<assignment>/<assignment>.html`` (:mod:`.feedback`), with the
  submission's timestamp and secret beside it (:mod:`autograder.exchange`);
* ``autograded/<student>/<assignment>/<assignment>.ipynb``, what formgrader shows
  (:mod:`autograder.autograded`);
* the scores in ``gradebook.db`` (:mod:`.gradebook`), late penalties included;
* the files handed over to the course directory's owner (:mod:`autograder.ownership`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder import autograded, exchange, ownership, sandbox
from autograder.grading import gradebook
from autograder.grading.feedback import write_feedback
from autograder.grading.load import Sources
from autograder.grading.pipeline import BatchSummary, Progress, grade
from autograder.grading.record import Results, course_seed, write_csv
from autograder.grading.results import SetupError, StudentResult


@dataclass
class CourseRun:
    """A batch over a course directory: what it graded now, every result of the students
    asked for (graded now or reused), and where the CSV is."""

    summary: BatchSummary
    results: list[StudentResult]
    csv: Path

    @property
    def seed(self) -> int:
        return self.summary.assignment.seed


def submitted(course: Path, assignment: str) -> list[str]:
    """The students with a folder ``submitted/<student>/<assignment>/``, in order."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def grade_course(
    course: Path,
    assignment: str,
    *,
    students: Sequence[str] | None = None,
    jobs: int = 1,
    limits: sandbox.Limits | None = None,
    force: bool = False,
    seed: int | None = None,
    progress: Progress | None = None,
) -> CourseRun:
    """Grade the submissions of ``assignment`` in ``course`` (only ``students`` if given) and
    write everything the course keeps. Raises :class:`SetupError` when it cannot grade."""
    # a broken config fails now, before anything is written, not after the batch
    late = gradebook.late_plugin(course.resolve())
    root = course.resolve()
    if not root.is_dir():
        raise SetupError(f"{course} is not a directory")
    names = list(dict.fromkeys(students)) if students else submitted(root, assignment)
    store = Results(root / "grades" / assignment)
    summary = grade(
        Sources.in_course(root, assignment),
        {s: root / "submitted" / s / assignment for s in names},
        seed=course_seed(root, assignment, seed),
        results=store,
        jobs=jobs,
        limits=limits,
        force=force,
        progress=progress,
    )
    prepared = summary.assignment
    results = store.all()
    csv = root / "grades" / f"{assignment}.csv"
    write_csv(csv, results)
    folders = {r.student: root / "submitted" / r.student / assignment for r in results}
    timestamps = {student: exchange.submitted_at(f) for student, f in folders.items()}
    for result in summary.graded:
        page = root / "feedback" / result.student / assignment / f"{assignment}.html"
        # scores set by hand in formgrader stay (nbgrader keeps them apart from auto_score)
        adjusted = gradebook.adjustments(root / "gradebook.db", assignment, result.student)
        write_feedback(page, result, prepared.items, timestamps[result.student], adjusted)
        exchange.copy_beside_feedback(folders[result.student], page.parent)
        answers = prepared.load(folders[result.student]).answers
        autograded.write(root, result, answers, prepared.items)  # what formgrader shows
    wanted = set(students) if students else None
    chosen = [r for r in results if wanted is None or r.student in wanted]
    url = f"sqlite:///{root / 'gradebook.db'}"
    gradebook.ensure_assignment(url, assignment, Sources.in_course(root, assignment).solution)
    gradebook.sync_gradebook(url, chosen, timestamps, late)
    ownership.hand_over(
        root, [root / "grades", root / "feedback", root / "autograded"], root / "gradebook.db"
    )
    return CourseRun(summary, chosen, csv)
