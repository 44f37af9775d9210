"""nbgrader's formgrader after our grader alone, as an instructor uses it: the real Jupyter
server with nbgrader's server extension, its pages in headless Debian Chromium (Playwright),
its web API called as its JavaScript calls it, and nbgrader's own commands around it.

Three submissions of ex02_relu (full marks, partial, blank) are graded by
``python -m autograder grade``. Formgrader then shows each one graded with its score, Manual
Grading lists them and opens one with the student's answers, the checks' reports and the grade
boxes, and the per-student pages show the same scores. A score set by hand through formgrader's
API reaches ``nbgrader export`` and the student's feedback, and survives a regrade with
``--force``. The Autograde button grades through our sandbox: a submission that writes a file
outside it leaves no file, and gets the score our grader gives.

Without Debian's chromium (``/usr/bin/chromium``) the browser tests skip, except with
``CI=true``, where a missing browser fails them (``.ci/run`` installs it there).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import Browser, Locator, Page, Route, expect

from autograder import cells, sandbox

import catalog
from support.jupyter_server import JupyterServer, jupyter_server
from support.paths import ROOT

pytestmark = pytest.mark.slow

A = "ex02_relu"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
CI = os.environ.get("CI") == "true"
RELU = "def relu(x):\n    return np.maximum(x, 0)\n"
SOLVED = cells.answers(cells.read(ROOT / "solutions" / A / f"{A}.ipynb"))
# student -> (answers, score our grader gives)
STUDENTS = {"full": (SOLVED, 15.0), "partial": ({"relu": RELU}, 4.0), "blank": ({}, 0.0)}
TEST_CELLS = [t.grade_id for t in cells.tests(cells.read(ROOT / "exercises" / A / f"{A}.ipynb"))]
WAIT = 60_000  # ms: a page or table may take this long on a busy machine (2 cores, shared)
LONG = 600_000  # ms: the Autograde button grades while the page waits


def run(cwd: Path, *argv: str) -> str:
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{argv}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def grade(course: Path, *args: str) -> str:
    return run(
        course, sys.executable, "-m", "autograder", "grade", str(course), A, "--jobs", "2", *args
    )


def export(course: Path) -> dict[str, dict[str, str]]:
    """``nbgrader export`` in the course: student -> its row of grades.csv."""
    run(course, str(BIN / "nbgrader"), "export")
    with open(course / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def submit(course: Path, student: str, answers: dict[str, str]) -> None:
    folder = course / "submitted" / student / A
    folder.mkdir(parents=True)
    nbformat.write(catalog.notebook_with(A, answers), folder / f"{A}.ipynb")


def our_scores(course: Path, student: str) -> dict[str, float]:
    """grade_id -> points, as our grader's CSV has them."""
    with open(course / "grades" / f"{A}.csv", newline="") as f:
        return {
            row["grade_id"]: float(row["points"])
            for row in csv.DictReader(f)
            if row["student_id"] == student
        }


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course directory with the three submissions, graded by our grader alone."""
    course = tmp_path_factory.mktemp("formgrader") / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    for student, (answers, _) in STUDENTS.items():
        submit(course, student, answers)
    grade(course)
    return course


@dataclass(frozen=True)
class Formgrader:
    """The running Jupyter server with nbgrader's formgrader, and how to call its web API."""

    server: JupyterServer

    @property
    def base(self) -> str:
        return self.server.base.rstrip("/")

    @property
    def token(self) -> str:
        return self.server.token

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call ``/formgrader/api/<path>`` with the token, as formgrader's JavaScript does."""
        return self.server.api(method, f"formgrader/api/{path}", body, timeout=LONG / 1000)

    def notebook_id(self, student: str) -> str:
        """The id of the student's submitted notebook (what a Manual Grading link opens)."""
        (notebook,) = [
            n for n in self.api("GET", f"submitted_notebooks/{A}/{A}") if n["student"] == student
        ]
        return notebook["id"]

    def grade_of(self, student: str, grade_id: str) -> dict[str, Any]:
        grades = self.api("GET", f"grades?submission_id={self.notebook_id(student)}")
        (found,) = [g for g in grades if g["name"] == grade_id]
        return found


