"""What grading produces: one :class:`ItemResult` per graded item and one :class:`StudentResult`
per submission, and the :data:`Status` an item can end in.

Every stage hands these on; none of them knows how they were computed. A student's result is
stored as JSON (:meth:`StudentResult.to_json`), the format ``grades/<assignment>/*.json`` has
always had.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Literal, get_args

Status = Literal["passed", "failed", "error", "timeout", "forbidden", "missing"]
"""How an item ended: ``passed`` (full points), ``failed`` (a case gave a wrong answer),
``error`` (it could not be checked: not defined, crashed, unreadable notebook), ``timeout`` (the
grading process ran out of time), ``forbidden`` (the answer uses what the exercise or the
notebook's rules forbid), ``missing`` (no notebook, or the answer cell is not in it)."""

STATUSES: tuple[Status, ...] = get_args(Status)


class SetupError(RuntimeError):
    """The grader cannot run (a missing notebook, an unknown assignment): nothing was graded."""


@dataclass(frozen=True)
class ItemResult:
    grade_id: str
    points: float
    max_points: float
    status: Status
    message: str  # for the instructor: the full report
    feedback: str  # for the student: hidden cases' inputs are not shown
    hidden: bool = False  # the failure was found by a hidden case


@dataclass
class StudentResult:
    student: str
    assignment: str
    digest: str  # of the submitted notebook's bytes
    items: list[ItemResult]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    inputs: str = ""  # digest of everything the result depends on (see load.Assignment.inputs)
    seed: int | None = None
    grader: str = ""  # the grader's version, with a digest of its source

    @property
    def score(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def max_points(self) -> float:
        return sum(i.max_points for i in self.items)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> StudentResult:
        """The result saved by :meth:`to_json` (raises ValueError, TypeError or KeyError on a
        file that is not one, including an item with an unknown status)."""
        data = json.loads(text)
        items = [ItemResult(**i) for i in data["items"]]
        if any(i.status not in STATUSES for i in items):
            raise ValueError("unknown status")
        data["items"] = items
        return cls(**data)
