"""Reading nbgrader notebooks: which cells are setup, answers and graded tests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

CHECK_CALL = re.compile(r'check\("(?P<grade_id>[\w.-]+)",\s*(?P<args>[^)]*?)(?:,\s*hidden=True)?\)')


@dataclass(frozen=True)
class TestCell:
    """A graded test cell: its ``grade_id``, points and the names its ``check`` call passes."""

    grade_id: str
    points: float
    source: str

    @property
    def targets(self) -> tuple[str, ...]:
        match = CHECK_CALL.search(self.source)
        if match is None:
            return ()
        return tuple(a.strip() for a in match["args"].split(",") if a.strip())


def read(path: str | Path) -> nbformat.NotebookNode:
    notebook: nbformat.NotebookNode = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
    return notebook


def nbgrader(cell: Mapping[str, Any]) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def is_answer(cell: Mapping[str, Any]) -> bool:
    return cell["cell_type"] == "code" and bool(nbgrader(cell).get("solution"))


def is_test(cell: Mapping[str, Any]) -> bool:
    meta = nbgrader(cell)
    return cell["cell_type"] == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_setup(cell: Mapping[str, Any]) -> bool:
    """A locked code cell that is neither an answer nor a test: imports the answers rely on."""
    meta = nbgrader(cell)
    return (
        cell["cell_type"] == "code"
        and bool(meta.get("locked"))
        and not meta.get("grade")
        and not meta.get("solution")
    )


def answers(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``grade_id`` -> source of every answer cell, in notebook order."""
    return {nbgrader(c)["grade_id"]: c["source"] for c in nb.cells if is_answer(c)}


def tests(nb: nbformat.NotebookNode) -> list[TestCell]:
    return [
        TestCell(nbgrader(c)["grade_id"], float(nbgrader(c).get("points", 0)), c["source"])
        for c in nb.cells
        if is_test(c)
    ]


def setup_sources(nb: nbformat.NotebookNode) -> list[str]:
    return [c["source"] for c in nb.cells if is_setup(c)]


def program(nb: nbformat.NotebookNode, overrides: Mapping[str, str] | None = None) -> str:
    """The code that defines a notebook's answers: its setup cells, then its answer cells.

    ``overrides`` replaces answer cells by ``grade_id`` (a student's answers, or a catalog
    entry). Cells run in notebook order, as they would in Jupyter.
    """
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(answers(nb))
    if unknown:
        raise KeyError(f"no answer cell with grade_id {sorted(unknown)}")
    parts = []
    for cell in nb.cells:
        if is_setup(cell):
            parts.append(cell["source"])
        elif is_answer(cell):
            parts.append(overrides.get(nbgrader(cell)["grade_id"], cell["source"]))
    return "\n\n".join(parts)


def define(nb: nbformat.NotebookNode, overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run :func:`program` in a fresh namespace and return it (trusted notebooks only)."""
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    exec(compile(program(nb, overrides), "<notebook>", "exec"), namespace)  # noqa: S102
    return namespace
