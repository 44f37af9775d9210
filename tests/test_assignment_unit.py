"""An assignment is one unit: three files, and nothing registered by hand.

In a temporary copy of the course, a small throw-away assignment ``ex99_demo`` is added by
writing only its solution notebook, its checks module and its catalog. Then, with no other
file touched: ``make exercises`` generates its release, the book's table of contents and
Exercises page list it, its catalog is judged as labelled by the fairness tests, and the
grader grades a class of two submissions.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from support.paths import ROOT

pytestmark = pytest.mark.slow
NAME = "ex99_demo"
BIN = Path(sys.executable).parent
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "_build", "dist", "build", "*.egg-info", "__pycache__", ".*_cache",
    "submitted", "autograded", "feedback", "grades", "gradebook.db",
)  # fmt: skip

CHECKS = '''
"""ex99_demo: double_it, a throw-away assignment for tests/test_assignment_unit.py."""

from __future__ import annotations

import numpy as np

from autograder.items import Case, Item, Probe, format_error
from autograder.report import Failure, describe


def probe(case: Case, fn) -> Probe:
    try:
        return {"value": np.asarray(fn(*case.args), dtype=np.float64)}
    except Exception as exc:  # noqa: BLE001 - reported to the student
        return {"error": format_error(exc)}


def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = f"double_it({describe(case.args[0])})"
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call)
    same = got["value"].shape == expected["value"].shape and np.allclose(
        got["value"], expected["value"], equal_nan=True
    )
    if not same:
        return Failure(
            case.label, f"returned {describe(got['value'])}", call,
            expected=describe(expected["value"]),
        )
    return None


def core_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    cases = [Case("x = 1.5", (np.array([1.5]),))]
    if hidden:
        cases.append(Case("random x", (rng.standard_normal(20),)))
    return cases


def edge_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return [Case("x = 0, inf and NaN", (np.array([0.0, np.inf, -np.inf, np.nan]),))]


ITEMS = tuple(
    Item(
        grade_id=f"double_it_{kind}",
        title=f"double_it: {kind} cases",
        targets=("double_it",),
        cases=cases,
        probe=probe,
        compare=compare,
        oracle=(lambda x: 2 * x,),
    )
    for kind, cases in (("core", core_cases), ("edge", edge_cases))
)
'''

CATALOG = '''
"""ex99_demo: wrong and right answers."""

from catalog import Right, Wrong

BOTH = {"double_it_core", "double_it_edge"}
WRONG = [
    Wrong("double_it: adds 2", {"double_it": "def double_it(x):\\n    return x + 2\\n"}, BOTH),
    Wrong("double_it: squares", {"double_it": "def double_it(x):\\n    return x * x\\n"}, BOTH),
    Wrong(
        "double_it: drops NaN",
        {"double_it": "def double_it(x):\\n    return np.where(np.isnan(x), 0.0, 2 * x)\\n"},
        {"double_it_edge"},
    ),
]
RIGHT = [Right("double_it: x + x", {"double_it": "def double_it(x):\\n    return x + x\\n"})]
'''


def solution_notebook() -> nbformat.NotebookNode:
    """A complete, if tiny, nbgrader source notebook: intro, set-up, contract, answer, checks."""

    def meta(grade_id: str, **flags: object) -> dict[str, object]:
        nbgrader = {"grade": False, "grade_id": grade_id, "locked": True, "solution": False}
        return {"nbgrader": {**nbgrader, "schema_version": 3, "task": False, **flags}}

    def check(grade_id: str, points: int) -> nbformat.NotebookNode:
        source = (
            f'check("{grade_id}", double_it)\n### BEGIN HIDDEN TESTS\n'
            f'check("{grade_id}", double_it, hidden=True)\n### END HIDDEN TESTS'
        )
        cell = new_code_cell(source, metadata=meta(grade_id, grade=True, points=points))
        cell.metadata["tags"] = ["raises-exception"]
        return cell

    answer = (
        'def double_it(x):\n    """Twice x, elementwise."""\n'
        "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
    )
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Exercise 99: a demonstration", metadata=meta("intro")),
            new_code_cell(
                "import numpy as np\n\nfrom autograder import check", metadata=meta("setup")
            ),
            new_markdown_cell(
                "**Contract of `double_it(x)`**\n- `x` is a NumPy float64 array; it may contain "
                "NaN and infinities. Return `2 * x`, NaN where `x` is NaN.",
                metadata=meta("double_it_text"),
            ),
            new_code_cell(answer, metadata=meta("double_it", locked=False, solution=True)),
            check("double_it_core", 2),
            check("double_it_edge", 1),
        ]
    )
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    return nb


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command in the copy, with the copy's ``autograder`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course with ex99_demo added by writing its three files, released."""
    copy = tmp_path_factory.mktemp("unit") / "course"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    (copy / "solutions" / NAME).mkdir()
    nbformat.write(solution_notebook(), copy / "solutions" / NAME / f"{NAME}.ipynb")
    (copy / "autograder" / "checks" / f"{NAME}.py").write_text(textwrap.dedent(CHECKS).lstrip())
    (copy / "tests" / "catalog" / f"{NAME}.py").write_text(textwrap.dedent(CATALOG).lstrip())
    # the Makefile's list of assignments now holds it; generate its release as that list does
    planned = run("make", "--dry-run", "exercises", f"VENV={BIN.parent}", cwd=copy).stdout
    assert "ex01_activations " in planned and f" {NAME}; do" in planned, planned
    run(BIN / "nbgrader", "generate_assignment", NAME, "--force", "--no-db", cwd=copy)
    return copy


