"""The nbgrader gradebook: every result's scores stored as ``nbgrader autograde`` would, the
assignment's cells recorded as ``nbgrader generate_assignment`` does, late penalties from the
course's own nbgrader configuration, and the scores an instructor set by hand (formgrader).

The gradebook is brought up to date with ``update`` semantics from the per-student result
files, in one transaction, so writing it again is always safe. Only the course-directory
pipeline (:mod:`autograder.grading.course`) needs it: nbgrader is not installed on Gradescope.
"""

from __future__ import annotations

import datetime
import functools
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from nbgrader.api import (
    Assignment,
    BaseCell,
    Grade,
    Gradebook,
    MissingEntry,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.plugins import BasePlugin
from nbgrader.preprocessors import AssignLatePenalties, ComputeChecksums, SaveCells
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session, joinedload
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder import cells
from autograder.grading.feedback import Adjustment
from autograder.grading.results import SetupError, StudentResult

# nbgrader's Gradebook runs the `alembic` command that is installed next to this interpreter
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])


def adjustments(gradebook: Path, assignment: str, student: str) -> dict[str, Adjustment]:
    """grade_id -> the instructor's manual score and extra credit, for the grades of the
    student's notebook ``assignment`` in the nbgrader ``gradebook`` (a SQLite file) that have
    either; empty when there is no gradebook or no such submission yet. Reads only, in one
    query, without nbgrader's Gradebook (which would create the file)."""
    if not gradebook.is_file():
        return {}
    with Session(_reader(str(gradebook.resolve()))) as session:
        rows = (
            session.query(BaseCell.name, Grade.manual_score, Grade.extra_credit)
            .join(Grade.cell)
            .join(Grade.notebook)
            .join(SubmittedNotebook.notebook)
            .join(SubmittedNotebook.assignment)
            .join(SubmittedAssignment.assignment)
            .filter(
                SubmittedAssignment.student_id == student,
                Assignment.name == assignment,
                Notebook.name == assignment,
            )
            .filter((Grade.manual_score.isnot(None)) | (Grade.extra_credit.isnot(None)))
            .all()
        )
    return {name: Adjustment(manual, extra) for name, manual, extra in rows}


@functools.cache
def _reader(gradebook: str) -> Engine:
    """One engine per gradebook file for the process: a new engine's first connection costs
    about 20 ms, once per student in a class otherwise."""
    return create_engine(f"sqlite:///{gradebook}")


def ensure_assignment(gradebook_url: str, assignment: str, source: Path) -> None:
    """Record the assignment's cells in the gradebook as ``nbgrader generate_assignment`` does
    (its own ComputeChecksums and SaveCells preprocessors), if they are not there yet."""
    with Gradebook(gradebook_url) as gb:
        try:
            gb.find_notebook(assignment, assignment)
            return
        except MissingEntry:
            gb.update_or_create_assignment(assignment)
    nb = cells.read(source)
    resources = {
        "nbgrader": {"db_url": gradebook_url, "assignment": assignment, "notebook": assignment}
    }
    nb, resources = ComputeChecksums().preprocess(nb, resources)
    SaveCells().preprocess(nb, resources)


def late_plugin(course: Path) -> BasePlugin:
    """The late-submission plugin that the course's ``nbgrader_config.py`` configures for
    ``nbgrader autograde`` (``AssignLatePenalties.plugin_class``; by default nbgrader's
    ``LateSubmissionPlugin``, whose ``penalty_method`` 'none' gives no penalty). Raises
    SetupError when the file or the plugin cannot be loaded."""
    path = course / "nbgrader_config.py"
    try:
        config = (
            PyFileConfigLoader(path.name, path=str(course)).load_config()
            if path.is_file()
            else Config()
        )
        assigner = AssignLatePenalties(config=config)
        assigner.init_plugin()
    except Exception as exc:  # noqa: BLE001 - any error in the instructor's config file
        raise SetupError(
            f"{path} cannot be loaded for its late-submission settings "
            f"({type(exc).__name__}: {exc}); fix it and grade again"
        ) from exc
    return assigner.plugin_inst


def late_penalty(
    plugin: BasePlugin | None, student: str, score: float, seconds_late: float
) -> float | None:
    """nbgrader's rule (its AssignLatePenalties): no penalty on time; when late, the plugin's
    penalty kept between 0 and the notebook's score, or None if the plugin gives none."""
    if plugin is None or seconds_late <= 0:
        return None
    penalty = plugin.late_submission_penalty(student, score, seconds_late)
    return None if penalty is None else min(max(float(penalty), 0.0), score)


def grade_score(grade: Grade) -> float:
    """A grade's score as nbgrader computes it: the manual score if set, else the automatic
    one, plus any extra credit."""
    base = grade.manual_score if grade.manual_score is not None else grade.auto_score
    if base is None:
        return 0.0
    return float(base + (grade.extra_credit or 0.0))


def sync_gradebook(
    gradebook_url: str,
    results: Sequence[StudentResult],
    timestamps: Mapping[str, datetime.datetime | None] | None = None,
    plugin: BasePlugin | None = None,
) -> None:
    """Store every result's item scores as nbgrader autograde would (auto_score per grade cell),
    with the submission's timestamp (``timestamps`` maps a student to it; None: unknown) and
    the late penalty ``plugin`` gives against the assignment's due date and the student's
    extension, in one transaction: the gradebook gets all of it or, if anything fails, none."""
    with Gradebook(gradebook_url) as gb, warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy warn about its own autoflush
        warnings.simplefilter("ignore", SAWarning)
        session = gb.db()
        known = {student.id for student in gb.students}
        # nbgrader's add_* methods commit after every insert, 4 ms each on SQLite; flushing
        # instead and committing once at the end makes a class of 200 take 1 s, not 6 s
        session.commit = session.flush
        try:
            for result in results:
                if result.student not in known:
                    gb.add_student(result.student)
                    known.add(result.student)
                try:
                    submission = gb.find_submission(result.assignment, result.student)
                except MissingEntry:
                    submission = gb.add_submission(result.assignment, result.student)
                if timestamps is not None:
                    submission.timestamp = timestamps.get(result.student)
                notebook = gb.find_submission_notebook(
                    result.assignment, result.assignment, result.student
                )
                points = {item.grade_id: item.points for item in result.items}
                grades = (
                    session.query(Grade)
                    .options(joinedload(Grade.cell))
                    .filter(Grade.notebook_id == notebook.id)
                ).all()  # one query
                for grade in grades:
                    if grade.name in points:
                        grade.auto_score = points[grade.name]
                        grade.needs_manual_grade = grade.manual_score is not None
                notebook.late_submission_penalty = late_penalty(
                    plugin,
                    result.student,
                    sum(grade_score(g) for g in grades),
                    submission.total_seconds_late,
                )
        except BaseException:
            session.rollback()
            raise
        finally:
            del session.commit
        session.commit()
