"""The guides (book/students.md, book/instructors.md, book/exercises.md) and README.md name only
commands that exist, and the students' way in (download, set-up cell, Colab) matches the book.

Fast: the commands are read from the tools themselves (argument parsers, nbgrader's apps, the
Makefile), never run; no book is built (tests/test_book_build.py builds every toc page).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest
import yaml

from autograder.catalog import ASSIGNMENTS

from support.paths import ROOT
from support.student_env import SETUP_CELL
from support.toc import toc_entries, toc_pages

EXERCISE_TABLE = ROOT / "book" / "_ext" / "exercise_table.py"
DOCS = ("README.md", "book/students.md", "book/instructors.md", "book/exercises.md")


def code(doc: str) -> str:
    """The text of a Markdown file's code: fenced blocks and inline code spans."""
    text = (ROOT / doc).read_text()
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    spans = re.findall(r"`((?:[^`\n]|\n(?!\n))+)`", prose)  # a span may wrap, not a paragraph
    return "\n".join(fenced + spans)


def mentioned(pattern: str) -> dict[str, set[str]]:
    """Each doc -> the first group of every match of ``pattern`` in its code."""
    return {doc: set(re.findall(pattern, code(doc))) for doc in DOCS}


@cache
def autograder_options() -> dict[str, set[str]]:
    """``python -m autograder``'s subcommands -> their options, from its own parser."""
    from autograder.cli import parser

    (commands,) = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return {
        name: {o for a in sub._actions for o in a.option_strings}
        for name, sub in commands.choices.items()
    }


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):(?!=)", (ROOT / "Makefile").read_text(), flags=re.M))


def test_guides_sit_together_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    guides = [part for part in toc["parts"] if part.get("caption") == "Guides"]
    assert len(guides) == 1, "_toc.yml needs one part captioned 'Guides'"
    assert toc_entries(guides[0]) == ["book/students", "book/instructors"]


def test_autograder_subcommands_in_the_docs_exist():
    found = mentioned(r"python -m autograder ([a-z][\w-]*)")
    assert {"grade", "gradescope"} <= set().union(*found.values())
    for doc, names in found.items():
        unknown = names - autograder_options().keys()
        assert not unknown, f"{doc} names python -m autograder {unknown}, which do not exist"


def test_nbgrader_subcommands_in_the_docs_exist():
    from nbgrader.apps.nbgraderapp import NbGraderApp

    found = mentioned(r"(?m)(?:^|&& )\s*nbgrader ([a-z][a-z_]*)")  # commands, not prose
    assert {"validate", "export"} <= set().union(*found.values())
    for doc, names in found.items():
        unknown = names - set(NbGraderApp.subcommands)
        assert not unknown, f"{doc} names nbgrader {unknown}, which do not exist"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jupyter-book's use of click
def test_long_options_in_the_docs_exist():
    """Every ``--option`` in the docs' code belongs to a tool the docs use with it."""
    from jupyter_book.cli.main import build
    from nbgrader.apps import AutogradeApp, GenerateAssignmentApp
    from nbgrader.apps.dbapp import DbAssignmentAddApp

    known = set().union(*autograder_options().values())
    known |= {f"--{flag}" for app in (GenerateAssignmentApp, AutogradeApp) for flag in app.flags}
    known |= {f"--{alias}" for alias in DbAssignmentAddApp.aliases}
    known |= {o for p in build.params for o in p.opts}
    pip_help = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    known |= set(re.findall(r"--[a-z][a-z-]*", pip_help))
    for doc, options in mentioned(r"(?<![\w-])(--[a-z][a-z-]*)").items():
        unknown = options - known
        assert not unknown, f"{doc} mentions options no tool has: {sorted(unknown)}"


def test_make_targets_in_the_docs_exist():
    found = mentioned(r"\bmake ([a-z][\w-]*)")
    assert {"book", "test", "exercises", "publish"} <= set().union(*found.values())
    for doc, targets in found.items():
        unknown = targets - makefile_targets()
        assert not unknown, f"{doc} names make {unknown}, which the Makefile lacks"


