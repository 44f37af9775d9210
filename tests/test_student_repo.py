"""The public student repository, the licences and the citation, and the rule that no answer
line of ``solutions/`` reaches students.

An *answer line* is a line of an answer region of an instructor notebook (between ``### BEGIN
SOLUTION`` and ``### END SOLUTION``, or ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
TESTS``), with its whitespace collapsed, that has at least :data:`MIN_CHARS` non-space
characters (so ``return x``, ``)`` or ``else:`` do not count) and that the released notebooks do
not show themselves (a constant a contract gives, ``with torch.no_grad():`` in a given cell).
Every file students get is read: each member of the wheel, each file of the generated student
repository and each file of the built site (HTML with its tags removed, notebooks and JSON by
their strings, archives by their members); an answer line found anywhere in one is a leak,
except the lines of :data:`PUBLISHED_ON_PURPOSE` in the files named there.
"""

from __future__ import annotations

import ast
import html
import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.student_repo import (
    INSTRUCTOR_ONLY_PACKAGES,
    MARKER,
    StudentRepoError,
    generate,
    student_modules,
    student_requirements,
)

from support.book import Build, student_tree
from support.paths import ROOT, VENV, copy_tree

MIN_CHARS = 20
REGIONS = {
    "### BEGIN SOLUTION": "### END SOLUTION",
    "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS",
}
# Answer lines the course shows on purpose, with the files (a regex on the path) where they may
# appear and why. Anywhere else they are leaks.
PUBLISHED_ON_PURPOSE: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        [
            "ctx.save_for_backward(x)",
            "(x,) = ctx.saved_tensors",
            "return torch.where(x > 0, grad_output, torch.zeros_like(grad_output))",
        ],
        (
            r"ch02_relu",
            "Chapter 2 teaches MyReLU, which is Exercise 2's ReLUFunction (the "
            "instructors' guide says so)",
        ),
    ),
    "def hook(module, inputs, output):": (
        r".",
        "the signature PyTorch documents for a forward hook, not an answer",
    ),
}
# The checks compute some expected values with the reference's own expression. These lines are
# public in autograder/checks/ (the wheels, the student repository) until the checks are
# rewritten; test_checks_do_not_repeat_the_reference_solution fails (as expected) meanwhile.
STUDENT_TOP_LEVEL = {
    ".github",
    ".gitignore",
    MARKER,
    "CITATION.cff",
    "LICENSE",
    "LICENSE-CONTENT",
    "Makefile",
    "README.md",
    "_config.yml",
    "_toc.yml",
    "autograder",
    "book",
    "exercises",
    "pyproject.toml",
    "requirements.txt",
    "tests",
}
GRADER_ONLY = [
    "sandbox.py",
    "grading/__init__.py",
    "cli.py",
    "__main__.py",
    "grading/gradebook.py",
    "gradescope.py",
    "exchange.py",
    "autograded.py",
    "ownership.py",
    "wire.py",
    "cells.py",
    "student_repo.py",
]


# ---------------------------------------------------------------------------------------------
# The scanner


def normalize(text: str) -> str:
    return " ".join(text.split())