@pytest.fixture(scope="module")
def server(course: Path) -> Iterator[Formgrader]:
    """``jupyter server`` in the course directory (its root and nbgrader's course root), on
    127.0.0.1 with a random port and token; stopped after the module."""
    exchange = course.parent / "exchange"
    exchange.mkdir()
    with jupyter_server(
        "server",
        course,
        course.parent / "server.log",
        env=ENV,
        args=[f"--Exchange.root={exchange}"],
        ready="formgrader/api/status",
        start_s=180,
    ) as running:
        yield Formgrader(running)


@pytest.fixture(scope="module")
def page(browser: Browser, server: Formgrader) -> Iterator[Page]:
    """One logged-in tab on formgrader. Requests that leave 127.0.0.1 (formgrader asks a CDN
    for MathJax) are refused at once instead of waiting for a network that is not there."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()

    def local_only(route: Route) -> None:
        if route.request.url.startswith(server.base):
            route.continue_()
        else:
            route.abort()

    tab.route("**/*", local_only)
    tab.set_default_timeout(WAIT)
    expect.set_options(timeout=WAIT)
    tab.goto(f"{server.base}/formgrader?token={server.token}")  # sets the login cookie
    yield tab
    expect.set_options(timeout=5_000)  # Playwright's default, for other modules
    context.close()


def row(tab: Page, text: str) -> Locator:
    """The rows of the page's table that contain ``text`` (a student or assignment id)."""
    return tab.locator("table tbody tr").filter(has_text=text)


def test_manage_submissions_shows_each_submission_graded_with_its_score(
    page: Page, server: Formgrader
) -> None:
    page.goto(f"{server.base}/formgrader/manage_submissions/{A}")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(len(STUDENTS))
    for student, (_, score) in STUDENTS.items():
        cells_ = row(page, student).locator("td")
        expect(cells_.nth(3)).to_have_text("graded")
        expect(cells_.nth(4)).to_have_text(f"{score:g} / 15")


def test_manual_grading_lists_the_submissions_and_opens_one_with_answers_and_grade_boxes(
    page: Page, server: Formgrader, course: Path
) -> None:
    page.goto(f"{server.base}/formgrader/gradebook/{A}/{A}")
    expect(page.locator("table tbody tr")).to_have_count(len(STUDENTS))
    for student, (_, score) in STUDENTS.items():
        expect(row(page, student).locator("td").nth(2)).to_have_text(f"{score:g} / 15")
    submission = server.notebook_id("partial")
    row(page, "partial").locator(f"a[href$='/submissions/{submission}']").first.click()
    page.wait_for_url(f"**/formgrader/submissions/{submission}/**")
    answers = page.locator(".nbgrader_cell").filter(has_text="Student's answer")
    expect(answers).to_have_count(len(SOLVED))
    expect(answers.filter(has_text="np.maximum(x, 0)")).to_have_count(1)
    boxes = page.locator("input.score")
    expect(boxes).to_have_count(len(TEST_CELLS))
    assert [boxes.nth(i).get_attribute("id") for i in range(len(TEST_CELLS))] == TEST_CELLS
    # each box's placeholder is the automatic score, our grader's
    scores = our_scores(course, "partial")
    assert [float(boxes.nth(i).get_attribute("placeholder")) for i in range(len(TEST_CELLS))] == [
        scores[g] for g in TEST_CELLS
    ]
    expect(page.locator(".output_stdout").filter(has_text="PASSED relu: NaN")).to_have_count(1)
    expect(page.locator(".output_error").filter(has_text="FAILED relu_scalar")).to_have_count(2)
    assert "file missing" not in page.content()


