"""The notebook that nbgrader's formgrader shows for a graded submission, and formgrader's
Autograde button routed to our sandboxed grader.

nbgrader counts a submission as autograded, and formgrader lists it for manual grading, only
when ``autograded/<student>/<assignment>/<assignment>.ipynb`` exists (``nbgrader autograde``
writes it). :func:`write` writes it for a result of our grader: the released notebook with the
student's answer cells in place (as :mod:`autograder.grading.rebuild` rebuilds the program that was
graded), and in each graded test cell the check's outcome as an output, the way nbgrader reads
a test cell: a ``stream`` "PASSED ..." when the item passed, an ``error`` output carrying the
student's report otherwise (so ``nbgrader`` and formgrader see it failed). The cells keep the
release's nbgrader metadata, which formgrader needs for its grade and comment boxes. Only the
answer cells' source comes from the student: cells a student added, and the outputs of their
own runs, are left out, so formgrader never renders a student's HTML in the instructor's
browser. The reports are those a student may see (a hidden case's inputs are not shown),
because ``nbgrader generate_feedback`` turns this notebook into the student's feedback.

:class:`GradeInSandbox` takes the place of nbgrader's ``Execute`` preprocessor in
``nbgrader autograde`` (``c.Autograde.autograde_preprocessors`` in ``nbgrader_config.py``),
which is also what formgrader's Autograde button runs: instead of running the student's code in
a Jupyter kernel with the instructor's rights, it runs ``python -m autograder grade`` for that
one student and hands nbgrader the notebook :func:`write` made.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode, from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float

if TYPE_CHECKING:  # the grader's modules load NumPy and PyTorch: not in Jupyter's server
    from autograder.grading import ItemResult, StudentResult
    from autograder.items import Item


def path(course: Path, student: str, assignment: str) -> Path:
    """Where nbgrader and formgrader look for the graded notebook of a submission."""
    return course / "autograded" / student / assignment / f"{assignment}.ipynb"


def report_output(result: ItemResult, title: str) -> dict[str, Any]:
    """A test cell's output for one item's result: "PASSED ..." on stdout when it passed, an
    error output with the student's report otherwise (nbgrader scores a test cell with an
    error output 0)."""
    if result.status == "passed":
        plural = "s" if result.max_points != 1 else ""
        return {
            "output_type": "stream",
            "name": "stdout",
            "text": f"PASSED {title} ({result.max_points:g} point{plural})\n",
        }
    report = result.feedback or result.message
    if result.status != "failed" or not report.startswith("FAILED"):
        report = f"{result.status.upper()} {title}\n  {report}"
    lines = report.splitlines()
    return {"output_type": "error", "ename": "CheckFailed", "evalue": lines[0], "traceback": lines}


def notebook(
    release: Mapping[str, Any],
    answers: Mapping[str, str],
    result: StudentResult,
    titles: Mapping[str, str],
) -> dict[str, Any]:
    """The graded notebook: ``release`` (the released notebook as JSON data, not changed) with
    the answer cells' source taken from ``answers`` (grade_id -> source; a missing answer keeps
    the released stub), every code cell's outputs cleared, and each test cell showing its
    item's outcome from ``result``. ``titles`` maps a grade_id to the check's title."""
    by_id = {item.grade_id: item for item in result.items}
    cells = []
    for cell in release["cells"]:
        if cell.get("cell_type") == "code":
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            cell = {**cell, "execution_count": None, "outputs": []}  # a copy, shallow
            if meta.get("solution") and grade_id in answers:
                cell["source"] = answers[grade_id]
            elif meta.get("grade") and grade_id in by_id:
                cell["outputs"] = [report_output(by_id[grade_id], titles.get(grade_id, grade_id))]
        cells.append(cell)
    return {**release, "cells": cells}


def write(
    course: Path, result: StudentResult, answers: Mapping[str, str], items: Sequence[Item]
) -> Path:
    """Write the graded notebook of ``result`` (see :func:`notebook`; the release is
    ``exercises/<assignment>/<assignment>.ipynb``) where formgrader looks for it, and copy the
    submission's ``timestamp.txt`` and ``submission_secret.txt`` beside it (regular files only),
    as ``nbgrader autograde`` does, for ``nbgrader generate_feedback`` and ``release_feedback``.
    Returns the notebook's path."""
    from autograder.exchange import copy_beside_feedback
    from autograder.grading import write_atomically

    assignment = result.assignment
    release = json.loads(
        (course / "exercises" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8")
    )
    titles = {item.grade_id: item.title for item in items}
    target = path(course, result.student, assignment)
    # no indent: Python's C encoder only serves compact JSON (4 ms a notebook otherwise)
    write_atomically(
        target, json.dumps(notebook(release, answers, result, titles), ensure_ascii=False) + "\n"
    )
    copy_beside_feedback(course / "submitted" / result.student / assignment, target.parent)
    return target


class GradeInSandbox(NbGraderPreprocessor):  # type: ignore[misc]  # nbgrader is untyped
    """``nbgrader autograde``'s execution step done by our sandboxed grader.

    Listed in ``c.Autograde.autograde_preprocessors`` in place of nbgrader's ``Execute``: for
    the submission being autograded it runs ``python -m autograder grade COURSE ASSIGNMENT
    --student STUDENT --force`` (sandboxed; it also updates the grades CSV, the feedback page
    and the gradebook) and returns the graded notebook that command wrote, whose test cells'
    outputs nbgrader's ``SaveAutoGrades`` then scores as it would after ``Execute``. A grader
    that fails or runs past :attr:`timeout` stops the autograde with its message.
    """

    timeout = Float(3600.0, help="seconds the grader may take for one submission").tag(config=True)

    def course(self) -> Path:
        """The course directory of the converter running this preprocessor."""
        owner = self.parent
        while owner is not None and not hasattr(owner, "coursedir"):
            owner = owner.parent
        if owner is None:
            raise RuntimeError(
                "GradeInSandbox runs only inside nbgrader autograde, whose "
                "course directory it grades"
            )
        return Path(owner.coursedir.root).resolve()

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        student, assignment = info["student"], info["assignment"]
        course = self.course()
        command = [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(course),
            assignment,
            "--student",
            student,
            "--force",
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"`{' '.join(command)}` took more than {self.timeout:g} s; "
                "raise c.GradeInSandbox.timeout in nbgrader_config.py"
            ) from exc
        if done.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(command)}` failed (exit {done.returncode}): "
                f"{done.stderr.strip()[-2000:]}"
            )
        self.log.info("%s", done.stdout.strip())  # formgrader shows this log after Autograde
        graded = path(course, student, assignment)
        notebook = from_dict(json.loads(graded.read_text(encoding="utf-8")))  # type: ignore[no-untyped-call]
        return notebook, resources
