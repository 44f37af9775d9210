"""What a notebook's check cell calls: run one graded item, print a report, raise on failure."""

from __future__ import annotations

import linecache
import types
from collections.abc import Iterator

from autograder import policy
from autograder.catalog import find
from autograder.items import run_item
from autograder.report import CheckFailed, Failure


def check(grade_id: str, *functions: object, hidden: bool = False) -> None:
    """Check the student's ``functions`` against graded item ``grade_id``.

    Prints one line when every case passes. Otherwise raises :class:`CheckFailed`, whose
    report (the check, the simplest failing input, expected and returned values, a hint) is
    what the notebook shows, once: that is how nbgrader knows the test cell failed.
    First applies the grader's answer policy to the cells that define ``functions``, so an
    answer that grading would zero is flagged here, with the reason. ``hidden=True`` adds the
    cases of the item's hidden tests.
    """
    item = find(grade_id)
    if len(functions) != len(item.targets):
        raise TypeError(
            f"check({grade_id!r}, ...) takes {len(item.targets)} argument(s): "
            f"{', '.join(item.targets)}"
        )
    used = [v for source in answer_sources(functions) for v in policy.violations(source)]
    if used:
        failure = Failure(
            "what answers may use",
            policy.explain(list(dict.fromkeys(used))),
            hint="Remove it from your answer cell (print() needs no import), run the cell "
            "again, then this check.",
        )
    else:
        outcome = run_item(item, functions, hidden=hidden)
        if outcome.forbidden_calls:
            calls = ", ".join(outcome.forbidden_calls)
            failure = Failure(
                "no call to the library version",
                f"uses {calls}, which this exercise asks you to implement yourself",
                hint="Write it with NumPy or basic tensor operations; this item scores 0 while "
                "the forbidden call is there.",
            )
        elif outcome.failure is None:
            print(f"PASSED {item.title} ({outcome.cases_run} cases)")
            return
        else:
            failure = outcome.failure
    raise CheckFailed(failure.render(item.title)) from None


def answer_sources(functions: tuple[object, ...]) -> list[str]:
    """The source, as the student typed it, of each notebook cell that defined one of
    ``functions`` (a function, or a class through its methods). IPython keeps every executed
    cell in :mod:`linecache` under the file name its code objects carry, in transformed form
    (``%magic`` lines rewritten); its history maps that back to what was typed, which is what
    the grader reads from the notebook. Code from a file rather than a cell (a module, a test)
    is not an answer cell and is not returned."""
    files = dict.fromkeys(code.co_filename for fn in functions for code in _code_objects(fn))
    typed = (_typed("".join(linecache.getlines(filename))) for filename in files)
    return [source for source in typed if source is not None]


def _code_objects(obj: object) -> Iterator[types.CodeType]:
    if isinstance(obj, types.FunctionType):
        yield obj.__code__
    elif isinstance(obj, type):
        for member in vars(obj).values():
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            elif isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                yield member.__code__


def _typed(transformed: str) -> str | None:
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython: no notebook cells
        return None
    shell = get_ipython()
    if shell is None or not transformed:
        return None
    history = shell.history_manager
    pairs = zip(reversed(history.input_hist_parsed), reversed(history.input_hist_raw), strict=False)
    for parsed, raw in pairs:
        if parsed.rstrip("\n") == transformed.rstrip("\n"):
            return str(raw)
    return None