def test_per_student_pages_show_each_score(page: Page, server: Formgrader) -> None:
    for student, (_, score) in STUDENTS.items():
        page.goto(f"{server.base}/formgrader/manage_students/{student}")
        expect(row(page, A).locator("td").nth(1)).to_have_text(f"{score:g} / 15")
        page.goto(f"{server.base}/formgrader/manage_students/{student}/{A}")
        expect(row(page, A).locator("td").nth(1)).to_have_text(f"{score:g} / 15")
        expect(row(page, A)).not_to_contain_text("file missing")


def adjust(server: Formgrader, student: str, grade_id: str, score: float) -> dict[str, Any]:
    """Set a score by hand as formgrader's grade box does (Backbone's save: the grade's JSON,
    changed, PUT back)."""
    grade = server.grade_of(student, grade_id)
    return server.api("PUT", f"grade/{grade['id']}", {**grade, "manual_score": score})


def test_a_score_set_in_formgrader_reaches_export_and_the_feedback(
    server: Formgrader, course: Path
) -> None:
    saved = adjust(server, "partial", "relu_scalar_core", 1.0)
    assert (saved["auto_score"], saved["manual_score"]) == (0.0, 1.0)
    rows = export(course)
    assert {s: rows[s]["score"] for s in STUDENTS} == {
        "full": "15.0",
        "partial": "5.0",
        "blank": "0.0",
    }
    # formgrader's Generate Feedback renders the graded notebook with the gradebook's scores
    done = server.api("POST", f"assignment/{A}/partial/generate_feedback")
    assert done["success"], done.get("error", "") + done.get("log", "")
    page = (course / "feedback" / "partial" / A / f"{A}.html").read_text()
    assert "(Score: 5.0 / 15.0)" in page
    assert "PASSED relu: NaN" in page and "BEGIN HIDDEN TESTS" not in page


def test_a_regrade_keeps_the_score_set_by_hand(server: Formgrader, course: Path) -> None:
    adjust(server, "partial", "relu_scalar_core", 1.0)
    grade(course, "--force")
    assert export(course)["partial"]["score"] == "5.0"
    grade_ = server.grade_of("partial", "relu_scalar_core")
    assert (grade_["auto_score"], grade_["manual_score"]) == (0.0, 1.0)
    page = (course / "feedback" / "partial" / A / f"{A}.html").read_text()
    assert "5 / 15 points" in page and "set by your instructor; the check gave 0" in page
    # the other students' pages have no adjustment
    assert (
        "set by your instructor" not in (course / "feedback" / "full" / A / f"{A}.html").read_text()
    )


@pytest.mark.skipif(
    not sandbox.privileged() and not CI,
    reason="the sandbox's file-system isolation needs root (CI runs as root)",
)
def test_the_autograde_button_grades_in_our_sandbox(
    page: Page, server: Formgrader, course: Path
) -> None:
    """A submission whose answer cell writes a file outside the course: after the Autograde
    button, the file does not exist, and the gradebook holds our grader's scores."""
    outside = course.parent / "outside"
    outside.mkdir()
    escaped = outside / "escaped.txt"
    submit(
        course, "mallory", {"relu": f"open({str(escaped)!r}, 'w').write('ran outside')\n" + RELU}
    )
    page.goto(f"{server.base}/formgrader/manage_submissions/{A}")
    mallory = row(page, "mallory")
    expect(mallory.locator("td").nth(3)).to_have_text("needs autograding")
    mallory.locator("td.autograde a").click()
    modal = page.locator("#success-modal, #error-modal")
    expect(modal).to_be_visible(timeout=LONG)
    assert "Successfully autograded" in modal.inner_text(), modal.inner_text()[-3000:]
    assert not escaped.exists(), "the Autograde button ran student code outside the sandbox"
    ours = our_scores(course, "mallory")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(A, A, "mallory")
        assert {g.name: g.auto_score for g in notebook.grades} == ours
    assert set(ours.values()) == {0.0}  # `open` is not allowed in an answer: nothing counts
    page.locator("#success-modal button").first.click()
    page.reload()
    expect(row(page, "mallory").locator("td").nth(3)).to_have_text("graded")
    expect(row(page, "mallory").locator("td").nth(4)).to_have_text("0 / 15")
