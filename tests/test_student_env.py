"""The student's side: the course package installed from its wheel alone, offline.

What a student gets is ``make wheel``'s wheel (``autograder`` and ``bookkit``, no solutions) and
notebooks whose first code cell, the set-up cell, installs it when it is missing. The session's
student environment (``tests/student_env.py``: a fresh virtual environment holding ipykernel,
into which the set-up cell itself installed the wheel, with the lock's NumPy 2) and a second
one that differs from it only in NumPy, 1.26.4 (:func:`numpy_overlay`) are used here:

* each released exercise, copied alone into an empty folder and executed with nbclient in each
  environment's kernel, reports every check as not implemented when blank and as PASSED when
  its answer cells hold the reference answers from ``solutions/``;
* each notebook the built site offers for download (the front page and the chapters) is the
  chapter's code, set-up cell first, and the suite's one book build executed every one of them
  in the student environment's kernel (``conftest.built_book``), so they run there.

Kernels run two at a time.

Tested: Python 3.11 (the only one with a torch wheel on this machine), torch 2.13.0 (CPU),
NumPy 2.x (the lock's) and 1.26.4. Declared but not tested: Python 3.10, 3.12, 3.13 and
torch 2.2 to 2.12.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from autograder import cells
from autograder.catalog import ASSIGNMENTS

from support.book import Build, kernel_prefixes
from support.paths import ROOT
from support.student_env import (
    SETUP_CELL,
    StudentEnv,
    built_wheel,
    numpy_overlay,
    outputs,
    version,
)
from support.toc import toc_pages

SITE = "https://activation-functions-course.github.io/course/"

TOC_PAGES = toc_pages()
# every page that is a notebook with code: the front page and the chapters
NOTEBOOK_PAGES = [p for p in TOC_PAGES if p == "book/intro" or re.fullmatch(r"book/ch\d\d_\w+", p)]
NUMPY_OLD = "1.26.4"


def release(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def first_code_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------------------------- fast


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_every_chapter_starts_with_the_set_up_cell(page: str):
    """The first code cell of each chapter (and of the front page) is the set-up cell, hidden
    from the HTML page and kept in the notebook a reader downloads."""
    cell = first_code_cell(jupytext.read(ROOT / f"{page}.md"))
    assert cell.source == SETUP_CELL, f"{page}.md: the first code cell is not the set-up cell"
    assert cell.metadata.get("tags") == ["remove-cell"]


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_starts_with_the_set_up_cell(folder: str, assignment: str):
    """The exercise's locked, ungraded set-up cell starts with the set-up cell's text; in the
    release it can be neither edited nor deleted."""
    nb = nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)
    cell = first_code_cell(nb)
    meta = nbgrader_meta(cell)
    assert meta.get("grade_id") == "setup", "the first code cell is not the set-up cell"
    assert cell.source.startswith(SETUP_CELL + "\n\n"), "the set-up cell's text differs"
    assert meta["locked"] and not meta["grade"] and not meta["solution"]
    if folder == "exercises":
        assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False


def test_the_set_up_cell_points_at_the_sites_wheels():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == "https://github.com/activation-functions-course/course"
    assert f"--find-links {SITE}wheels/" in SETUP_CELL


def test_the_wheel_holds_the_packages_and_no_solution():
    """``make wheel`` packs autograder and bookkit, their dependencies as ranges, and nothing
    from solutions/ or the tests."""
    wheel = built_wheel()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = archive.read(f"activation_functions_course-{version()}.dist-info/METADATA")
    tops = {n.split("/")[0] for n in names}
    assert tops == {"autograder", "bookkit", f"activation_functions_course-{version()}.dist-info"}
    assert "autograder/checks/ex02_relu.py" in names and "bookkit/data.py" in names
    requires = re.findall(r"^Requires-Dist: ([^;\n]+)$", meta.decode(), flags=re.M)
    assert "numpy<3,>=1.26" in requires and "torch>=2.2" in requires
    assert not any(r.startswith(("nbgrader", "jupyter-book", "pytest")) for r in requires)
    assert "Requires-Python: >=3.10" in meta.decode()


# ------------------------------------------------------------------ the wheel and its envs


# ------------------------------------------------------------------- running notebooks


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        outputs(c)
        for c in nb.cells
        if c.cell_type == "code" and any(o.output_type == "error" for o in c.get("outputs", []))
    ]


def filled(assignment: str) -> nbformat.NotebookNode:
    """The release with every answer cell replaced by the reference answer (by grade_id)."""
    nb = nbformat.read(release(assignment), as_version=4)
    reference = cells.answers(
        nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    )
    for cell in nb.cells:
        if cells.is_answer(cell):
            cell.source = reference[nbgrader_meta(cell)["grade_id"]]
    return nb


@dataclass(frozen=True)
class ExerciseRun:
    blank: nbformat.NotebookNode
    filled: nbformat.NotebookNode
    seconds: float


def run_exercise(student: StudentEnv, assignment: str, workdir: Path) -> ExerciseRun:
    """Copy the release alone into an empty folder and run it blank, then, in the same
    kernel, the same notebook with the reference answers."""
    folder = workdir / assignment
    folder.mkdir(parents=True)
    shutil.copy2(release(assignment), folder)
    blank = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    answers = filled(assignment)
    started = time.monotonic()
    with student.kernel(blank, folder) as client:
        for index, cell in enumerate(blank.cells):
            client.execute_cell(cell, index)
        blank = copy.deepcopy(blank)  # the client puts each cell it runs into its own notebook
        for index, cell in enumerate(answers.cells):
            client.execute_cell(cell, index)
    return ExerciseRun(blank, answers, time.monotonic() - started)


def run_all(jobs: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run the jobs two at a time (two kernels); each result is its value or its exception."""

    def guarded(job: Callable[[], object]) -> object:
        try:
            return job()
        except Exception as error:  # reported by the test of that notebook
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(guarded, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def result(results: dict[str, object], name: str):
    value = results[name]
    if isinstance(value, Exception):
        raise AssertionError(f"{name} could not be run: {value!r}") from value
    return value


# ------------------------------------------------------------------------- slow: fixtures


@dataclass(frozen=True)
class Runs:
    """The two student environments and every notebook run in them (name -> result)."""

    envs: dict[str, StudentEnv]  # "numpy2", "numpy1"
    results: dict[str, object]  # "<env> exercise <assignment>"


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory, student_env: StudentEnv) -> Runs:
    """Both environments, and each exercise run in each, two kernels at a time, the later
    (longer) ones first so that the two kernels finish close together."""
    root = tmp_path_factory.mktemp("student")
    envs = {"numpy2": student_env, "numpy1": numpy_overlay(root / "numpy1", student_env, NUMPY_OLD)}
    jobs: dict[str, Callable[[], object]] = {}
    for name, env in envs.items():
        for a in reversed(ASSIGNMENTS):
            jobs[f"{name} exercise {a}"] = lambda a=a, env=env, name=name: run_exercise(
                env, a, root / name / "exercises"
            )
    started = time.monotonic()
    results = run_all(jobs)
    print(f"{len(jobs)} notebooks run in {time.monotonic() - started:.0f} s, two at a time")
    return Runs(envs, results)


