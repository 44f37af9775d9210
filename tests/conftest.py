"""Fixtures shared by the test suite: the student's environment, one real build of the book
(whose chapters run in that environment's kernel) and a headless browser. The helpers and
constants the tests share live in ``tests/support/``; no test imports this file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from support.book import Build, make_book, student_tree
from support.browser import CHROMIUM, CHROMIUM_FLAGS
from support.student_env import StudentEnv, make_env


@pytest.fixture(scope="session")
def student_env(tmp_path_factory: pytest.TempPathFactory) -> StudentEnv:
    """A fresh virtual environment with only ipykernel, into which the set-up cell installed
    the course package from its wheel, offline (``tests/support/student_env.py``)."""
    return make_env(tmp_path_factory.mktemp("student-env"))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory, student_env: StudentEnv) -> Build:
    """The book built with a fresh execution cache from the student repository generated from
    this one (``make student-repo``, then its own ``make book``): the site the course publishes
    is built from what students get, and its chapters run in the student environment's kernel,
    as a downloaded chapter does. ``tree`` is that student repository, so it has no
    ``solutions/``, grader or instructor tests; take those from ``support.paths.ROOT``."""
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
