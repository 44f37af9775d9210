"""Every assignment's graded items, by assignment and by ``grade_id``."""

from __future__ import annotations

from autograder.checks import (
    ex01_activations,
    ex02_relu,
    ex03_vanishing_gradient,
    ex04_variants,
    ex05_pitfalls,
)
from autograder.items import Item

ASSIGNMENTS: dict[str, tuple[Item, ...]] = {
    "ex01_activations": ex01_activations.ITEMS,
    "ex02_relu": ex02_relu.ITEMS,
    "ex03_vanishing_gradient": ex03_vanishing_gradient.ITEMS,
    "ex04_variants": ex04_variants.ITEMS,
    "ex05_pitfalls": ex05_pitfalls.ITEMS,
}


def _index() -> dict[str, Item]:
    index: dict[str, Item] = {}
    for items in ASSIGNMENTS.values():
        for item in items:
            if item.grade_id in index:
                raise ValueError(f"grade_id {item.grade_id!r} is defined twice")
            index[item.grade_id] = item
    return index


ITEMS: dict[str, Item] = _index()


def find(grade_id: str) -> Item:
    """The item with this ``grade_id``; a clear error for a typo."""
    try:
        return ITEMS[grade_id]
    except KeyError:
        known = ", ".join(sorted(ITEMS))
        raise KeyError(f"no graded item {grade_id!r}; the items are: {known}") from None
