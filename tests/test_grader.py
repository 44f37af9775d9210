"""The grader on broken and hostile submissions: each gets its status and the points it earned,
the batch goes on, and no original file changes.

One batch grades a whole corpus (one student per case) with ``python -m autograder grade``, in
a child process, so a submission that managed to kill the grader would fail every test here.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cells, sandbox
from autograder.catalog import ASSIGNMENTS

from support.paths import ROOT

A = "ex01_activations"
ITEMS = [i.grade_id for i in ASSIGNMENTS[A]]
RELEASE = ROOT / "exercises" / A / f"{A}.ipynb"
POINTS = {t.grade_id: t.points for t in cells.tests(cells.read(RELEASE))}
BY_FUNCTION = {
    name: [g for g in ITEMS if g.startswith(name + "_") and not g.startswith(name + "_grad")]
    for name in ("sigmoid", "sigmoid_grad", "tanh_grad", "collapse_linear")
}
ALL_PASS = dict.fromkeys(ITEMS, "passed")
SECRET = "SOLUTION-SECRET-7f3a"  # planted in the course's solutions, must never leak
CI = os.environ.get("CI") == "true"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sandbox.privileged() and not CI,
        reason="the sandbox's file-system isolation needs root (CI runs these as root)",
    ),
]


def solution() -> dict:
    return json.loads((ROOT / "solutions" / A / f"{A}.ipynb").read_text())


def released() -> dict:
    return json.loads((ROOT / "exercises" / A / f"{A}.ipynb").read_text())


def with_answers(**answers: str) -> dict:
    """The solution notebook with some answer cells replaced."""
    nb = solution()
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return nb


def statuses(**by_function: str) -> dict[str, str]:
    expected = dict(ALL_PASS)
    for name, status in by_function.items():
        for grade_id in BY_FUNCTION[name]:
            expected[grade_id] = status
    return expected


def edit(nb: dict, change) -> dict:
    nb = copy.deepcopy(nb)
    change(nb)
    return nb


def strip_metadata(nb: dict) -> None:
    for cell in nb["cells"]:
        cell["metadata"] = {}


def locked_edited(nb: dict) -> None:
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or (meta.get("locked") and cell["cell_type"] == "code"):
            cell["source"] = "pass  # the student emptied this cell"


def to_markdown(grade_id: str):
    def change(nb: dict) -> None:
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                cell["cell_type"] = "markdown"
                cell.pop("outputs", None)
                cell.pop("execution_count", None)

    return change


def delete(grade_id: str):
    def change(nb: dict) -> None:
        nb["cells"] = [
            c
            for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != grade_id
        ]

    return change


def schema_99(nb: dict) -> None:
    for cell in nb["cells"]:
        if "nbgrader" in cell.get("metadata", {}):
            cell["metadata"]["nbgrader"]["schema_version"] = 99


FORBIDDEN = dict.fromkeys(ITEMS, "forbidden")
# sigmoid undefined (its cell raised before the def); sigmoid_grad calls it and fails
LOST_SIGMOID = statuses(sigmoid="error", sigmoid_grad="failed")
SIGMOID = (
    "def sigmoid(x):\n    z = np.exp(-np.abs(x))\n"
    "    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))\n"
)


def corpus(course: Path) -> dict[str, tuple[object, dict[str, str]]]:
    """student -> (what to write, expected status of every item)."""
    solutions_file = course / "solutions" / A / f"{A}.ipynb"
    gradebook = course / "gradebook.db"
    own_file = course / "submitted" / "writes_submitted" / A / f"{A}.ipynb"
    return {
        "honest": (solution(), ALL_PASS),
        "blank": (released(), dict.fromkeys(ITEMS, "failed")),
        "locked_cells_edited": (edit(solution(), locked_edited), ALL_PASS),
        "answer_deleted": (edit(solution(), delete("tanh_grad")), statuses(tanh_grad="missing")),
        "cells_reordered": (edit(solution(), lambda nb: nb["cells"].reverse()), ALL_PASS),
        "cell_added": (
            edit(
                solution(),
                lambda nb: nb["cells"].append(
                    nbformat.v4.new_code_cell("def sigmoid(x):\n    return 0 * x\n")
                ),
            ),
            ALL_PASS,
        ),
        "answer_made_markdown": (
            edit(solution(), to_markdown("tanh_grad")),
            statuses(tanh_grad="missing"),
        ),
        "metadata_stripped": (edit(solution(), strip_metadata), ALL_PASS),
        "schema_version_99": (edit(solution(), schema_99), ALL_PASS),
        "invalid_json": (b'{"cells": [', dict.fromkeys(ITEMS, "error")),
        "empty_file": (b"", dict.fromkeys(ITEMS, "error")),
        "not_utf8": (b'{"cells": [], "x": "\xff\xfe"}', dict.fromkeys(ITEMS, "error")),
        "no_notebook": (None, dict.fromkeys(ITEMS, "missing")),
        "renamed": (("my_work.ipynb", solution()), ALL_PASS),
        "infinite_loop": (
            with_answers(tanh_grad="def tanh_grad(x):\n    while True:\n        pass\n"),
            statuses(tanh_grad="timeout"),
        ),
        "loop_ignoring_sigint": (
            with_answers(
                sigmoid_grad=(
                    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                    "def sigmoid_grad(x):\n    while True:\n        pass\n"
                )
            ),
            FORBIDDEN,
        ),
        "memory_bomb": (
            with_answers(
                tanh_grad="def tanh_grad(x):\n    blocks = []\n"
                "    while True:\n"
                "        blocks.append(np.ones(10**7))\n"
            ),
            statuses(tanh_grad="failed"),
        ),
        "hundred_processes": (
            with_answers(
                collapse_linear=(
                    "import os\nfor _ in range(100):\n    if os.fork() == 0:\n"
                    "        import time\n        time.sleep(600)\n"
                    "def collapse_linear(W1, b1, W2, b2):\n    return W2 @ W1, W2 @ b1 + b2\n"
                )
            ),
            FORBIDDEN,
        ),
        "prints_100_mb": (
            with_answers(
                tanh_grad=(
                    "def tanh_grad(x):\n    t = np.tanh(x)\n    return 1 - t * t\n"
                    "for _ in range(100):\n    print('x' * 1_000_000)\n"
                )
            ),
            ALL_PASS,
        ),
        "sys_exit": (with_answers(tanh_grad="import sys\nsys.exit(0)\n"), FORBIDDEN),
        "exit_builtin": (with_answers(tanh_grad="exit()\n"), FORBIDDEN),
        "os_exit_at_top": (with_answers(collapse_linear="import os\nos._exit(0)\n"), FORBIDDEN),
        "kills_the_grader": (
            with_answers(
                tanh_grad=(
                    "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                    "def tanh_grad(x):\n    t = np.tanh(x)\n    return 1 - t * t\n"
                )
            ),
            FORBIDDEN,
        ),
        "erases_asserts": (
            with_answers(
                sigmoid=(
                    "get_ipython().input_transformers_post.append(\n"
                    "    lambda lines: [l for l in lines "
                    "if 'assert' not in l and 'check' not in l])\n"
                    "def sigmoid(x):\n    return x\n"
                )
            ),
            FORBIDDEN,
        ),
        "always_equal": (
            with_answers(
                sigmoid=(
                    "class Anything(np.ndarray):\n"
                    "    def __eq__(self, other):\n        return True\n"
                    "    __ne__ = lambda self, other: False\n"
                    "def sigmoid(x):\n    return np.zeros_like(x).view(Anything)\n"
                )
            ),
            statuses(sigmoid="failed", sigmoid_grad="failed"),
        ),
        "equal_object": (
            with_answers(
                sigmoid=(
                    "class Yes:\n    def __eq__(self, other):\n        return True\n"
                    "    shape = dtype = None\n"
                    "def sigmoid(x):\n    return Yes()\n"
                )
            ),
            statuses(sigmoid="failed", sigmoid_grad="failed"),
        ),
        "patches_testing": (
            with_answers(
                sigmoid=(
                    "np.testing.assert_allclose = lambda *a, **k: None\n"
                    "def sigmoid(x):\n    return x\n"
                )
            ),
            FORBIDDEN,
        ),
        "patches_the_checks": (
            with_answers(
                sigmoid=(
                    "import autograder.items as items\n"
                    "items.safe_probe = lambda item, case, fns: item.probe(case, *item.oracle)\n"
                    "def sigmoid(x):\n    return x\n"
                )
            ),
            FORBIDDEN,
        ),
        "reads_solutions": (
            with_answers(
                sigmoid=(
                    f"SECRET = np.loadtxt({str(solutions_file)!r}, dtype=str, delimiter='\\x01')\n"
                    + SIGMOID
                )
            ),
            LOST_SIGMOID,
        ),
        "writes_gradebook": (
            with_answers(sigmoid=(f"np.savetxt({str(gradebook)!r}, np.ones(3))\n" + SIGMOID)),
            LOST_SIGMOID,
        ),
        "writes_submitted": (
            with_answers(sigmoid=(f"np.savetxt({str(own_file)!r}, np.ones(3))\n" + SIGMOID)),
            LOST_SIGMOID,
        ),
        "warns_but_correct": (
            with_answers(
                sigmoid=(
                    "import warnings\n"
                    "def sigmoid(x):\n    warnings.warn('I am noisy but right')\n"
                    "    print('debug output', x.shape)\n"
                    "    z = np.exp(-np.abs(x))\n"
                    "    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))\n"
                )
            ),
            ALL_PASS,
        ),
        "magics": (with_answers(sigmoid="%matplotlib inline\n" + SIGMOID), ALL_PASS),
    }


def make_course(root: Path) -> Path:
    course = root / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    solution_path = course / "solutions" / A / f"{A}.ipynb"
    nb = json.loads(solution_path.read_text())
    nb["cells"].append(nbformat.v4.new_markdown_cell(SECRET))
    solution_path.write_text(json.dumps(nb))
    return course


def write_corpus(course: Path) -> dict[str, dict[str, str]]:
    expected = {}
    for student, (content, statuses_) in corpus(course).items():
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        name = f"{A}.ipynb"
        if isinstance(content, tuple):
            name, content = content
        if isinstance(content, dict):
            content = json.dumps(content, indent=1).encode()
        if content is not None:
            (folder / name).write_bytes(content)
        expected[student] = statuses_
    return expected


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def grade(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    # 384 MB: the memory bomb reaches it in well under a second even where page faults are
    # slow (800 MB took 1.8 s on a loaded CI machine), so it fails with MemoryError long
    # before the 4-second timeout, which is what the corpus expects of it
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(course),
            A,
            "--jobs",
            "2",
            "--timeout",
            "4",
            "--memory",
            "384",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_csv(course: Path) -> list[dict[str, str]]:
    with open(course / "grades" / f"{A}.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    course = make_course(tmp_path_factory.mktemp("hostile"))
    expected = write_corpus(course)
    before = fingerprint(course / "submitted")
    solutions_before = fingerprint(course / "solutions")
    done = grade(course)
    return course, expected, before, solutions_before, done


def test_the_batch_finishes_with_exit_code_0(graded):
    course, expected, *_, done = graded
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"graded {len(expected)} submission(s)" in done.stdout


def test_every_case_gets_its_expected_status_and_points(graded):
    course, expected, *_ = graded
    rows = read_csv(course)
    got: dict[str, dict[str, str]] = {}
    for row in rows:
        got.setdefault(row["student_id"], {})[row["grade_id"]] = row["status"]
        points = float(row["points"])
        assert points == (POINTS[row["grade_id"]] if row["status"] == "passed" else 0.0), row
    assert set(got) == set(expected)
    wrong = {
        s: {g: (got[s][g], want) for g, want in expected[s].items() if got[s][g] != want}
        for s in expected
    }
    assert not {s: w for s, w in wrong.items() if w}, wrong


def test_every_student_has_one_row_per_item_and_no_duplicates(graded):
    course, expected, *_ = graded
    rows = read_csv(course)
    keys = [(r["student_id"], r["grade_id"]) for r in rows]
    assert len(keys) == len(set(keys)) == len(expected) * len(ITEMS)


def test_originals_and_solutions_are_unchanged_and_nothing_leaks(graded):
    course, _, before, solutions_before, _ = graded
    assert fingerprint(course / "submitted") == before
    assert fingerprint(course / "solutions") == solutions_before
    everything = (course / "grades" / f"{A}.csv").read_text()
    everything += "".join(p.read_text() for p in (course / "feedback").rglob("*.html"))
    assert SECRET not in everything


def test_no_process_of_a_submission_survives(graded):
    uids = range(sandbox.FIRST_UID, sandbox.FIRST_UID + sandbox.UIDS)
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid_of(p) in uids]
    assert not alive, f"processes of sandbox uids still running: {alive}"


def _uid_of(proc: Path) -> int | None:
    try:
        for line in (proc / "status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def test_messages_explain_what_happened(graded):
    course, *_ = graded
    rows = {(r["student_id"], r["grade_id"]): r["message"] for r in read_csv(course)}
    assert "time limit" in rows["infinite_loop", "tanh_grad_core"]
    assert "not valid JSON" in rows["invalid_json", "sigmoid_core"]
    assert "not UTF-8" in rows["not_utf8", "sigmoid_core"]
    assert "empty" in rows["empty_file", "sigmoid_core"]
    assert "no notebook" in rows["no_notebook", "sigmoid_core"]
    assert "not in the submitted notebook" in rows["answer_deleted", "tanh_grad_core"]
    assert "get_ipython" in rows["erases_asserts", "sigmoid_core"]
    assert "import autograder.items" in rows["patches_the_checks", "tanh_grad_edge"]
    assert "MemoryError" in rows["memory_bomb", "tanh_grad_core"]
    assert "not a NumPy array" in rows["always_equal", "sigmoid_core"]
    assert "FileNotFoundError" in rows["reads_solutions", "sigmoid_core"]


def test_feedback_is_written_and_hides_hidden_inputs(graded):
    course, *_ = graded
    page = (course / "feedback" / "blank" / A / f"{A}.html").read_text()
    assert "0 / 12 points" in page and "not implemented yet" in page
    honest = (course / "feedback" / "honest" / A / f"{A}.html").read_text()
    assert "12 / 12 points" in honest


def test_gradebook_holds_the_scores(graded):
    course, expected, *_ = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_submission(A, "honest").score == 12.0
        assert gb.find_submission(A, "blank").score == 0.0
        assert gb.find_submission(A, "writes_gradebook").score == 6.0
        assert len(gb.assignment_submissions(A)) == len(expected)


def test_a_second_run_skips_what_is_graded_and_force_regrades(graded):
    course, expected, *_ = graded
    again = grade(course, "--student", "honest", "--student", "blank")
    assert again.returncode == 0 and "reused 2 saved result(s)" in again.stdout
    forced = grade(course, "--student", "honest", "--force")
    assert forced.returncode == 0 and "graded 1 submission(s)" in forced.stdout
    assert len(read_csv(course)) == len(expected) * len(ITEMS)


def test_sigkill_mid_batch_then_resume(tmp_path: Path):
    course = make_course(tmp_path)
    for n in range(12):
        folder = course / "submitted" / f"s{n:02d}" / A
        folder.mkdir(parents=True)
        slow = (
            with_answers(tanh_grad="def tanh_grad(x):\n    while True:\n        pass\n")
            if n % 3 == 0
            else solution()
        )
        (folder / f"{A}.ipynb").write_text(json.dumps(slow))
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(course), A, "--timeout", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    results = course / "grades" / A
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 3:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    first = {p.name: p.stat().st_mtime_ns for p in results.glob("*.json")}
    assert 3 <= len(first) < 12
    done = grade(course)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"reused {len(first)} saved result(s)" in done.stdout
    for name, mtime in first.items():
        assert (results / name).stat().st_mtime_ns == mtime, f"{name} was graded again"
    rows = read_csv(course)
    keys = [(r["student_id"], r["grade_id"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12 * len(ITEMS)
    for row in rows:
        slow = int(row["student_id"][1:]) % 3 == 0 and row["grade_id"].startswith("tanh_grad")
        assert row["status"] == ("timeout" if slow else "passed"), row


def test_setup_errors_exit_2_with_a_message(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(tmp_path / "nope"), A],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "is not a directory" in done.stderr
    course = make_course(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course), "ex9"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "unknown assignment 'ex9'" in done.stderr


def test_cells_module_still_reads_the_corpus_notebooks():
    """The fixtures above are real notebooks (a guard against testing malformed fixtures)."""
    nb = nbformat.reads(json.dumps(edit(solution(), schema_99)), as_version=4)
    assert cells.answers(nb).keys() == {"sigmoid", "sigmoid_grad", "tanh_grad", "collapse_linear"}


def test_every_grade_and_feedback_page_names_the_grader_version(graded):
    course, expected, *_ = graded
    version = subprocess.run(
        [
            sys.executable,
            "-c",
            "from autograder.grading import grader_version; print(grader_version())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version.count("+") == 1 and not version.startswith("unknown"), version
    assert {row["grader"] for row in read_csv(course)} == {version}
    seed = (course / "grades" / A / "seed").read_text().strip()
    pages = list((course / "feedback").rglob("*.html"))
    assert len(pages) == len(expected)
    for page in pages:
        assert (
            f"Graded by activation-functions-course {version}, hidden cases from seed "
            f"{seed}." in page.read_text()
        ), page
