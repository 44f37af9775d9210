"""Every assignment's graded items, by assignment and by ``grade_id``.

An assignment is one unit: its solution notebook ``solutions/<name>/<name>.ipynb``, its checks
``autograder/checks/<name>`` (a module, or a package with one module per graded function) and
its catalog of right and wrong answers ``tests/catalog/<name>.py``. Nothing lists the
assignments by hand: they are the modules and packages of :mod:`autograder.checks` named
``exNN_<topic>``, each exporting ``ITEMS``, its graded items in the notebook's order. The
Makefile, the book's table of contents, its Exercises page and the grader all derive their
lists from the same files.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from autograder import checks
from autograder.items import Item

NAME = re.compile(r"ex\d\d_\w+")


def _discover() -> dict[str, tuple[Item, ...]]:
    found: dict[str, tuple[Item, ...]] = {}
    for module in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
        if not NAME.fullmatch(module.name):
            continue
        items = getattr(importlib.import_module(f"{checks.__name__}.{module.name}"), "ITEMS", None)
        if not isinstance(items, tuple) or not all(isinstance(i, Item) for i in items):
            raise TypeError(
                f"autograder.checks.{module.name} must define ITEMS, a tuple of its graded "
                "items in the notebook's order"
            )
        found[module.name] = items
    return found


ASSIGNMENTS: dict[str, tuple[Item, ...]] = _discover()


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


def functions(assignment: str) -> list[str]:
    """The names a student implements in ``assignment``, in the notebook's order."""
    return list(dict.fromkeys(t for item in ASSIGNMENTS[assignment] for t in item.targets))
