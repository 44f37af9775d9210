"""Time every check cell of every exercise on the reference solution, as a student runs it.

Prints, per graded item, the median and the slowest of several runs of the visible check
(what a student's check cell runs) and of the check with its hidden cases (what grading runs),
then the median and the slowest over all items. Target: every check cell in 1 s or less.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

from autograder import cells
from autograder.catalog import ASSIGNMENTS
from autograder.notebook import check

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5


def seconds(grade_id: str, functions: list, hidden: bool) -> list[float]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            check(grade_id, *functions, hidden=hidden)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    visible_medians, slowest = [], 0.0
    print(f"{'item':32} {'median s':>9} {'max s':>7} {'hidden median':>14} {'hidden max':>11}")
    for assignment, items in ASSIGNMENTS.items():
        notebook = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
        namespace = cells.define(cells.read(notebook))
        for item in items:
            functions = [namespace[name] for name in item.targets]
            visible = seconds(item.grade_id, functions, hidden=False)
            hidden = seconds(item.grade_id, functions, hidden=True)
            visible_medians.append(statistics.median(visible))
            slowest = max(slowest, *visible, *hidden)
            print(f"{item.grade_id:32} {statistics.median(visible):9.4f} {max(visible):7.4f} "
                  f"{statistics.median(hidden):14.4f} {max(hidden):11.4f}")
    median = statistics.median(visible_medians)
    print(f"\n{len(visible_medians)} check cells: median {median:.4f} s, "
          f"slowest run {slowest:.4f} s (target: 1 s)")
    return 0 if slowest <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
