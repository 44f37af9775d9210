"""Stage 5, record: each student's result saved atomically as soon as it is known, so an
interrupted batch resumes where it stopped; the assignment's seed; the CSV of grades.

A saved result is reused only when its inputs (the submission, the release and the reference
solution, the grader's version and source, the seed) are unchanged. Everything here is plain
files under ``grades/``: a result that does not parse counts as not graded.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from autograder.grading.results import StudentResult

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


def fresh_seed() -> int:
    """A seed drawn from the operating system's entropy."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)  # SeedSequence() without arguments draws an int
    return entropy % 2**32


def course_seed(course: Path, assignment: str, seed: int | None = None) -> int:
    """The seed of the assignment's random cases in this course, so every student meets the
    same inputs whatever batch grades them: read from ``grades/<assignment>/seed``, drawn fresh
    and written there the first time, replaced by ``seed`` when one is given."""
    from autograder.catalog import ASSIGNMENTS

    path = course / "grades" / assignment / "seed"
    if seed is None:
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            seed = fresh_seed()
    if assignment in ASSIGNMENTS:  # an unknown one fails in Assignment.prepare
        write_atomically(path, f"{seed}\n")
    return int(seed)


class Results:
    """The saved results of one assignment: ``<folder>/<student>.json``, one per student."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def previous(self, student: str) -> StudentResult | None:
        try:
            return StudentResult.from_json(self.path(student).read_text())
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def save(self, result: StudentResult) -> StudentResult:
        write_atomically(self.path(result.student), result.to_json())
        return result

    def all(self) -> list[StudentResult]:
        """Every saved result, graded now or before, in the order of the students' ids."""
        if not self.folder.is_dir():
            return []
        results = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                results.append(StudentResult.from_json(path.read_text()))
            except (ValueError, TypeError, KeyError):
                continue
        return results


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
