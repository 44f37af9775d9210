"""Grading a class: load -> rebuild -> run in a sandbox -> judge -> record -> report.

One module per stage, each handing typed data to the next:

=============  ===============================================================================
``load``       release, solution, checks and seed -> one :class:`Plan` per item; a
               submission -> its answers (:class:`~autograder.submission.Submission`)
``rebuild``    answers -> the program a child runs, with the rules' violations
``run``        the sandboxed child (the only grader code that runs there) and the scheduler
               that forks it from this warm process, ``jobs`` at a time
``messages``   what the child sends back, typed (:class:`CellsRan`, :class:`ItemProbed`,
               :class:`Undefined`, :class:`Crashed`), plain data over :mod:`autograder.wire`
``judge``      messages -> :class:`ItemResult`, through :func:`autograder.items.judge`, the
               comparison the notebook's check cell uses too
``record``     each result saved atomically as soon as it is known (resumable batches), the
               assignment's seed, the CSV of grades
``feedback``   the student's HTML feedback page
``gradebook``  the nbgrader gradebook (scores, late penalties, manual grades)
``results``    the result types and :data:`Status`
``pipeline``   :func:`grade`, the one entry: a batch of submissions of one assignment
``course``     :func:`~autograder.grading.course.grade_course`: a course directory in, grades,
               feedback and gradebook out (what ``python -m autograder grade`` runs)
=============  ===============================================================================

The trusted parent prepares, once per batch, everything that does not depend on a student
(the cases, one seed per assignment and course, so every student meets the same inputs
whatever batch grades them, and the reference solution's probes), grades each submission in a
sandboxed child forked from it, judges the child's plain-data probes against the reference,
and records each student's result atomically as soon as it is known, so an interrupted batch
resumes where it stopped. A saved result is reused only when its inputs (the submission, the
release and the reference solution, the grader's version and source, the seed) are unchanged.

``course`` and ``gradebook`` need nbgrader and are not imported here (Gradescope has none).
"""

from __future__ import annotations

from autograder.grading.load import Assignment, Plan, Sources, grader_version
from autograder.grading.messages import CellsRan, Crashed, ItemProbed, Undefined
from autograder.grading.pipeline import BatchSummary, Progress, grade
from autograder.grading.record import Results, course_seed, write_atomically
from autograder.grading.results import ItemResult, SetupError, Status, StudentResult

__all__ = [
    "Assignment",
    "BatchSummary",
    "CellsRan",
    "Crashed",
    "ItemProbed",
    "ItemResult",
    "Plan",
    "Progress",
    "Results",
    "SetupError",
    "Sources",
    "Status",
    "StudentResult",
    "Undefined",
    "course_seed",
    "grade",
    "grader_version",
    "write_atomically",
]
