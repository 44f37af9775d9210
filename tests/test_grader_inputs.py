"""Results follow their inputs, one seed per assignment and course, and files for people.

A saved result is reused only when the submission, the checks, the reference solution, the
grader and the seed are unchanged; every run of a course uses the seed recorded the first
time; and what the grader writes as root can be read, and the gradebook written, by the
course directory's owner.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import sandbox

from support.paths import ROOT

A = "ex01_activations"
CI = os.environ.get("CI") == "true"
NOBODY = 65534
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sandbox.privileged() and not CI,
        reason="the sandbox's file-system isolation needs root (CI runs these as root)",
    ),
]


def make_course(root: Path, students: tuple[str, ...] = ("ada", "bob")) -> Path:
    course = root / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    for student in students:
        add_submission(course, student)
    return course


def add_submission(course: Path, student: str) -> None:
    folder = course / "submitted" / student / A
    folder.mkdir(parents=True)
    shutil.copy(course / "solutions" / A / f"{A}.ipynb", folder / f"{A}.ipynb")


def grade(course: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course), A, "--jobs", "2", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=course,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def saved(course: Path, student: str) -> dict:
    return json.loads((course / "grades" / A / f"{student}.json").read_text())


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path)


def test_saved_results_follow_their_inputs_and_the_recorded_seed(course: Path, tmp_path: Path):
    """One course through a term: each run regrades exactly what changed, and every batch uses
    the seed the first run recorded."""
    assert "graded 2 submission(s)" in grade(course)
    seed = int((course / "grades" / A / "seed").read_text())
    again = grade(course)  # nothing changed: every result is reused
    assert "graded 0 submission(s)" in again and "reused 2 saved result(s)" in again
    # the summary speaks of the class's saved scores, not of the empty run
    assert "class: 2 submission(s), mean score 12.00 / 12" in again

    add_submission(course, "cy")  # a later batch: only cy is graded, with the recorded seed
    later = grade(course)
    assert "graded 1 submission(s)" in later and f"seed {seed}" in later
    assert {saved(course, s)["seed"] for s in ("ada", "bob", "cy")} == {seed}

    # a grader whose checks differ by one comment line regrades everyone, then is stable
    copy = tmp_path / "grader"
    shutil.copytree(
        ROOT / "autograder", copy / "autograder", ignore=shutil.ignore_patterns("__pycache__")
    )
    checks = copy / "autograder" / "checks" / f"{A}.py"
    checks.write_text(checks.read_text() + "\n# a fixed check\n")
    fixed = {**os.environ, "PYTHONPATH": str(copy)}
    assert "graded 3 submission(s)" in grade(course, env=fixed)
    assert "graded 0 submission(s)" in grade(course, env=fixed)

    solution = course / "solutions" / A / f"{A}.ipynb"  # any byte of the reference counts
    nb = json.loads(solution.read_text())
    nb["cells"][-1]["source"] += "\n"
    solution.write_text(json.dumps(nb))
    assert "graded 3 submission(s)" in grade(course, env=fixed)

    # a seed given on the command line is recorded for later runs and regrades everyone
    assert "graded 3 submission(s)" in grade(course, "--seed", str(seed + 1), env=fixed)
    assert int((course / "grades" / A / "seed").read_text()) == seed + 1
    assert "graded 0 submission(s)" in grade(course, env=fixed)


@pytest.fixture
def shared_course() -> Iterator[Path]:
    """A course directory that an unprivileged user owns, in a folder that user can reach."""
    root = Path(tempfile.mkdtemp(prefix="course-owner-", dir="/tmp"))
    root.chmod(0o755)
    course = make_course(root)
    for path in [course, *course.rglob("*")]:
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    yield course
    shutil.rmtree(root)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can grade as root")
def test_what_root_writes_the_course_owner_reads_and_the_gradebook_they_write(shared_course: Path):
    grade(shared_course)
    written = [
        p
        for top in ("grades", "feedback", "autograded")
        for p in (shared_course / top).rglob("*")
        if p.is_file()
    ]
    assert len(written) > 4 and (shared_course / "gradebook.db").is_file()
    reader = (
        "import sys, sqlite3\n"
        "for path in sys.argv[2:]:\n    open(path, 'rb').read()\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('UPDATE grade SET manual_score = 1.0 WHERE manual_score IS NULL')\n"
        "db.commit()\n"
    )
    # the system's Python: the test's own lives under root's home, which nobody can enter
    python = shutil.which("python3", path="/usr/bin:/bin")
    assert python, "no python3 in /usr/bin or /bin"
    done = subprocess.run(
        [python, "-c", reader, str(shared_course / "gradebook.db"), *map(str, written)],
        user=NOBODY,
        group=NOBODY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(shared_course / "gradebook.db") as db:
        assert db.execute("SELECT count(*) FROM grade WHERE manual_score = 1.0").fetchone()[0]
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in written}
    assert owners == {(NOBODY, NOBODY)}
