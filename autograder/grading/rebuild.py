"""Stage 2, rebuild: the program a child runs for one submission.

Only the answer cells come from the student, in the released notebook's order, between the
course's own setup cells (a missing answer keeps the released stub). Before anything runs, the
trusted parent reads each answer cell for what the notebook's rules forbid (the answer policy,
:mod:`autograder.policy`) and for the modules it imports, which the child loads before it
confines itself (the chroot hides the library from it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograder import policy
from autograder.submission import Pristine, strip_magics


@dataclass(frozen=True)
class Rebuilt:
    """One submission, ready to run."""

    program: list[tuple[str, str]]  # (grade_id or "setup", source), in notebook order
    violations: dict[str, list[str]]  # answer cell -> what it uses that the rules forbid
    preload: list[str]  # allowed modules the answers import, loaded before the chroot


def program(pristine: Pristine, answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The cells to run, in order: the course's setup cells and the student's answers
    (a missing answer keeps the released stub), with IPython magics made harmless."""
    return [
        (grade_id, strip_magics(source if grade_id == "setup" else answers.get(grade_id, source)))
        for grade_id, source in pristine.cells
    ]


def rebuild(pristine: Pristine, answers: Mapping[str, str]) -> Rebuilt:
    cells = program(pristine, answers)
    violations = {g: policy.violations(s) for g, s in answers.items()}
    preload = [
        m
        for _, source in cells
        for m in policy.imported_modules(source)
        if policy.module_allowed(m)
    ]
    return Rebuilt(cells, violations, preload)
