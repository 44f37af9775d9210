"""Where results go: the CSV of grades, each student's HTML feedback, the nbgrader gradebook.

Each is rewritten from the per-student result files, so writing it again is always safe: the
CSV is replaced atomically (never torn, never duplicated), and the gradebook is brought up to
date with ``update`` semantics.
"""

from __future__ import annotations

import csv
import datetime
import functools
import html
import io
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from autograder.grading import SetupError, StudentResult, write_atomically
from autograder.items import Item

# nbgrader's Gradebook runs the `alembic` command that is installed next to this interpreter
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

CSV_FIELDS = (
    "student_id",
    "assignment",
    "grade_id",
    "points",
    "max_points",
    "status",
    "message",
    "grader",
)


def write_csv(path: Path, results: Sequence[StudentResult]) -> None:
    """One row per student and item, students in order, items in notebook order; the last
    column is the grader's version (with a digest of its source) that gave the points."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for result in sorted(results, key=lambda r: r.student):
        for item in result.items:
            writer.writerow(
                [
                    result.student,
                    result.assignment,
                    item.grade_id,
                    f"{item.points:g}",
                    f"{item.max_points:g}",
                    item.status,
                    item.message,
                    result.grader,
                ]
            )
    write_atomically(path, buffer.getvalue())


@dataclass(frozen=True)
class Adjustment:
    """What an instructor set by hand on one grade (in formgrader): a score that replaces the
    check's, extra credit added to it, or both (None: not set)."""

    manual_score: float | None
    extra_credit: float | None

    def points(self, auto: float) -> float:
        """The grade's points as nbgrader counts them, given the check's ``auto`` points."""
        base = auto if self.manual_score is None else self.manual_score
        return base + (self.extra_credit or 0.0)

    def describe(self, auto: float) -> str:
        """How the points differ from the check's, for the student."""
        parts = []
        if self.manual_score is not None:
            parts.append(f"set by your instructor; the check gave {auto:g}")
        if self.extra_credit:
            parts.append(f"including {self.extra_credit:g} extra credit")
        return "; ".join(parts)


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


def write_feedback(
    path: Path,
    result: StudentResult,
    items: Sequence[Item],
    submitted: datetime.datetime | None = None,
    adjusted: Mapping[str, Adjustment] | None = None,
) -> None:
    """A self-contained HTML page for the student: each check, its points and its report,
    when the notebook was submitted (UTC) if that is known, and the version of the grader and
    the seed of the hidden cases that gave the points. ``adjusted`` (grade_id ->
    :class:`Adjustment`, from :func:`adjustments`) overrides the check's points as nbgrader
    does, with a note saying so; the total counts the final points."""
    titles = {i.grade_id: i.title for i in items}
    adjusted = adjusted or {}
    total = sum(i.max_points for i in result.items)
    score = 0.0
    rows = []
    for item in result.items:
        report = html.escape(item.feedback) if item.status != "passed" else ""
        change = adjusted.get(item.grade_id)
        points = change.points(item.points) if change else item.points
        score += points
        note = f"<br>({html.escape(change.describe(item.points))})" if change else ""
        rows.append(
            f"<tr class='{item.status}'><td>{html.escape(titles.get(item.grade_id, ''))}"
            f"<br><code>{html.escape(item.grade_id)}</code></td><td>{item.status}</td>"
            f"<td>{points:g} / {item.max_points:g}{note}</td><td><pre>{report}</pre></td></tr>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: {html.escape(result.assignment)}, {html.escape(result.student)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #999; padding: .4rem; vertical-align: top; text-align: left; }}
tr.passed td:nth-child(2) {{ color: #1a6b1a; }}
tr:not(.passed) td:nth-child(2) {{ color: #a01010; font-weight: bold; }}
pre {{ white-space: pre-wrap; margin: 0; }}
</style></head><body>
<h1>{html.escape(result.assignment)}: {score:g} / {total:g} points</h1>
<p>Student: {html.escape(result.student)}{
        f"; submitted {submitted:%Y-%m-%d %H:%M:%S} UTC" if submitted else ""
    }</p>
{f"<ul>{notes}</ul>" if notes else ""}
<table><thead><tr><th scope="col">check</th><th scope="col">status</th>
<th scope="col">points</th><th scope="col">report</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<footer><p>Graded by activation-functions-course {html.escape(result.grader or "unknown")}{
        f", hidden cases from seed {result.seed}" if result.seed is not None else ""
    }.</p></footer>
</body></html>
"""
    write_atomically(path, page)


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
