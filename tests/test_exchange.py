"""The grader inside nbgrader's exchange workflow, with nbgrader's own commands around it:
release, fetch, submit, collect, ``python -m autograder grade``, release_feedback,
fetch_feedback and export. Submission times reach the gradebook, so nbgrader's late-submission
penalties and extensions apply, and a timestamp file that is a link or not a date counts as no
timestamp at all.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from support.paths import ROOT

A = "ex02_relu"
COURSE_ID = "activation-functions"  # as nbgrader_config.py says
BIN = str(Path(sys.executable).parent)
pytestmark = pytest.mark.slow
ON_TIME = "2026-01-10 12:00:00.250000 UTC"  # bob's, well before the due date set below
DUE = "2026-01-15 00:00:00 UTC"  # before "now", when root submits through the exchange


def run(cwd: Path, *argv: str) -> str:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{argv}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def nbgrader(cwd: Path, exchange: Path, *args: str) -> str:
    return run(
        cwd,
        f"{BIN}/nbgrader",
        *args,
        f"--Exchange.root={exchange}",
        f"--CourseDirectory.course_id={COURSE_ID}",
    )


def grade(course: Path, *args: str) -> str:
    return run(course, sys.executable, "-m", "autograder", "grade", str(course), A, *args)


def export(course: Path) -> dict[str, dict[str, str]]:
    run(course, f"{BIN}/nbgrader", "export")
    with open(course / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A course run through the exchange: root submits a solution with ``nbgrader submit``;
    bob's submission (with an early timestamp) and mallory's (a timestamp that is a link to
    another file, and a secret that is not a file) arrive as an LMS would leave them."""
    tmp = tmp_path_factory.mktemp("exchange")
    course, exchange, home = tmp / "course", tmp / "exchange", tmp / "home"
    for folder in (course, exchange, home):
        folder.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    solution = ROOT / "solutions" / A / f"{A}.ipynb"

    nbgrader(course, exchange, "release_assignment", A)
    nbgrader(home, exchange, "fetch_assignment", A)
    shutil.copy(solution, home / A / f"{A}.ipynb")
    nbgrader(home, exchange, "submit", A)
    nbgrader(course, exchange, "collect", A)
    for student in ("bob", "mallory"):
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        shutil.copy(solution, folder)
    (course / "submitted" / "bob" / A / "timestamp.txt").write_text(ON_TIME)
    (course / "submitted" / "mallory" / A / "timestamp.txt").symlink_to(
        course / "nbgrader_config.py"
    )
    (course / "submitted" / "mallory" / A / "submission_secret.txt").mkdir()
    grade(course)
    return {"course": course, "exchange": exchange, "home": home}


def test_collect_keeps_the_timestamp_and_secret_the_grader_needs(course: dict[str, Path]):
    folder = course["course"] / "submitted" / "root" / A
    assert (folder / "timestamp.txt").is_file() and (folder / "submission_secret.txt").is_file()


def test_export_has_each_submission_time(course: dict[str, Path]):
    rows = export(course["course"])
    assert rows["bob"]["timestamp"] == ON_TIME.removesuffix(" UTC")
    assert rows["root"]["timestamp"] > ON_TIME  # the moment of nbgrader submit, today
    assert rows["mallory"]["timestamp"] == ""  # a link is not a timestamp
    assert {row["score"] for row in rows.values()} == {"15.0"}


def test_feedback_goes_back_through_the_exchange(course: dict[str, Path]):
    """release_feedback finds the timestamp and secret beside our page; the student fetches
    the very page the grader wrote."""
    page = course["course"] / "feedback" / "root" / A / f"{A}.html"
    assert (page.parent / "timestamp.txt").read_text() == (
        course["course"] / "submitted" / "root" / A / "timestamp.txt"
    ).read_text()
    assert "submitted 20" in page.read_text()
    # only root's submission came through the exchange, with the secret that names its page
    nbgrader(course["course"], course["exchange"], "release_feedback", A, "--student=root")
    nbgrader(course["home"], course["exchange"], "fetch_feedback", A)
    (fetched,) = (course["home"] / A / "feedback").glob(f"*/{A}.html")
    assert fetched.read_bytes() == page.read_bytes()


def test_a_link_or_a_folder_is_not_copied_beside_the_feedback(course: dict[str, Path]):
    folder = course["course"] / "feedback" / "mallory" / A
    assert (folder / f"{A}.html").is_file()
    assert not (folder / "timestamp.txt").exists()
    assert not (folder / "submission_secret.txt").exists()


def test_late_penalty_and_extension_follow_nbgrader_config(course: dict[str, Path]):
    """With a due date and nbgrader's 'zero' penalty, the late submission scores 0 in the
    export, the on-time one and the one given an extension keep their points; the item
    scores (raw_score) do not change."""
    where = course["course"]
    run(where, f"{BIN}/nbgrader", "db", "assignment", "add", A, f"--duedate={DUE}")
    with (where / "nbgrader_config.py").open("a") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    with Gradebook(f"sqlite:///{where / 'gradebook.db'}") as gb:
        gb.grant_extension(A, "mallory", days=1)  # no timestamp: never late anyway
    grade(where, "--force")
    rows = export(where)
    assert (
        rows["root"]["raw_score"],
        rows["root"]["late_submission_penalty"],
        rows["root"]["score"],
    ) == ("15.0", "15.0", "0.0")
    assert (rows["bob"]["late_submission_penalty"], rows["bob"]["score"]) == ("0.0", "15.0")
    assert rows["mallory"]["score"] == "15.0"
    with Gradebook(f"sqlite:///{where / 'gradebook.db'}") as gb:
        gb.grant_extension(A, "root", weeks=52 * 5)
    grade(where, "--force", "--student", "root")
    assert export(where)["root"]["score"] == "15.0"


def test_a_broken_late_penalty_setting_stops_the_grader_before_it_grades(tmp_path: Path):
    course = tmp_path / "course"
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    with (course / "nbgrader_config.py").open("a") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "sometimes"\n')
    (course / "submitted" / "bob" / A).mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / A / f"{A}.ipynb", course / "submitted" / "bob" / A)
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course), A],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "nbgrader_config.py cannot be loaded" in done.stderr
    assert "'sometimes'" in done.stderr and "Traceback" not in done.stderr
    assert not (course / "grades").exists()