def test_every_phony_target_has_a_rule_and_a_description():
    text = (ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY:(.*)$", text, flags=re.M)
    described = set(re.findall(r"^## ([a-z][\w-]*): \S", text, flags=re.M))
    for target in phony.split():
        assert target in makefile_targets(), f".PHONY lists {target}, which has no rule"
        assert target == "all" or target in described, f"no '## {target}: ...' comment"


@pytest.mark.parametrize("push", [None, "1"])
def test_make_publish_pushes_only_when_asked(push: str | None):
    args = ["make", "-n", "publish"] + ([f"PUSH={push}"] if push else [])
    plan = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    command = plan[plan.index("ghp-import") :].split("_build/html")[0]
    assert "--no-jekyll" in command and "--branch gh-pages" in command
    assert ("--push" in command) == bool(push)


def test_the_book_does_not_build_solutions_or_the_grader():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert {"solutions", "autograder", "tests"} <= set(config["exclude_patterns"])
    entries = toc_pages()
    assert all(Path(e).parts[0] in ("book", "exercises") for e in entries), entries


def test_the_check_reports_in_the_students_guide_are_what_check_prints(capsys):
    """The PASSED line and the failure report quoted in book/students.md are the real output
    of ``check`` on a right answer and on ``return max(0, x)``."""
    from autograder import check

    text = (ROOT / "book/students.md").read_text()
    (report,) = re.findall(r"^```text\n(FAILED .*?)^```", text, flags=re.S | re.M)
    (passed,) = re.findall(r"`(PASSED [^`]+)`", text)

    def wrong(x):
        return max(0, x)

    def right(x):
        return x if x > 0 or x != x else 0.0

    with pytest.raises(AssertionError) as failed:
        check("relu_scalar_edge", wrong)
    assert failed.value._render_traceback_() == report.splitlines()  # what the cell shows
    check("relu_scalar_core", right)
    assert capsys.readouterr().out == passed + "\n"


def test_the_exchange_folder_in_the_guide_is_nbgraders_default():
    from nbgrader.exchange.default.exchange import Exchange

    text = (ROOT / "book/instructors.md").read_text()
    (default,) = re.findall(r"\(by default\s+`([^`]+)`", text)
    assert default == Exchange.root.default_value


def test_the_students_guide_starts_from_the_download():
    """Downloading the notebook comes first and cloning the repository is the alternative."""
    text = (ROOT / "book/students.md").read_text()
    headings = re.findall(r"^#{2,3} (.+)$", text, flags=re.M)
    assert headings[:3] == ["Get the notebook", "Run the set-up cell", "Or clone the repository"]
    assert "{ref}`exercises`" in text.split("## Run the set-up cell")[0]


def test_the_guides_install_what_the_set_up_cell_installs():
    """The ``pip install`` line in the students' guide names this project's package and the
    wheel page the notebooks' set-up cell installs from."""
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    (package,) = re.findall(r'^PACKAGE = "(.*)"$', SETUP_CELL, flags=re.M)
    installs = re.findall(
        r"^pip install (\S+) jupyterlab (--find-links \S+)$", code("book/students.md"), flags=re.M
    )
    assert installs == [(name, package.split(" ", 1)[1])]
    assert package.split()[0] == name


def test_the_exercises_page_opens_each_notebook_in_colab():
    """Each exercise's Colab link, in the table the build writes into book/exercises.md
    (book/_ext/exercise_table.py), opens it from the branch the book's workflow publishes to."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    colab = config["sphinx"]["config"]["colab_notebooks"]
    spec = importlib.util.spec_from_file_location("exercise_table", EXERCISE_TABLE)
    assert spec is not None and spec.loader is not None
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    assert extension.MARKER in (ROOT / "book/exercises.md").read_text()
    links = re.findall(r"\[Open in Colab\]\(([^)]+)\)", extension.table(ROOT, colab))
    assert links == [f"{colab}/exercises/{a}/{a}.ipynb" for a in ASSIGNMENTS]
    branch = colab.rsplit("/blob/", 1)[1]
    workflow = (ROOT / ".github/workflows/book.yml").read_text()
    assert f"--branch {branch}" in workflow and "cp -r exercises _build/notebooks/" in workflow
