"""nbgrader itself agrees with our notebooks: generation is reproducible, validate and
autograde give full marks to the solutions, zero to the blanks, partial to partial answers."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cells
from autograder.catalog import ASSIGNMENTS

import catalog
from support.paths import ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
T = TypeVar("T")


def release(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


def over_ipc(folder: Path) -> list[str]:
    """nbgrader options that make its kernels talk to it over Unix sockets named
    ``folder/kernel-N``, not TCP: no free TCP port is picked, then taken by another kernel
    before this one binds it, so two nbgraders can run at once."""
    folder.mkdir(parents=True, exist_ok=True)
    return ["--KernelManager.transport=ipc", f"--KernelManager.ip={folder / 'kernel'}"]


def assert_no_tcp_kernel(done: subprocess.CompletedProcess) -> None:
    """ipykernel warns on stderr when it runs over TCP: the ipc options took effect."""
    assert "Kernel is running over TCP" not in done.stderr, done.stderr[-3000:]


def two_at_a_time(jobs: dict[str, Callable[[], T]]) -> dict[str, T]:
    """Run the jobs two at a time (two cores); name -> result."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh nbgrader course directory: our config and solutions, releases generated anew
    (one after another: the first creates the gradebook, which takes nbgrader longest)."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    with (root / "nbgrader_config.py").open("a") as f:  # nbgrader's own Execute, a second opinion
        f.write('\nc.Autograde.pop("autograde_preprocessors")\n')
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
    if generated == committed:
        return
    fresh, kept = json.loads(generated), json.loads(committed)
    if [c["source"] for c in fresh["cells"]] == [c["source"] for c in kept["cells"]]:
        pytest.fail(
            f"exercises/{name} has the cells nbgrader generates but other metadata or "
            "outputs: an editor saved it (JupyterLab's autosave adds the kernel's "
            "language_info). Restore it with `git checkout exercises/`, and work on a "
            "copy as the students' guide says"
        )
    pytest.fail(f"exercises/{name} is out of date with solutions/: run `make exercises`")


def test_validate_passes_every_solution_and_fails_every_blank(tmp_path: Path):
    notebooks = {
        f"{folder}-{a}": ROOT / folder / a / f"{a}.ipynb"
        for a in ASSIGNMENTS
        for folder in ("solutions", "exercises")
    }
    done = two_at_a_time(  # two kernels at a time on two cores
        {
            name: lambda name=name, path=path: nbgrader(
                "validate", str(path), *over_ipc(tmp_path / name), cwd=ROOT
            )
            for name, path in notebooks.items()
        }
    )
    for assignment in ASSIGNMENTS:
        name = f"{assignment}/{assignment}.ipynb"
        good = done[f"solutions-{assignment}"]
        assert_no_tcp_kernel(good)
        assert "Success! Your notebook passes all the tests." in good.stdout, good.stdout[-3000:]
        blank = done[f"exercises-{assignment}"]
        n_tests = len(cells.tests(cells.read(ROOT / "solutions" / name)))
        assert f"VALIDATION FAILED ON {n_tests} CELL(S)" in blank.stdout, blank.stdout[-3000:]
        assert "not implemented yet" in blank.stdout


def test_autograde_gives_full_zero_and_partial_scores(course: Path):
    """Three students per assignment (solved, blank, partial) through nbgrader autograde with
    its own Execute, two assignments at a time (each in its own copy of the course, so of its
    gradebook.db: SQLite takes one writer at a time; kernels over Unix sockets), then through
    our grader: the same score for every item."""
    courses = {a: course.parent / f"autograde-{a}" for a in ASSIGNMENTS}
    for copy in courses.values():
        shutil.copytree(course, copy, ignore=shutil.ignore_patterns("submitted", "autograded"))
    expected: dict[tuple[str, str], dict[str, float]] = {}
    for n, (assignment, items) in enumerate(ASSIGNMENTS.items()):
        solved = cells.answers(cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"))
        mistakes = catalog.load(assignment)[0]
        # a mistake of the catalog (the first or, every other assignment, the last: the
        # nn.Module classes of Exercises 2, 4 and 6) loses its items, and only those
        mistake = mistakes[-1] if n % 2 else mistakes[0]
        students = {
            "solved": (solved, {}),
            "blank": ({}, {i.grade_id for i in items}),
            "partial": ({**solved, **mistake.answers}, mistake.loses),
        }
        for student, (answers, lost) in students.items():
            folder = courses[assignment] / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            notebook = catalog.notebook_with(assignment, answers)
            nbformat.write(notebook, folder / f"{assignment}.ipynb")
            expected[student, assignment] = {
                t.grade_id: 0.0 if t.grade_id in lost else t.points
                for t in cells.tests(cells.read(release(assignment)))
            }

    runs = two_at_a_time(
        {
            a: lambda a=a: nbgrader(
                "autograde", a, "--create", *over_ipc(courses[a] / "kernels"), cwd=courses[a]
            )
            for a in reversed(ASSIGNMENTS)  # the longer ones first: both finish close together
        }
    )
    for assignment, done in runs.items():
        # nbgrader prints a failing student's traceback well before its closing error lines
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-12000:]
        assert_no_tcp_kernel(done)
        with Gradebook(f"sqlite:///{courses[assignment] / 'gradebook.db'}") as gradebook:
            for student in ("solved", "blank", "partial"):
                notebook = gradebook.find_submission_notebook(assignment, assignment, student)
                got = {g.name: g.score for g in notebook.grades if g.cell.max_score}
                assert got == expected[student, assignment], (student, assignment)

    # our grader, on a copy of the same submissions, gives the same score to every item
    ours = course.parent / "ours"
    for graded in courses.values():
        shutil.copytree(
            graded,
            ours,
            ignore=shutil.ignore_patterns("gradebook.db", "autograded", "feedback", "kernels"),
            dirs_exist_ok=True,
        )
    for assignment in ASSIGNMENTS:
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", str(ours), assignment, "--jobs", "2"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        with open(ours / "grades" / f"{assignment}.csv", newline="") as f:
            for row in csv.DictReader(f):
                want = expected[row["student_id"], assignment][row["grade_id"]]
                assert float(row["points"]) == want, row
