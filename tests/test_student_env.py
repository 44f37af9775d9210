"""The student's side: the course package installed from its wheel alone, offline.

What a student gets is ``make wheel``'s wheel (``autograder`` and ``bookkit``, no solutions) and
notebooks whose first code cell, the set-up cell, installs it when it is missing. These tests
build that wheel and install it, by running the set-up cell itself, into a fresh virtual
environment that holds nothing else but ipykernel (to run a kernel), with the lock's NumPy 2.
A second environment differs from it only in NumPy, 1.26.4 (see :func:`numpy_overlay`). Then
each released exercise, copied alone into an empty folder and executed with nbclient in each
environment's kernel, reports every check as not implemented when blank and as PASSED when its
answer cells hold the reference answers from ``solutions/``; and each notebook the built site
offers for download (the front page and the chapters) executes, alone in an empty folder, in
the first environment. Kernels run two at a time; the module takes several minutes, most of it
the chapters' own computations and installing torch.

Offline: pip gets ``PIP_NO_INDEX=1`` and finds packages only in the wheelhouse that
``make wheelhouse`` (part of ``make test``) downloads into ``.venv/wheelhouse``, the wheel just
built and ``/opt/wheels`` (torch's CPU wheel); where ``unshare --net`` works (as root), every
kernel, and so the pip it starts, runs in a network namespace of its own with no network, and
talks to the test over Unix sockets.

Tested: Python 3.11 (the only one with a torch wheel on this machine), torch 2.13.0 (CPU),
NumPy 2.x (the lock's) and 1.26.4. Declared but not tested: Python 3.10, 3.12, 3.13 and
torch 2.2 to 2.12.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder import cells
from autograder.catalog import ASSIGNMENTS

from conftest import ROOT, VENV, Build
from test_toc import toc_entries

# The set-up cell: the first code cell of every chapter (tagged remove-cell) and the start of
# every exercise's locked set-up cell. Change it here, then in each file (solutions/ and
# book/*.md), then `make exercises`; test_every_notebook_starts_with_the_set_up_cell checks it.
SETUP_CELL = '''\
# Set-up (not graded): installs the course package when this environment lacks it.
# Instructors: point PACKAGE at your course's copy (a package name, a wheel URL or a path).
PACKAGE = "activation-functions-course --find-links https://activation-functions-course.github.io/course/wheels/"
import importlib.util
if importlib.util.find_spec("autograder") is None:
    import subprocess, sys
    print(f"Installing {PACKAGE.split()[0]} with pip: a few minutes the first time.")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *PACKAGE.split()], check=True)
    importlib.invalidate_caches()'''  # noqa: E501 - one line of the cell is 101 characters
PACKAGE_LINE = re.compile(r'^PACKAGE = ".*"$', re.M)
SITE = "https://activation-functions-course.github.io/course/"

TOC_PAGES = toc_entries(yaml.safe_load((ROOT / "_toc.yml").read_text()))
# every page that is a notebook with code: the front page and the chapters
NOTEBOOK_PAGES = [p for p in TOC_PAGES if p == "book/intro" or re.fullmatch(r"book/ch\d\d_\w+", p)]
WHEELHOUSE = VENV / "wheelhouse"
OPT_WHEELS = Path("/opt/wheels")  # torch's CPU wheel on this machine (pip's find-links)
NUMPY_OLD = "1.26.4"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


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


def built_wheel() -> Path:
    """Build the wheel with ``make wheel`` (once per session) and return its path."""
    if not _WHEEL:
        stamp = VENV / ".installed"
        proc = subprocess.run(["make", "-s", "-C", str(ROOT), "wheel", f"VENV={VENV}",
                               "-o", str(stamp)], capture_output=True, text=True)
        assert proc.returncode == 0, f"make wheel failed:\n{proc.stdout}{proc.stderr}"
        _WHEEL.append(ROOT / "dist" / f"activation_functions_course-{version()}-py3-none-any.whl")
    assert _WHEEL[0].is_file(), f"make wheel did not write {_WHEEL[0]}"
    return _WHEEL[0]


_WHEEL: list[Path] = []


def can_unshare_network() -> bool:
    """Whether this process may start programs in a new network namespace (root can)."""
    try:
        return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@dataclass
class StudentEnv:
    """A fresh virtual environment and the way to run its kernel offline."""

    root: Path
    numpy: str
    install_seconds: float = 0.0
    env: dict[str, str] = field(default_factory=dict)
    argv_prefix: tuple[str, ...] = ()
    _kernels: int = 0

    @property
    def python(self) -> Path:
        return self.root / "venv" / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.root / "venv" / "lib" / version / "site-packages"

    def kernel_manager(self) -> KernelManager:
        """A manager for one kernel of this environment, on Unix sockets (no TCP)."""
        self._kernels += 1
        specs = self.root / "kernels"
        spec = specs / "student"
        if not spec.is_dir():
            spec.mkdir(parents=True)
            argv = [*self.argv_prefix, str(self.python), "-m", "ipykernel_launcher",
                    "-f", "{connection_file}"]
            (spec / "kernel.json").write_text(json.dumps(
                {"argv": argv, "display_name": "student", "language": "python"}))
        return KernelManager(kernel_name="student", transport="ipc",
                             ip=str(self.root / f"k{self._kernels}"),
                             kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]))

    @contextmanager
    def kernel(self, nb: nbformat.NotebookNode, folder: Path) -> Iterator[NotebookClient]:
        """A client with a running kernel whose working directory is ``folder``; the kernel is
        shut down afterwards (nbclient leaves alone a kernel manager it did not create)."""
        km = self.kernel_manager()
        client = NotebookClient(nb, km=km, timeout=900, allow_errors=True,
                                resources={"metadata": {"path": str(folder)}})
        try:
            with client.setup_kernel(env=self.env):
                yield client
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)

    def run(self, nb: nbformat.NotebookNode, folder: Path) -> None:
        """Run every cell of ``nb`` in a new kernel, going on past errors."""
        with self.kernel(nb, folder) as client:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)

    def pip(self, *args: str) -> None:
        proc = subprocess.run([str(self.python), "-m", "pip", *args], env=self.env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stderr[-3000:]}"


def make_env(root: Path) -> StudentEnv:
    """A venv holding ipykernel, then the course package installed
    by the set-up cell itself, run in that venv's kernel with pip pointed at local files.
    Takes a minute or two: torch alone unpacks to about 1 GB."""
    if not (WHEELHOUSE / ".complete").is_file():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run `make wheelhouse` (make test does)")
    wheel_dir = root / "dist"
    wheel_dir.mkdir(parents=True)
    shutil.copy2(built_wheel(), wheel_dir)
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8",
        "MPLBACKEND": "agg", "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_NO_INDEX": "1",  # never an index: only the folders below
        "PIP_FIND_LINKS": f"{WHEELHOUSE} {wheel_dir} {OPT_WHEELS}",
        "PIP_NO_COMPILE": "0",  # pip reads this as --no-compile (saves a minute on torch)
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CONFIG_FILE": "/dev/null",  # not this machine's pip.conf (its indexes)
    }
    student = StudentEnv(root, "", env=env,
                         argv_prefix=("unshare", "--net", "--") if can_unshare_network() else ())
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    student.pip("install", "--quiet", "ipykernel")

    setup = SETUP_CELL.replace(PACKAGE_LINE.search(SETUP_CELL).group(0),
                               'PACKAGE = "activation-functions-course"')  # the instructors' knob
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup)])
    folder = root / "setup"
    folder.mkdir()
    started = time.monotonic()
    student.run(nb, folder)
    student.install_seconds = time.monotonic() - started
    out = outputs(nb.cells[0])
    assert "Installing activation-functions-course" in out and "Error" not in out, out

    probe = ("import importlib.metadata as m, importlib.util as u; print(*(m.version(d) for d in "
             "('activation-functions-course', 'numpy', 'torch')), [p for p in ('nbgrader', "
             "'jupyter_book', 'pytest') if u.find_spec(p)])")
    found = subprocess.run([str(student.python), "-c", probe], env=env, capture_output=True,
                           text=True, check=True).stdout.split(maxsplit=3)
    assert found[0] == version()
    assert found[3].strip() == "[]", f"instructor or build tools in the student env: {found[3]}"
    student.numpy = found[1]
    print(f"\nstudent env: Python {sys.version.split()[0]}, numpy {found[1]}, torch {found[2]}, "
          f"package installed by the set-up cell in {student.install_seconds:.0f} s")
    return student


def numpy_overlay(root: Path, base: StudentEnv, numpy: str) -> StudentEnv:
    """A second venv that differs from ``base`` only in NumPy: its own site-packages holds
    NumPy ``numpy`` alone and a ``.pth`` file puts ``base``'s site-packages after it, so every
    other package is the same build as in ``base`` (what pip would install again: the same
    versions accept NumPy 1.26). Seconds instead of a second full install."""
    root.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True)
    student = StudentEnv(root, numpy, env=base.env, argv_prefix=base.argv_prefix)
    site, base_site = student.site_packages, base.site_packages
    base.pip("install", "--quiet", "--no-deps", "--target", str(site), f"numpy=={numpy}")
    (site / "zz_student_env_base.pth").write_text(f"{base_site}\n")
    found = subprocess.run([str(student.python), "-c", "import numpy, autograder, bookkit; "
                            "print(numpy.__version__)"], env=base.env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert found == numpy, f"the overlay imports NumPy {found}, not {numpy}"
    return student


# ------------------------------------------------------------------- running notebooks


def outputs(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell showed: streams, results and the error (without colours)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(ANSI.sub("", "\n".join(out.traceback)) + "\n")
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [outputs(c) for c in nb.cells if c.cell_type == "code"
            and any(o.output_type == "error" for o in c.get("outputs", []))]


def filled(assignment: str) -> nbformat.NotebookNode:
    """The release with every answer cell replaced by the reference answer (by grade_id)."""
    nb = nbformat.read(release(assignment), as_version=4)
    reference = cells.answers(nbformat.read(
        ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4))
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


def run_download(student: StudentEnv, notebook: Path, workdir: Path) -> nbformat.NotebookNode:
    """Copy a downloaded notebook alone into an empty folder and run all of it."""
    folder = workdir / notebook.stem
    folder.mkdir(parents=True)
    shutil.copy2(notebook, folder)
    nb = nbformat.read(folder / notebook.name, as_version=4)
    student.run(nb, folder)
    return nb


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
    results: dict[str, object]  # "<env> exercise <assignment>", "numpy2 download <page>"


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory, built_book: Build) -> Runs:
    """Both environments, and every notebook run in them, two kernels at a time: the chapter
    downloads first, then each exercise in each environment, the later (longer) ones first so
    that the two kernels finish close together."""
    root = tmp_path_factory.mktemp("student")
    started = time.monotonic()
    envs = {"numpy2": make_env(root / "numpy2")}
    envs["numpy1"] = numpy_overlay(root / "numpy1", envs["numpy2"], NUMPY_OLD)
    print(f"environments ready in {time.monotonic() - started:.0f} s")
    jobs: dict[str, Callable[[], object]] = {}
    for page in reversed(NOTEBOOK_PAGES):
        download = built_book.html / "_sources" / f"{page}.ipynb"
        jobs[f"numpy2 download {page}"] = (
            lambda d=download: run_download(envs["numpy2"], d, root / "downloads"))
    for name, env in envs.items():
        for a in reversed(ASSIGNMENTS):
            jobs[f"{name} exercise {a}"] = (
                lambda a=a, env=env, name=name: run_exercise(env, a, root / name / "exercises"))
    started = time.monotonic()
    results = run_all(jobs)
    print(f"{len(jobs)} notebooks run in {time.monotonic() - started:.0f} s, two at a time")
    return Runs(envs, results)


# ---------------------------------------------------------------------------- slow: tests


@pytest.mark.slow
@pytest.mark.parametrize("env", ["numpy2", "numpy1"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_exercise_reports_every_check_as_not_implemented(student: Runs, env: str,
                                                               assignment: str):
    run = result(student.results, f"{env} exercise {assignment}")
    numpy = student.envs[env].numpy
    setup = first_code_cell(run.blank)
    assert outputs(setup) == "", f"the set-up cell printed (it should find the package):\n" \
                                 f"{outputs(setup)}"
    checks = [c for c in run.blank.cells if cells.is_test(c)]
    assert [nbgrader_meta(c)["grade_id"] for c in checks] == \
        [i.grade_id for i in ASSIGNMENTS[assignment]]
    for cell in checks:
        shown = outputs(cell)
        assert shown.startswith("FAILED") and "not implemented yet" in shown, (
            f"numpy {numpy}, {nbgrader_meta(cell)['grade_id']}:\n{shown}")


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
def test_downloaded_chapter_runs_in_the_student_env(student: Runs, page: str):
    """The .ipynb the site offers for the page starts with the set-up cell and runs, alone in
    an empty folder, in the student's environment."""
    nb = result(student.results, f"numpy2 download {page}")
    assert first_code_cell(nb).source == SETUP_CELL
    assert not errors(nb), "\n".join(errors(nb))[-3000:]


@pytest.mark.slow
def test_the_site_serves_the_wheel_to_pip(built_book: Build, tmp_path: Path):
    """<site>/wheels/ is a pip find-links page for the wheel: pip finds the package there."""
    page = built_book.html / "wheels" / "index.html"
    name = f"activation_functions_course-{version()}-py3-none-any.whl"
    assert f'href="{name}"' in page.read_text()
    assert (page.parent / name).is_file()
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-index", "--no-deps",
         "--find-links", str(page), "-d", str(tmp_path), "activation-functions-course"],
        capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"})
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
