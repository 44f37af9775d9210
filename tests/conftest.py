"""Fixtures shared by the test suite: the repository root, the student's environment and one
real build of the book, whose chapters run in that environment's kernel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from student_env import StudentEnv, make_env
from test_figure_data import figure_audit_env

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's launch() already starts from a fresh, empty --user-data-dir. Without the
# networking flags Chromium tries to reach Google's services as it starts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VENV = Path(sys.prefix)
# Not part of a clean tree: build output, caches, the environment and version control.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    "_build",
    ".git",
    ".pytest_cache",
    "__pycache__",
    ".ruff_cache",
    "*.egg-info",
    ".ipynb_checkpoints",
)


@dataclass(frozen=True)
class Build:
    """The outcome of ``make book`` in a copy of the repository or a generated student tree."""

    tree: Path
    returncode: int
    output: str

    @property
    def html(self) -> Path:
        return self.tree / "_build" / "html"


def copy_tree(dest: Path) -> Path:
    """Copy the repository's source files (no build output, no .venv) to ``dest``."""
    shutil.copytree(ROOT, dest, ignore=NOT_SOURCE)
    return dest


def make_book(tree: Path, kernel: Path | None = None) -> Build:
    """Run the real ``make book`` in ``tree`` with this test run's environment.

    The environment is already installed (this test runs inside it), so make is told to take
    the install stamp as up to date instead of installing again into the copy. With ``kernel``
    (a Python interpreter), the chapters execute in that interpreter's kernel: a ``python3``
    kernelspec on ``JUPYTER_PATH``, ahead of this environment's own. Every kernel records its
    ``sys.prefix`` (:func:`kernel_prefixes`).
    """
    stamp = VENV / ".installed"
    cmd = ["make", "-C", str(tree), "book", f"VENV={VENV}", "-o", str(stamp)]
    # every figure's plotted data are audited while the book executes (tests/test_figure_data.py)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **figure_audit_env(tree)}
    startup = Path(env["IPYTHONDIR"]) / "profile_default" / "startup"
    (startup / "01-kernel-prefix.py").write_text(
        "import sys\n"
        f"with open({str(prefixes_path(tree))!r}, 'a', encoding='utf-8') as _f:\n"
        "    _f.write(sys.prefix + '\\n')\n",
        encoding="utf-8",
    )
    if kernel is not None:
        spec = tree.parent / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [str(kernel), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (student environment)",
                    "language": "python",
                }
            )
        )
        env["JUPYTER_PATH"] = str(spec.parent.parent)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    return Build(tree, proc.returncode, proc.stdout + proc.stderr)


def prefixes_path(tree: Path) -> Path:
    return tree.parent / "kernel-prefixes.txt"


def kernel_prefixes(tree: Path) -> list[str]:
    """The ``sys.prefix`` of every kernel that ran while the book in ``tree`` was built."""
    path = prefixes_path(tree)
    return path.read_text(encoding="utf-8").split() if path.is_file() else []


def student_tree(dest: Path) -> Path:
    """Generate the public student repository of this one (``make student-repo``) in ``dest``."""
    from autograder.student_repo import generate  # imported here: it imports the whole package

    generate(dest, ROOT)
    return dest


@pytest.fixture(scope="session")
def student_env(tmp_path_factory: pytest.TempPathFactory) -> StudentEnv:
    """A fresh virtual environment with only ipykernel, into which the set-up cell installed
    the course package from its wheel, offline (``tests/student_env.py``)."""
    return make_env(tmp_path_factory.mktemp("student-env"))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory, student_env: StudentEnv) -> Build:
    """The book built with a fresh execution cache from the student repository generated from
    this one (``make student-repo``, then its own ``make book``): the site the course publishes
    is built from what students get, and its chapters run in the student environment's kernel,
    as a downloaded chapter does. ``tree`` is that student repository, so it has no
    ``solutions/``, grader or instructor tests; take those from :data:`ROOT`."""
    tree = student_tree(tmp_path_factory.mktemp("book") / "repo")
    return make_book(tree, kernel=student_env.python)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium per test module (the browser tests of the book, JupyterLab
    and formgrader): skipped when missing, but failed under CI=true, where .ci/run installs it."""
    if not Path(CHROMIUM).is_file():
        message = f"no Chromium at {CHROMIUM}: install Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (.ci/run installs it when CI=true)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield instance
        instance.close()