def test_the_release_of_the_new_assignment_hides_its_solution(course: Path):
    release = course / "exercises" / NAME / f"{NAME}.ipynb"
    text = release.read_text()
    assert "raise NotImplementedError()" in text and "return 2 * x" not in text
    assert "hidden=True" not in text


def test_the_book_lists_the_new_exercise_in_its_toc_and_exercises_page(course: Path):
    config = (course / "_config.yml").read_text()
    assert "execute_notebooks: cache" in config, "the test below turns execution off by this line"
    (course / "noexec.yml").write_text(
        config.replace("execute_notebooks: cache", 'execute_notebooks: "off"')
    )
    run(
        BIN / "jupyter-book",
        "build",
        ".",
        "--config",
        "noexec.yml",
        "--builder",
        "html",
        cwd=course,
    )
    html = course / "_build" / "html"
    assert (html / "exercises" / NAME / f"{NAME}.html").is_file()
    page = (html / "book" / "exercises.html").read_text()
    assert f"../exercises/{NAME}/{NAME}.html" in page and "double_it" in page
    assert f"blob/notebooks/exercises/{NAME}/{NAME}.ipynb" in page  # its Colab link
    assert "_downloads/" in page and f"{NAME}.ipynb" in page  # its download link


def test_the_fairness_tests_judge_the_new_catalog(course: Path):
    done = run(
        sys.executable, "-m", "pytest", "tests/test_exercises.py", "-q", "-p", "no:cacheprovider",
        "-k", "double_it or ex99_demo", "-o", "addopts=", cwd=course,
    )  # fmt: skip
    # the notebook's items, the solution, the blank release, 3 wrong and 1 right answer, ...
    passed = int(done.stdout.split(" passed")[0].split()[-1])
    assert passed >= 12, done.stdout[-2000:]
    assert " failed" not in done.stdout and " error" not in done.stdout


def test_the_grader_grades_a_class_of_the_new_assignment(course: Path):
    release = nbformat.read(course / "exercises" / NAME / f"{NAME}.ipynb", as_version=4)
    answers = {
        "honest": "def double_it(x):\n    return x + x\n",
        "adds_two": "def double_it(x):\n    return x + 2\n",
    }
    for student, answer in answers.items():
        for cell in release.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "double_it":
                cell.source = answer
        folder = course / "submitted" / student / NAME
        folder.mkdir(parents=True)
        nbformat.write(release, folder / f"{NAME}.ipynb")
    run(sys.executable, "-m", "autograder", "grade", course, NAME, cwd=course)
    with open(course / "grades" / f"{NAME}.csv", newline="") as handle:
        rows = {(r["student_id"], r["grade_id"]): r for r in csv.DictReader(handle)}
    assert {k: float(r["points"]) for k, r in rows.items()} == {
        ("honest", "double_it_core"): 2.0,  # the points of the notebook's metadata
        ("honest", "double_it_edge"): 1.0,
        ("adds_two", "double_it_core"): 0.0,
        ("adds_two", "double_it_edge"): 0.0,
    }
    assert (course / "feedback" / "adds_two" / NAME / f"{NAME}.html").is_file()
