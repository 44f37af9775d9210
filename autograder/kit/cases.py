"""Visible and hidden cases, declared as data.

An item's ``cases(rng, hidden)`` returns its visible cases, then (when ``hidden``) its hidden
ones. :class:`Cases` builds that callable from the two parts, so no check writes
``if hidden:``: the visible cases are the same whether hidden ones follow or not, and the
hidden ones draw their random inputs from the generator after the visible ones (the grader
records one seed per batch, and a student's check cell shows the visible prefix).

Each part is a sequence of :class:`~autograder.items.Case` (fixed inputs, copied at every call
so that no call sees another's changes) or a function of the generator returning one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from autograder.items import Case

Part = Sequence[Case] | Callable[[np.random.Generator], Sequence[Case]]


def _make(part: Part, rng: np.random.Generator) -> list[Case]:
    if callable(part):
        return list(part(rng))
    return copy.deepcopy(list(part))


@dataclass(frozen=True)
class Cases:
    """An item's cases: ``visible`` first, then ``hidden`` when the hidden cases are asked for."""

    visible: Part = ()
    hidden: Part = ()

    def __call__(self, rng: np.random.Generator, hidden: bool) -> list[Case]:
        cases = _make(self.visible, rng)
        if hidden:
            cases += _make(self.hidden, rng)
        return cases