def answer_lines(root: Path = ROOT) -> dict[str, str]:
    """Every answer line of ``root/solutions`` (see the module docstring), normalized, mapped to
    the notebook and cell it comes from."""
    released = normalize(
        "\n".join(
            text
            for path in sorted(root.glob("exercises/*/*.ipynb"))
            for _, text in texts(path.name, path.read_bytes())
        )
    )
    lines: dict[str, str] = {}
    for path in sorted(root.glob("solutions/*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            end = None
            for raw in cell.source.splitlines():
                line = normalize(raw)
                if end is None and line in REGIONS:
                    end = REGIONS[line]
                elif line == end:
                    end = None
                elif end and len(line.replace(" ", "")) >= MIN_CHARS and line not in released:
                    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
                    lines.setdefault(line, f"{path.relative_to(root)}, cell {grade_id}")
    return lines


def texts(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """The text students can read in the file ``name`` holding ``data``: archives by member,
    notebooks and JSON by their strings, HTML and XML with the tags removed (and as written),
    anything else that is UTF-8 as it is; binary files (images, fonts) yield nothing."""
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from texts(f"{name}!{member}", archive.read(member))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if name.endswith((".ipynb", ".json")):
        try:
            text = "\n".join(strings(json.loads(text)))
        except ValueError:
            pass
    elif name.endswith((".html", ".htm", ".xml", ".svg")):
        text += "\n" + html.unescape(re.sub(r"<[^>]*>", "", text))
    yield name, text


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@dataclass(frozen=True)
class Leak:
    where: str
    line: str
    source: str

    def __str__(self) -> str:
        return f"{self.where}: {self.line!r} (from {self.source})"


def leaks(
    files: Iterable[tuple[str, bytes]],
    answers: dict[str, str],
    allowed: dict[str, tuple[str, str]] | None = None,
) -> list[Leak]:
    """Each answer line found in ``files`` ((name, content) pairs), except where ``allowed``
    (line -> (regex on the name, reason)) permits it."""
    allowed = PUBLISHED_ON_PURPOSE if allowed is None else allowed
    found = []
    for name, data in files:
        for where, text in texts(name, data):
            flat = normalize(text)
            for line, source in answers.items():
                if line in flat and not re.search(allowed.get(line, ("(?!)",))[0], where):
                    found.append(Leak(where, line, source))
    return found


def tree_files(tree: Path, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, bytes]]:
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree)
        if path.is_file() and not any(part in skip for part in rel.parts):
            yield rel.as_posix(), path.read_bytes()


@pytest.fixture(scope="module")
def answers() -> dict[str, str]:
    found = answer_lines()
    assert len(found) >= 50, f"only {len(found)} answer lines in solutions/: is the scanner broken?"
    return found


def test_the_scanner_finds_a_planted_answer_line_in_every_kind_of_file(answers: dict[str, str]):
    line = next(iter(answers))
    indented = "    " + line.replace(" ", "  ")
    notebook = json.dumps({"cells": [{"source": ["x = 1\n", indented + "\n"]}]})
    page = "<pre>" + "".join(f'<span class="n">{html.escape(c)}</span>' for c in line) + "</pre>"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pkg/mod.py", f"def f():\n{indented}\n")
    planted = [
        ("a.py", f"def f():\n{indented}\n".encode()),
        ("b.ipynb", notebook.encode()),
        ("c.html", page.encode()),
        ("d.whl", archive.getvalue()),
        ("e.md", f"Some prose, then `{line}` inline.".encode()),
    ]
    where = {leak.where for leak in leaks(planted, {line: "planted"}, allowed={})}
    assert where == {"a.py", "b.ipynb", "c.html", "d.whl!pkg/mod.py", "e.md"}
    assert not leaks([("f.py", b"return x\nx = 1\n")], {line: "planted"}, allowed={})


def test_answer_lines_ignore_short_lines_and_what_the_release_shows(answers: dict[str, str]):
    assert all(len(line.replace(" ", "")) >= MIN_CHARS for line in answers)
    assert "with torch.no_grad():" not in answers, "a line the released notebook shows"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student package as ``make wheel`` builds it, in a clean copy of this repository."""
    tree = copy_tree(tmp_path_factory.mktemp("wheel") / "repo")
    subprocess.run(["rm", "-rf", str(tree / "dist")], check=True)
    proc = subprocess.run(
        ["make", "-C", str(tree), "wheel", f"VENV={VENV}", "-o", str(VENV / ".installed")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = (tree / "dist").glob("activation_functions_course-*.whl")
    return built


@pytest.mark.slow
def test_no_answer_line_is_in_the_wheel(wheel: Path, answers: dict[str, str]):
    found = leaks([(wheel.name, wheel.read_bytes())], answers, PUBLISHED_ON_PURPOSE)
    assert not found, "answer lines in the wheel:\n" + "\n".join(map(str, found))


def test_no_answer_line_is_in_the_student_repository(tmp_path: Path, answers: dict[str, str]):
    tree = student_tree(tmp_path / "repo")
    found = leaks(tree_files(tree), answers, PUBLISHED_ON_PURPOSE)
    assert not found, "answer lines in the student repository:\n" + "\n".join(map(str, found))


@pytest.mark.slow
def test_no_answer_line_is_in_the_built_site(built_book: Build, answers: dict[str, str]):
    assert built_book.returncode == 0, built_book.output[-3000:]
    assert (built_book.html / "wheels").is_dir(), "the site serves no wheel: nothing to read"
    found = leaks(tree_files(built_book.html), answers, PUBLISHED_ON_PURPOSE)  # its wheel's checks
    assert not found, "answer lines in the built site:\n" + "\n".join(map(str, found))


def test_checks_do_not_repeat_the_reference_solution(answers: dict[str, str]):
    checks = [
        (p.relative_to(ROOT).as_posix(), p.read_bytes())
        for p in sorted((ROOT / "autograder" / "checks").glob("*.py"))
    ]
    found = leaks(checks, answers)
    assert not found, "answer lines in autograder/checks:\n" + "\n".join(map(str, found))


def test_every_known_exception_is_still_an_answer_line(answers: dict[str, str]):
    stale = [line for line in PUBLISHED_ON_PURPOSE if line not in answers]
    assert not stale, f"no longer answer lines, remove them from this file's lists: {stale}"


# ---------------------------------------------------------------------------------------------
# What the student repository holds


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return student_tree(tmp_path_factory.mktemp("student") / "repo")


def test_student_repository_holds_the_allow_list_and_nothing_instructor_only(tree: Path):
    assert {p.name for p in tree.iterdir()} == STUDENT_TOP_LEVEL
    files = {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}
    assert not [f for f in files if f.startswith(("solutions/", "bench/", "tests/catalog"))]
    assert "nbgrader_config.py" not in files
    assert not [m for m in GRADER_ONLY if f"autograder/{m}" in files]
    modules = {f.removeprefix("autograder/") for f in files if f.startswith("autograder/")}
    assert modules == set(student_modules())
    tests = {f for f in files if f.startswith("tests/")}
    assert tests == {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_bookkit*.py")} | {
        "tests/test_released_exercises.py"
    }
    for name in [
        "book/ch02_relu.md",
        "exercises/ex02_relu/ex02_relu.ipynb",
        "_toc.yml",
        "autograder/checks/ex02_relu.py",
        "book/bookkit/training.py",
        "LICENSE",
    ]:
        assert (tree / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_published_autograder_modules_import_only_published_modules(tree: Path):
    published = {
        f"autograder.{m.removesuffix('.py').replace('/', '.')}".removesuffix(".__init__")
        for m in student_modules()
    }
    missing = []
    for module in sorted((tree / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "autograder":
                # `from autograder import x`: x is a module when autograder/x.py exists
                imported = [
                    f"autograder.{a.name}"
                    for a in node.names
                    if (ROOT / "autograder" / f"{a.name}.py").is_file()
                ]
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported = [node.module]
            else:
                continue
            missing += [
                f"{module.relative_to(tree)} imports {name}"
                for name in imported
                if name.startswith("autograder") and name not in published
            ]
    assert not missing, (
        "published modules import unpublished ones; add them to "
        "STUDENT_MODULES in autograder/student_repo.py if students need them:\n"
        + "\n".join(missing)
    )


def test_student_requirements_drop_only_what_no_student_package_needs(tree: Path):
    from importlib import metadata

    from packaging.requirements import Requirement

    kept = (tree / "requirements.txt").read_text()
    assert kept == student_requirements((ROOT / "requirements.txt").read_text())
    pins = [line.split("==")[0] for line in kept.splitlines() if "==" in line]
    needs = {}
    for name in pins:
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                needs.setdefault(req.name.lower(), name)
    dropped = {n for n in INSTRUCTOR_ONLY_PACKAGES if n in needs}
    assert not dropped, {n: needs[n] for n in dropped}
    assert not any(n.lower() in INSTRUCTOR_ONLY_PACKAGES for n in pins)


def test_generation_refuses_a_folder_it_did_not_write_and_keeps_git(tmp_path: Path):
    foreign = tmp_path / "foreign"
    (foreign / "notes").mkdir(parents=True)
    with pytest.raises(StudentRepoError, match="not empty .* was not generated"):
        generate(foreign)
    with pytest.raises(StudentRepoError, match="inside the instructor repository"):
        generate(ROOT / "book" / "public")
    with pytest.raises(StudentRepoError, match="is the instructor repository"):
        generate(ROOT)
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    generate(clone)
    (clone / "stale.txt").write_text("from last term")
    generate(clone)
    assert (clone / ".git" / "HEAD").is_file() and not (clone / "stale.txt").exists()


def test_make_student_repo_writes_dest(tmp_path: Path):
    proc = subprocess.run(
        [
            "make",
            "-C",
            str(ROOT),
            "student-repo",
            f"DEST={tmp_path / 'out'}",
            f"VENV={VENV}",
            "-o",
            str(VENV / ".installed"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Wrote the student repository" in proc.stdout
    assert (tmp_path / "out" / MARKER).is_file()


def test_student_makefile_offers_book_and_test(tree: Path):
    for target, command in [("book", "jupyter-book build ."), ("test", "-m pytest")]:
        proc = subprocess.run(
            ["make", "-n", "-C", str(tree), target, f"VENV={VENV}", "-o", str(VENV / ".installed")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and command in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
def test_student_repository_passes_its_own_tests(tree: Path):
    """Its fast tests, with this suite's environment and the tree's own packages first on the
    path; every test module is collected, so one that cannot import fails here too. (The
    bookkit tests are this suite's own files, byte for byte, and run in it.)"""
    env = {
        "PYTHONPATH": f"{tree}:{tree / 'book'}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": f"{VENV / 'bin'}:/usr/bin:/bin",
        "HOME": str(tree),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            "-k",
            "test_released_exercises",
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # one fast test per released notebook, and one that there are some
    released = len(list((tree / "exercises").glob("ex[0-9][0-9]_*/*.ipynb")))
    assert released >= 6, released
    assert re.search(rf"\b{released + 1} passed\b", proc.stdout), proc.stdout[-2000:]


@pytest.mark.slow
def test_the_published_site_is_built_from_the_student_repository(built_book: Build):
    assert (built_book.tree / MARKER).is_file()
    assert not (built_book.tree / "solutions").exists()
    assert not (built_book.tree / "nbgrader_config.py").exists()


# ---------------------------------------------------------------------------------------------
# Licences and citation


def test_licences_are_mit_for_code_and_cc_by_for_content():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    content = (ROOT / "LICENSE-CONTENT").read_text()
    for sentence in [
        "Creative Commons Attribution 4.0 International Public License",
        "Section 1 -- Definitions.",
        "Section 8 -- Interpretation.",
    ]:
        assert sentence in content
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "MIT" in footer and "CC BY 4.0" in footer
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert set(project["license-files"]) == {"LICENSE", "LICENSE-CONTENT"}


def test_citation_file_is_valid_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    for key in ["message", "title", "authors", "version", "license", "repository-code"]:
        assert cff.get(key), f"CITATION.cff lacks {key}"
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["version"] == project["version"], "CITATION.cff's version is the package's"


# ---------------------------------------------------------------------------------------------
# The instructors' guide


def guide_section() -> str:
    text = (ROOT / "book" / "instructors.md").read_text()
    start = text.index("## The public student repository")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_instructors_guide_describes_the_two_repository_workflow():
    section = guide_section()
    commands = re.findall(r"^(make [\w-]+.*|git \w+.*)$", section, flags=re.M)
    assert "make student-repo DEST=../course-public" in commands, commands
    for line in commands:
        if line.startswith("make "):
            target = line.split()[1]
            proc = subprocess.run(
                [
                    "make",
                    "-n",
                    "-C",
                    str(ROOT),
                    target,
                    "DEST=/tmp/student-repo-dry-run",
                    f"VENV={VENV}",
                    "-o",
                    str(VENV / ".installed"),
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert proc.returncode == 0, f"{line}: {proc.stderr}"
    for private in ["solutions/", "nbgrader_config.py", "bench/", "tests/catalog", "Gradescope"]:
        assert private in section, f"the guide does not say that {private} stays private"
