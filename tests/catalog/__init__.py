"""Catalogs of student answers, wrong and right, one module per assignment.

Each module defines ``WRONG`` and ``RIGHT``. An entry replaces some answer cells (by their
nbgrader ``grade_id``) of the reference solution; the other answers stay the reference's.
A wrong entry names exactly the graded items it must lose; a right one must lose none.
"""

from __future__ import annotations

import importlib
import textwrap
from dataclasses import dataclass, field

import nbformat

from autograder import cells

from support.paths import ROOT


@dataclass(frozen=True)
class Wrong:
    """A plausible mistake: the answers that contain it and the items it must lose."""

    name: str
    answers: dict[str, str]
    loses: frozenset[str]
    status: str = "failed"  # or "forbidden" when the mistake is a forbidden call

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "answers", {k: textwrap.dedent(v).strip() + "\n" for k, v in self.answers.items()}
        )
        object.__setattr__(self, "loses", frozenset(self.loses))


@dataclass(frozen=True)
class Right:
    """A correct answer written differently from the reference: it must lose nothing."""

    name: str
    answers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "answers", {k: textwrap.dedent(v).strip() + "\n" for k, v in self.answers.items()}
        )


def notebook_with(assignment: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with some answer cells filled in, as a student would submit it."""
    nb = cells.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    for cell in nb.cells:
        grade_id = cells.nbgrader(cell).get("grade_id")
        if cells.is_answer(cell) and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def load(assignment: str) -> tuple[list[Wrong], list[Right]]:
    """The catalog of one assignment."""
    module = importlib.import_module(f"catalog.{assignment}")
    return list(module.WRONG), list(module.RIGHT)
