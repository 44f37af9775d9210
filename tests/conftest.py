"""Fixtures shared by the test suite: the student's environment, one real build of the book
(whose chapters run in that environment's kernel) and a headless browser. The helpers and
constants the tests share live in ``tests/support/``; no test imports this file.

The student environment and the book build take minutes, mostly waiting on one kernel, so
they start in the background with the session's first test when a selected test needs them,
and the modules that use them run last: the build overlaps the tests before them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from support.book import (
    Build,
    InBackground,
    make_book,
    stop_builds,
    student_tree,
    uses_fixtures,
)
from support.browser import CHROMIUM, CHROMIUM_FLAGS
from support.student_env import StudentEnv, built_wheel, make_env

BOOK_FIXTURES = {"student_env", "built_book"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with a test that needs the student environment or the book build run
    after all the others, in their usual order (a module stays whole: its module-scoped
    fixtures are made once)."""
    late = {getattr(i, "module", None) for i in items if uses_fixtures(i, BOOK_FIXTURES)}
    items[:] = [i for i in items if getattr(i, "module", None) not in late] + [
        i for i in items if getattr(i, "module", None) in late
    ]


@pytest.fixture(scope="session", autouse=True)
def _start_book_build(request: pytest.FixtureRequest) -> Iterator[None]:
    """With the session's first test, start what a selected test will need: the student
    environment, then the book build. A session that ends first stops the build."""
    items = request.session.items
    if any(uses_fixtures(item, {"built_book"}) for item in items):
        request.getfixturevalue("_book_in_background")
    elif any(uses_fixtures(item, {"student_env"}) for item in items):
        request.getfixturevalue("_student_env_in_background")
    yield
    stop_builds()


@pytest.fixture(scope="session")
def _student_env_in_background(
    tmp_path_factory: pytest.TempPathFactory,
) -> InBackground[StudentEnv]:
    root = tmp_path_factory.mktemp("student-env")
    built_wheel()  # here, not in the thread: make wheel writes into the repository's tree
    return InBackground(lambda: make_env(root), name="student-env")


@pytest.fixture(scope="session")
def _book_in_background(
    tmp_path_factory: pytest.TempPathFactory, _student_env_in_background: InBackground[StudentEnv]
) -> InBackground[Build]:
    tree = tmp_path_factory.mktemp("book") / "repo"

    def build() -> Build:
        student_tree(tree)
        return make_book(tree, kernel=_student_env_in_background.result().python)

    return InBackground(build, name="book-build")


@pytest.fixture(scope="session")
def student_env(_student_env_in_background: InBackground[StudentEnv]) -> StudentEnv:
    """A fresh virtual environment with only ipykernel, into which the set-up cell installed
    the course package from its wheel, offline (``tests/support/student_env.py``)."""
    student = _student_env_in_background.result()
    print(f"\n{student.summary}")
    return student


@pytest.fixture(scope="session")
def built_book(_book_in_background: InBackground[Build]) -> Build:
    """The book built with a fresh execution cache from the student repository generated from
    this one (``make student-repo``, then its own ``make book``): the site the course publishes
    is built from what students get, and its chapters run in the student environment's kernel,
    as a downloaded chapter does. ``tree`` is that student repository, so it has no
    ``solutions/``, grader or instructor tests; take those from ``support.paths.ROOT``."""
    return _book_in_background.result()


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