# ---------------------------------------------------------------------------- slow: tests


@pytest.mark.slow
@pytest.mark.parametrize("env", ["numpy2", "numpy1"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_exercise_reports_every_check_as_not_implemented(
    student: Runs, env: str, assignment: str
):
    run = result(student.results, f"{env} exercise {assignment}")
    numpy = student.envs[env].numpy
    setup = first_code_cell(run.blank)
    assert outputs(setup) == "", (
        f"the set-up cell printed (it should find the package):\n{outputs(setup)}"
    )
    checks = [c for c in run.blank.cells if cells.is_test(c)]
    assert [nbgrader_meta(c)["grade_id"] for c in checks] == [
        i.grade_id for i in ASSIGNMENTS[assignment]
    ]
    for cell in checks:
        shown = outputs(cell)
        assert shown.startswith("FAILED") and "not implemented yet" in shown, (
            f"numpy {numpy}, {nbgrader_meta(cell)['grade_id']}:\n{shown}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("env", ["numpy2", "numpy1"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_answers_pass_every_check(student: Runs, env: str, assignment: str):
    run = result(student.results, f"{env} exercise {assignment}")
    numpy = student.envs[env].numpy
    assert not errors(run.filled), f"numpy {numpy}:\n" + "\n".join(errors(run.filled))
    for cell in run.filled.cells:
        if cells.is_test(cell):
            shown = outputs(cell)
            assert shown.startswith("PASSED"), f"numpy {numpy}:\n{shown}"


@pytest.mark.slow
def test_the_environments_hold_the_numpy_versions_of_the_declared_range(student: Runs):
    assert student.envs["numpy1"].numpy == NUMPY_OLD
    assert student.envs["numpy2"].numpy.startswith("2.")


@pytest.mark.slow
@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_downloaded_chapter_runs_in_the_student_env(
    built_book: Build, student_env: StudentEnv, page: str
):
    """The .ipynb the site offers for the page is the chapter's code, set-up cell first, and
    the build that made it (which fails on any cell error) ran it in the student environment's
    kernel: every kernel of the build ran that environment's Python."""
    assert built_book.returncode == 0, built_book.output[-3000:]
    download = nbformat.read(built_book.html / "_sources" / f"{page}.ipynb", as_version=4)
    assert first_code_cell(download).source == SETUP_CELL
    source = jupytext.read(built_book.tree / f"{page}.md")
    code = [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in download.cells if c.cell_type == "code"] == code
    prefixes = kernel_prefixes(built_book.tree)
    assert len(prefixes) >= len(NOTEBOOK_PAGES), prefixes
    assert set(prefixes) == {str(student_env.python.parent.parent)}, prefixes


@pytest.mark.slow
def test_the_site_serves_the_wheel_to_pip(built_book: Build, tmp_path: Path):
    """<site>/wheels/ is a pip find-links page for the wheel: pip finds the package there."""
    page = built_book.html / "wheels" / "index.html"
    name = f"activation_functions_course-{version()}-py3-none-any.whl"
    assert f'href="{name}"' in page.read_text()
    assert (page.parent / name).is_file()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--find-links",
            str(page),
            "-d",
            str(tmp_path),
            "activation-functions-course",
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"},
    )
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.slow
@pytest.mark.parametrize("page", NOTEBOOK_PAGES + [f"exercises/{a}/{a}" for a in ASSIGNMENTS])
def test_each_notebook_page_offers_the_download_and_colab(built_book: Build, page: str):
    """Each notebook page has an .ipynb download and a Colab button that opens the same file
    from the repository's notebooks branch (colab_notebooks in _config.yml)."""
    html = (built_book.html / f"{page}.html").read_text(encoding="utf-8")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    colab = config["sphinx"]["config"]["colab_notebooks"]
    assert f"_sources/{page}.ipynb" in html, "no .ipynb download"
    assert f"{colab}/{page}.ipynb" in html, "no Colab button"


@pytest.mark.slow
def test_exercises_page_offers_colab_next_to_each_download(built_book: Build):
    html = (built_book.html / "book" / "exercises.html").read_text(encoding="utf-8")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    colab = config["sphinx"]["config"]["colab_notebooks"]
    for assignment in ASSIGNMENTS:
        assert f"{colab}/exercises/{assignment}/{assignment}.ipynb" in html, assignment
