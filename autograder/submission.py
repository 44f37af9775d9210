"""Loading a submitted notebook: the released (pristine) notebook's cells, and a student's
answer cells picked out of a submission.

Only the answer cells come from the student: they are found by their nbgrader ``grade_id`` or,
when a student's editor stripped the metadata, by the functions and classes they define. Every
other cell comes from the course's released notebook (:mod:`autograder.grading.rebuild`). The
file is read, never written, and a notebook that cannot be read yields a clear reason instead
of an exception.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MAX_BYTES = 20 * 1024 * 1024
MAGIC = re.compile(r"^(\s*)[%!].*$", re.M)


@dataclass(frozen=True)
class Pristine:
    """The released notebook's setup cells and answer cells (grade_id -> names defined)."""

    cells: tuple[tuple[str, str], ...]  # ("setup", source) or (grade_id, stub source)
    defines: Mapping[str, frozenset[str]]

    @classmethod
    def from_notebook(cls, nb: Mapping[str, Any]) -> Pristine:
        cells, defines = [], {}
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code":
                continue
            source = _text(cell.get("source", ""))
            if meta.get("solution"):
                cells.append((meta["grade_id"], source))
                defines[meta["grade_id"]] = frozenset(definitions(source))
            elif meta.get("locked") and not meta.get("grade"):
                cells.append(("setup", source))
        return cls(tuple(cells), defines)

    @property
    def answer_ids(self) -> list[str]:
        return [grade_id for grade_id, _ in self.cells if grade_id != "setup"]


@dataclass(frozen=True)
class Submission:
    """A student's answers, or why there are none."""

    path: Path | None
    answers: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # answer cells not found
    notes: tuple[str, ...] = ()
    digest: str = ""
    problem: str | None = None  # the notebook is missing or unreadable
    status: Literal["missing", "error"] = "error"  # for every item when there is a problem


def definitions(source: str) -> set[str]:
    """Names of the functions and classes a cell defines at top level."""
    try:
        tree = ast.parse(strip_magics(source))
    except (SyntaxError, ValueError):
        return set()
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def strip_magics(source: str) -> str:
    """IPython line magics and shell escapes (``%matplotlib inline``, ``!pip``) become ``pass``;
    a cell magic's first line (``%%time``) is dropped, keeping its body."""
    if source.lstrip().startswith("%%"):
        source = source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""
    return MAGIC.sub(lambda m: f"{m.group(1)}pass", source)


def _text(source: Any) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def find_notebook(folder: Path, assignment: str) -> tuple[Path | None, str | None]:
    """The notebook to grade in a student's folder, and a note when it was renamed."""
    expected = folder / f"{assignment}.ipynb"
    if expected.is_file():
        return expected, None
    if not folder.is_dir():
        return None, None
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(others) == 1:
        return others[
            0
        ], f"graded {others[0].name}, the only notebook in the folder (expected {expected.name})"
    return None, None


def load(folder: Path, assignment: str, pristine: Pristine) -> Submission:
    """Read a student's submission folder and pick out the answer cells."""
    path, renamed = find_notebook(folder, assignment)
    return read(path, assignment, pristine, renamed)


def read(
    path: Path | None, assignment: str, pristine: Pristine, renamed: str | None = None
) -> Submission:
    """Read the submitted notebook ``path`` (None: nothing was submitted) and pick out the
    answer cells; ``renamed`` is a note saying the notebook was found under another name."""
    if path is None:
        return Submission(
            None, problem=f"no notebook {assignment}.ipynb was submitted", status="missing"
        )
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        return Submission(path, problem=f"the notebook could not be read ({exc.strerror})")
    digest = hashlib.sha256(data).hexdigest()
    notes: tuple[str, ...] = (renamed,) if renamed else ()
    if len(data) > MAX_BYTES:
        return Submission(
            path,
            digest=digest,
            notes=notes,
            problem=f"the notebook is larger than {MAX_BYTES // 2**20} MB",
        )
    if not data.strip():
        return Submission(path, digest=digest, notes=notes, problem="the notebook file is empty")
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Submission(
            path,
            digest=digest,
            notes=notes,
            problem=f"the notebook is not UTF-8 text (byte {exc.start})",
        )
    except json.JSONDecodeError as exc:
        return Submission(
            path,
            digest=digest,
            notes=notes,
            problem=f"the notebook is not valid JSON ({exc.msg}, line "
            f"{exc.lineno}); open it in Jupyter to repair it",
        )
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return Submission(
            path,
            digest=digest,
            notes=notes,
            problem="the file is JSON but not a notebook (no list of cells)",
        )
    answers, matched_by_names = match_answers(cells, pristine)
    if matched_by_names:
        notes += (
            f"found {', '.join(matched_by_names)} by the names defined (the cell's "
            "nbgrader metadata was missing)",
        )
    missing = tuple(g for g in pristine.answer_ids if g not in answers)
    return Submission(path, answers, missing, notes, digest)


def match_answers(cells: Sequence[Any], pristine: Pristine) -> tuple[dict[str, str], list[str]]:
    """grade_id -> source of the student's answer cells, and the ids matched by names."""
    answers: dict[str, str] = {}
    unclaimed: list[str] = []
    wanted = set(pristine.answer_ids)
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        source = _text(cell.get("source", ""))
        if grade_id in wanted:
            answers[grade_id] = source  # a duplicated cell: the last one wins, as in Jupyter
        elif grade_id is None:
            unclaimed.append(source)
    by_names = []
    for grade_id in pristine.answer_ids:
        names = pristine.defines.get(grade_id)
        if grade_id in answers or not names:
            continue
        candidates = [s for s in unclaimed if names <= definitions(s)]
        if candidates:
            answers[grade_id] = candidates[-1]
            by_names.append(grade_id)
    return answers, by_names
