"""Fixtures shared by the test suite: the repository root and one real build of the book."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from test_figure_data import figure_audit_env

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's launch() already starts from a fresh, empty --user-data-dir. Without the
# networking flags Chromium tries to reach Google's services as it starts.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
VENV = Path(sys.prefix)
# Not part of a clean tree: build output, caches, the environment and version control.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", "_build", ".git", ".pytest_cache", "__pycache__", ".ruff_cache", "*.egg-info",
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


def make_book(tree: Path) -> Build:
    """Run the real ``make book`` in ``tree`` with this test run's environment.

    The environment is already installed (this test runs inside it), so make is told to take
    the install stamp as up to date instead of installing again into the copy.
    """
    stamp = VENV / ".installed"
    cmd = ["make", "-C", str(tree), "book", f"VENV={VENV}", "-o", str(stamp)]
    # every figure's plotted data are audited while the book executes (tests/test_figure_data.py)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **figure_audit_env(tree)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    return Build(tree, proc.returncode, proc.stdout + proc.stderr)


def student_tree(dest: Path) -> Path:
    """Generate the public student repository of this one (``make student-repo``) in ``dest``."""
    from autograder.student_repo import generate  # imported here: it imports the whole package

    generate(dest, ROOT)
    return dest


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The book built with a fresh execution cache from the student repository generated from
    this one (``make student-repo``, then its own ``make book``): the site the course publishes
    is built from what students get. ``tree`` is that student repository, so it has no
    ``solutions/``, grader or instructor tests; take those from :data:`ROOT`."""
    tree = student_tree(tmp_path_factory.mktemp("book") / "repo")
    return make_book(tree)


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
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield instance
        instance.close()
