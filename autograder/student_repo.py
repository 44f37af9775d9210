"""Generate the public student repository from the private instructor repository.

    python autograder/student_repo.py DEST [--root ROOT]      (``make student-repo DEST=...``)

The contract:

- What goes public is an explicit allow-list (:data:`COPIED`, :data:`STUDENT_MODULES`,
  :data:`STUDENT_TESTS`): the book's sources (``book/``, ``_config.yml``, ``_toc.yml``), the
  released notebooks (``exercises/``), the package a student imports (the ``autograder`` check
  kit, without the grader, and ``book/bookkit``), the bookkit unit tests, the licences, the
  citation file and the book's GitHub workflow. A file that is on none of these lists is never
  published, so a new instructor-only file stays private until someone adds it here.
- Never published: ``solutions/``, ``nbgrader_config.py``, ``bench/``, the grader's modules
  (sandbox, the grading package, cli, gradescope, exchange, autograded, ownership, wire, cells),
  the instructor test suite and its ``tests/catalog`` of wrong answers, and ``.git``.
- Written for students (:func:`student_files`): ``README.md``, a ``Makefile`` (``make book``,
  ``make test``), a ``requirements.txt`` (the instructor lock without the instructor-only
  packages of :data:`INSTRUCTOR_ONLY_PACKAGES`), ``.gitignore`` and a test that runs every
  released notebook blank. ``pyproject.toml`` is copied: it declares the student package.
- ``DEST`` must be missing, empty (a ``.git`` alone counts as empty: a fresh clone of the public
  repository) or a tree this module generated before (it holds :data:`MARKER`). Everything in
  it except ``.git`` is replaced, so regenerating into a clone of the public repository and
  running ``git diff`` there shows exactly what a new term changes.

The generated tree builds the book with ``make book`` and passes ``make test`` on its own;
``tests/test_student_repo.py`` and the suite's book build (``tests/conftest.py``) check both.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".student-repo"
# Single files and whole folders published as they are (folders without caches or checkpoints).
COPIED = (
    "_config.yml",
    "_toc.yml",
    "pyproject.toml",
    "LICENSE",
    "LICENSE-CONTENT",
    "CITATION.cff",
    ".github/workflows/book.yml",
    "book",
    "exercises",
)
# The modules `from autograder import check` needs (policy imports submission.strip_magics),
# plus each released assignment's checks (checks/<assignment>.py, or every module of the package
# checks/<assignment>/), exercises/<assignment>/.
STUDENT_MODULES = (
    "__init__.py",
    "catalog.py",
    "forbidden.py",
    "items.py",
    "notebook.py",
    "policy.py",
    "report.py",
    "submission.py",
    "kit/__init__.py",
    "kit/cases.py",
    "kit/elementwise.py",
    "kit/gradcheck.py",
    "kit/model_state.py",
    "kit/models.py",
    "kit/rules.py",
    "kit/tensors.py",
    "kit/tolerance.py",
    "kit/values.py",
    "checks/__init__.py",
)
# The instructor suite's tests that are the student package's own unit tests.
STUDENT_TESTS = "test_bookkit*.py"
# Instructor-only top-level requirements (nothing a student package needs depends on them).
INSTRUCTOR_ONLY_PACKAGES = frozenset({"nbgrader", "playwright", "axe-playwright-python", "ruff"})
SKIPPED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc", ".DS_Store")


class StudentRepoError(Exception):
    """The student repository cannot be generated; the message says why and what to do."""


def generate(dest: Path, root: Path = ROOT) -> list[Path]:
    """Write the student repository of the instructor repository ``root`` into ``dest``.

    Returns the files written, relative to ``dest``, sorted. Raises :class:`StudentRepoError`
    when ``dest`` holds something this module did not generate, or a listed file is missing.
    """
    root, dest = root.resolve(), dest.resolve()
    _check_destination(dest, root)
    modules = student_modules(root)
    missing = [name for name in COPIED if not (root / name).exists()]
    missing += [f"autograder/{m}" for m in modules if not (root / "autograder" / m).exists()]
    if missing:
        raise StudentRepoError(
            f"the instructor repository {root} lacks {', '.join(missing)}: restore them, or take "
            "them off the allow-list in autograder/student_repo.py"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for name in COPIED:
        source, target = root / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=SKIPPED)
        else:
            shutil.copy2(source, target)
    for module in modules:
        (dest / "autograder" / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / "autograder" / module, dest / "autograder" / module)
    (dest / "tests").mkdir()
    for test in sorted((root / "tests").glob(STUDENT_TESTS)):
        shutil.copy2(test, dest / "tests" / test.name)
    for name, text in student_files(root).items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text, encoding="utf-8")
    return sorted(p.relative_to(dest) for p in _files(dest))


def student_modules(root: Path = ROOT) -> list[str]:
    """The ``autograder`` modules published, relative to ``autograder/``."""
    assignments = sorted(p.name for p in (root / "exercises").iterdir() if p.is_dir())
    checks = root / "autograder" / "checks"
    return [
        *STUDENT_MODULES,
        *(
            module
            for a in assignments
            for module in (
                sorted(f"checks/{a}/{p.name}" for p in (checks / a).glob("*.py"))
                if (checks / a).is_dir()
                else [f"checks/{a}.py"]
            )
        ),
    ]


def student_files(root: Path = ROOT) -> dict[str, str]:
    """The files written for students rather than copied, by path relative to the tree."""
    return {
        "README.md": README,
        "Makefile": MAKEFILE,
        "requirements.txt": student_requirements((root / "requirements.txt").read_text()),
        ".gitignore": GITIGNORE,
        "tests/test_released_exercises.py": RELEASED_EXERCISES_TEST,
        MARKER: (
            f"Generated by `make student-repo` from the instructor repository at "
            f"{_commit(root)}. Do not edit this repository by hand: edit the instructor "
            "repository and generate it again.\n"
        ),
    }


def student_requirements(lock: str) -> str:
    """The instructor lock ``lock`` without the lines of :data:`INSTRUCTOR_ONLY_PACKAGES`."""
    kept = []
    for line in lock.splitlines():
        name = re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0]
        if _canonical(name) not in INSTRUCTOR_ONLY_PACKAGES:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _check_destination(dest: Path, root: Path) -> None:
    if dest == root or root.is_relative_to(dest):
        raise StudentRepoError(
            f"{dest} is the instructor repository or contains it: choose an "
            "empty folder or a clone of the public student repository"
        )
    if dest.is_relative_to(root) and not dest.is_relative_to(root / "_build"):
        raise StudentRepoError(
            f"{dest} is inside the instructor repository: write the student "
            f"repository under {root / '_build'} or outside it"
        )
    if not dest.exists():
        return
    if not dest.is_dir():
        raise StudentRepoError(f"{dest} is a file: choose a folder")
    others = [p.name for p in dest.iterdir() if p.name != ".git"]
    if others and not (dest / MARKER).is_file():
        raise StudentRepoError(
            f"{dest} is not empty ({', '.join(sorted(others)[:5])}) and was not generated by "
            "make student-repo: choose an empty folder or a clone of the student repository"
        )


def _files(tree: Path) -> Iterator[Path]:
    for path in tree.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(tree).parts:
            yield path


def _commit(root: Path) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"commit {proc.stdout.strip()}" if proc.returncode == 0 else "an unversioned tree"


README = """\
# Activation Functions in Deep Learning: the student repository

