"""Honest submissions through the whole grader: every answer of the exercise catalogs, right or
wrong, gets from ``python -m autograder grade`` exactly the items the checks give it in-process
(each wrong answer loses exactly its items, each right one nothing, a blank everything)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import cells
from autograder.catalog import ASSIGNMENTS

import catalog
from support.paths import ROOT


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grader_scores_every_catalog_answer_like_the_checks(assignment: str, tmp_path: Path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    solved = cells.answers(cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"))
    items = [i.grade_id for i in ASSIGNMENTS[assignment]]
    wrong, right = catalog.load(assignment)
    expected: dict[str, dict[str, str]] = {
        "solution": dict.fromkeys(items, "passed"),
        "blank": dict.fromkeys(items, "failed"),
    }
    answers = {"solution": solved, "blank": {}}
    for n, entry in enumerate(wrong):
        answers[f"wrong{n:03d}"] = {**solved, **entry.answers}
        expected[f"wrong{n:03d}"] = {
            g: entry.status if g in entry.loses else "passed" for g in items
        }
    for n, entry in enumerate(right):
        answers[f"right{n:03d}"] = {**solved, **entry.answers}
        expected[f"right{n:03d}"] = dict.fromkeys(items, "passed")
    for student, student_answers in answers.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        notebook = catalog.notebook_with(assignment, student_answers)
        nbformat.write(notebook, folder / f"{assignment}.ipynb")

    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course), assignment, "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got: dict[str, dict[str, str]] = {}
    with open(course / "grades" / f"{assignment}.csv", newline="") as f:
        for row in csv.DictReader(f):
            got.setdefault(row["student_id"], {})[row["grade_id"]] = row["status"]
    names = {f"wrong{n:03d}": w.name for n, w in enumerate(wrong)}
    names.update({f"right{n:03d}": r.name for n, r in enumerate(right)})
    differences = {
        names.get(s, s): {g: (got[s][g], e[g]) for g in e if got[s][g] != e[g]}
        for s, e in expected.items()
    }
    assert not {s: d for s, d in differences.items() if d}
