"""What a notebook's check cell calls: run one graded item, print a report, raise on failure."""

from __future__ import annotations

from autograder.catalog import find
from autograder.items import run_item
from autograder.report import CheckFailed, Failure


def check(grade_id: str, *functions: object, hidden: bool = False) -> None:
    """Check the student's ``functions`` against graded item ``grade_id``.

    Prints one line when every case passes. Otherwise prints the report (the check, the
    simplest failing input, expected and returned values, a hint) and raises
    :class:`CheckFailed`, which is how nbgrader knows the test cell failed.
    ``hidden=True`` adds the cases of the item's hidden tests.
    """
    __tracebackhide__ = True  # IPython and pytest show the report, not this frame
    item = find(grade_id)
    if len(functions) != len(item.targets):
        raise TypeError(f"check({grade_id!r}, ...) takes {len(item.targets)} argument(s): "
                        f"{', '.join(item.targets)}")
    outcome = run_item(item, functions, hidden=hidden)
    if outcome.forbidden_calls:
        calls = ", ".join(outcome.forbidden_calls)
        failure = Failure(
            "no call to the library version",
            f"uses {calls}, which this exercise asks you to implement yourself",
            hint="Write it with NumPy or basic tensor operations; this item scores 0 while "
                 "the forbidden call is there.")
    elif outcome.failure is None:
        print(f"PASSED {item.title} ({outcome.cases_run} cases, {item.points} point"
              f"{'s' if item.points != 1 else ''})")
        return
    else:
        failure = outcome.failure
    report = failure.render(item.title)
    print(report)
    raise CheckFailed(report) from None