An open course on the activation functions of neural networks: a [Jupyter
Book](https://jupyterbook.org) whose chapters run real PyTorch code, and one graded exercise
notebook per chapter with check cells that tell you at once whether your answer is right.

This repository is generated from the course team's repository by `make student-repo`: please
send corrections as issues rather than pull requests, since the next term replaces its files.

## What is here

```
book/          the chapters (MyST Markdown notebooks), the guides, book/bookkit (their helpers)
exercises/     the exercise notebooks, one folder per assignment
autograder/    the checks that the notebooks' check cells run (`from autograder import check`)
tests/         tests of the helpers and of the released notebooks (`make test`)
_config.yml, _toc.yml   the book's configuration and table of contents
```

## Do an exercise

Open the book's *For students* page (`book/students.md`, or the published book) for the whole
walk-through. In short: download a notebook from the book's *Exercises* page or take it from
`exercises/`, open it in Jupyter, replace `# YOUR CODE HERE` and `raise NotImplementedError()`
in each answer cell, and run the check cell under it.

## Build the book and run the tests

With Python 3.11 and `make`:

```bash
make book   # create .venv, install requirements.txt and this package, build _build/html
make test   # the same set-up, then the tests in tests/
```

`requirements.txt` pins the exact versions the course is tested with. On Linux, PyPI's PyTorch
is the large CUDA build; for the CPU build, first run
`export PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu`. `make clean` removes the
build output, `make distclean` also the environment.

## Licences and citation

The code is under the MIT licence (`LICENSE`); the prose, figures and exercise text are under
CC BY 4.0 (`LICENSE-CONTENT`). To cite the course, use `CITATION.cff` (GitHub's *Cite this
repository* button reads it).
"""

MAKEFILE = """\
# The student repository: `make book` builds the book, `make test` runs the tests. Both create
# .venv and install the pinned requirements first (again only when requirements.txt or
# pyproject.toml changed). Generated by `make student-repo` in the instructor repository.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB_FLAGS := --builder html -n -W --keep-going
export PATH := $(abspath $(BIN)):$(PATH)
# The course package (autograder + bookkit), which the book serves at <site>/wheels/
VERSION := $(shell sed -n 's/^version = "\\(.*\\)"/\\1/p' pyproject.toml)
WHEEL := dist/activation_functions_course-$(VERSION)-py3-none-any.whl
SITE_EXTRA := _build/site_extra

.PHONY: all book test wheel clean distclean

all: book

$(BIN)/python:
\t$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet -r requirements.txt
\t$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
\t$(BIN)/python -m pip check
\ttouch $@

## book: build the HTML book, executing every chapter (cached: unchanged chapters are not re-run)
book: $(STAMP) wheel
\trm -rf $(SITE_EXTRA) && mkdir -p $(SITE_EXTRA)/wheels
\tcp $(WHEEL) $(SITE_EXTRA)/wheels/
\tprintf '%s\\n' '<!DOCTYPE html>' '<html lang="en"><head><meta charset="utf-8">' \\
\t\t'<title>Wheels of the course package</title></head><body><main>' \\
\t\t'<h1>Wheels of the course package</h1>' \\
\t\t'<p>pip install activation-functions-course --find-links THIS-PAGE</p><ul>' \\
\t\t'<li><a href="$(notdir $(WHEEL))">$(notdir $(WHEEL))</a></li>' \\
\t\t'</ul></main></body></html>' > $(SITE_EXTRA)/wheels/index.html
\t$(BIN)/jupyter-book build . $(JB_FLAGS)
\t@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

## test: the tests of the helpers and of the released notebooks
test: $(STAMP)
\t$(BIN)/python -m pytest

## wheel: build the course package into dist/
wheel: $(STAMP)
\trm -rf build $(WHEEL)
\t$(BIN)/python -m pip wheel . --no-deps --no-build-isolation --quiet -w dist
\trm -rf build
\t@echo "Built $(WHEEL)"

## clean: remove build output (the HTML book and the execution cache)
clean:
\trm -rf _build dist build

## distclean: also remove the virtual environment
distclean: clean
\trm -rf $(VENV)
"""

GITIGNORE = """\
.venv/
_build/
dist/
build/
__pycache__/
*.egg-info/
.pytest_cache/
.ipynb_checkpoints/
# your working copies of the exercises (book/students.md)
/work/
"""

RELEASED_EXERCISES_TEST = '''\
"""Each released exercise notebook, run blank, reports every check as "not implemented yet".

The cells run in order in one in-process IPython shell, as in Jupyter: the set-up cell, the
blank answer cells and the check cells, each of which must fail with the not-implemented
report. The slow test also runs the ungraded explore cells, which may fail only with the blank
answers' NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("exercises/*/*.ipynb"))


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    yield InteractiveShell.instance(config=config)
    InteractiveShell.clear_instance()


def run_blank(shell: InteractiveShell, path: Path, explore: bool) -> int:
    """Run the blank notebook ``path`` (its explore cells too if ``explore``); assert that
    every check fails as not implemented and nothing else fails; return the number of checks."""
    shell.reset(new_session=True)
    checks = 0
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not (meta or explore):
            continue
        result = shell.run_cell(cell.source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        where = f"{path.name}, cell {meta.get('grade_id', '(explore)')}"
        if meta.get("grade") and not meta.get("solution"):
            checks += 1
            assert error is not None, f"{where}: a check passed on a blank answer"
            assert "not implemented yet" in str(error), f"{where}: {error}"
        else:
            assert error is None or isinstance(error, NotImplementedError), f"{where}: {error!r}"
    return checks


def test_there_are_released_notebooks():
    assert NOTEBOOKS, f"no notebooks in {ROOT / 'exercises'}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_blank_notebook_reports_every_check_as_not_implemented(
        shell: InteractiveShell, path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(path.parent)
    assert run_blank(shell, path, explore=False), f"{path.name} has no check cells"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_explore_cells_fail_only_on_the_blank_answers(
        shell: InteractiveShell, path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(path.parent)
    run_blank(shell, path, explore=True)
'''


def main(argv: list[str] | None = None) -> int:
    """Command line: generate the student repository and print where and how big it is."""
    parser = argparse.ArgumentParser(
        prog="python autograder/student_repo.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "dest",
        type=Path,
        help="folder to write (missing, empty, a clone of "
        "the student repository, or an earlier output)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the instructor repository")
    args = parser.parse_args(argv)
    try:
        files = generate(args.dest, args.root)
    except StudentRepoError as exc:
        print(f"student-repo: {exc}", file=sys.stderr)
        return 2
    size = sum((args.dest / f).stat().st_size for f in files)
    print(
        f"Wrote the student repository to {args.dest.resolve()}: {len(files)} files, "
        f"{size / 1e6:.1f} MB. Review it (git diff in a clone of the student repository), "
        "then commit and push."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
