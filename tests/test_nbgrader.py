"""nbgrader itself agrees with our notebooks: generation is reproducible, validate and
autograde give full marks to the solutions, zero to the blanks, partial to partial answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cells
from autograder.catalog import ASSIGNMENTS

import catalog
from conftest import ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh nbgrader course directory: our config and solutions, releases generated anew."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions", root / "solutions")
    for assignment in ASSIGNMENTS:
        done = nbgrader("generate_assignment", assignment, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_nbgrader_generates(course: Path, assignment: str):
    name = f"{assignment}/{assignment}.ipynb"
    generated = (course / "exercises" / name).read_bytes()
    committed = (ROOT / "exercises" / name).read_bytes()
    assert generated == committed, (
        f"exercises/{name} is out of date with solutions/: run `make exercises`"
    )


def test_validate_passes_every_solution_and_fails_every_blank():
    for assignment in ASSIGNMENTS:
        name = f"{assignment}/{assignment}.ipynb"
        good = nbgrader("validate", str(ROOT / "solutions" / name), cwd=ROOT)
        assert "Success! Your notebook passes all the tests." in good.stdout, good.stdout[-3000:]
        blank = nbgrader("validate", str(ROOT / "exercises" / name), cwd=ROOT)
        n_tests = len(cells.tests(cells.read(ROOT / "solutions" / name)))
        assert f"VALIDATION FAILED ON {n_tests} CELL(S)" in blank.stdout, blank.stdout[-3000:]
        assert "not implemented yet" in blank.stdout


def submission(assignment: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with some answer cells filled in, as a student would submit it."""
    nb = cells.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    for cell in nb.cells:
        grade_id = cells.nbgrader(cell).get("grade_id")
        if cells.is_answer(cell) and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def test_autograde_gives_full_zero_and_partial_scores(course: Path):
    expected: dict[tuple[str, str], dict[str, float]] = {}
    for assignment, items in ASSIGNMENTS.items():
        solved = cells.answers(cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"))
        partial = catalog.load(assignment)[0][0]  # the first mistake of the catalog
        students = {
            "solved": (solved, {}),
            "blank": ({}, {i.grade_id for i in items}),
            "partial": ({**solved, **partial.answers}, partial.loses),
        }
        for student, (answers, lost) in students.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission(assignment, answers), folder / f"{assignment}.ipynb")
            expected[student, assignment] = {
                i.grade_id: 0.0 if i.grade_id in lost else float(i.points) for i in items}
        done = nbgrader("autograde", assignment, "--create", cwd=course)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for (student, assignment), scores in expected.items():
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            got = {g.name: g.score for g in notebook.grades if g.cell.max_score}
            assert got == scores, (student, assignment)
