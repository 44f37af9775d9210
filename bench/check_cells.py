"""Time every check cell of every exercise, as a student runs it.

Part 1, in a fresh Jupyter kernel per exercise (what a student sees): the released notebook
with the reference answers from ``solutions/`` filled in runs top to bottom, then every check
cell runs again ``REPEATS`` times. A second fresh kernel runs the blank release (every check
reports "not implemented"). The first cell (the imports) is timed apart and excluded. Per
check cell it prints the first-call time with answers, the warm median with answers, and the
first-call time on the blank release, then the slowest of each column. Times are wall-clock,
from sending the cell to the kernel going idle, as Jupyter shows them.

Part 2, in this process: per graded item, the median and the slowest of ``REPEATS`` runs of
the visible check (what a check cell runs) and of the check with its hidden cases (what
grading runs, shown for information: no check cell runs them).

Target: every check cell answers within 1 s, first call included. Exit status 1 when a check
cell's time misses it (or a check cell gives the wrong verdict), 0 otherwise.
``--kernel-only`` skips part 2.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import queue
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager, start_new_kernel

from autograder import cells
from autograder.catalog import ASSIGNMENTS
from autograder.notebook import check

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
TARGET_S = 1.0
CELL_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Run:
    """One execution of a cell in a kernel: wall time, text shown, whether it raised."""

    seconds: float
    text: str
    raised: bool


class Kernel:
    """A fresh ``python3`` kernel that runs cells one at a time and times each."""

    def __init__(self) -> None:
        self.manager: KernelManager
        # stderr dropped: the kernel's warning about plain-TCP transport would fill the table
        self.manager, self.client = start_new_kernel(
            kernel_name="python3", cwd=str(ROOT), stderr=subprocess.DEVNULL
        )

    def run(self, source: str) -> Run:
        """Run ``source``; wall time from the request until the kernel is idle again."""
        start = time.perf_counter()
        msg_id = self.client.execute(source, store_history=True, allow_stdin=False)
        texts, raised = [], False
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=CELL_TIMEOUT_S)
            except queue.Empty:
                raise TimeoutError(f"a cell ran for over {CELL_TIMEOUT_S} s:\n{source}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind == "error":
                raised = True
                texts.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                break
        seconds = time.perf_counter() - start
        self.client.get_shell_msg(timeout=CELL_TIMEOUT_S)  # the execute_reply
        return Run(seconds, "".join(texts), raised)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def answered_release(assignment: str) -> nbformat.NotebookNode:
    """The released notebook with each answer cell replaced by the solution's."""
    release = cells.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    solution = cells.answers(cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"))
    for cell in release.cells:
        if cells.is_answer(cell):
            cell["source"] = solution[cells.nbgrader(cell)["grade_id"]]
    return release


@dataclass
class CellTimes:
    """A check cell's times in fresh kernels: first call and warm median with the answers,
    first call on the blank release; and whether each first call gave the expected verdict."""

    grade_id: str
    first: float = 0.0
    warm: float = 0.0
    blank_first: float = 0.0
    problems: str = ""


def run_notebook(nb: nbformat.NotebookNode) -> tuple[float, dict[str, Run], Kernel]:
    """Run every code cell in a fresh kernel: the first cell's time, each check cell's first
    run, and the kernel (still running, for warm runs)."""
    kernel = Kernel()
    code = [c for c in nb.cells if c["cell_type"] == "code"]
    setup = kernel.run(code[0]["source"])
    if setup.raised:
        kernel.close()
        raise RuntimeError(f"the first cell failed: {setup.text}")
    first: dict[str, Run] = {}
    for cell in code[1:]:
        result = kernel.run(cell["source"])
        if cells.is_test(cell):
            first[cells.nbgrader(cell)["grade_id"]] = result
    return setup.seconds, first, kernel


def kernel_times(assignment: str) -> tuple[float, list[CellTimes]]:
    """Fresh-kernel times of every check cell of ``assignment`` (answered, then blank)."""
    answered = answered_release(assignment)
    setup, first, kernel = run_notebook(answered)
    try:
        sources = {
            cells.nbgrader(c)["grade_id"]: c["source"] for c in answered.cells if cells.is_test(c)
        }
        times = []
        for grade_id, source in sources.items():
            warm = [kernel.run(source).seconds for _ in range(REPEATS)]
            row = CellTimes(grade_id, first[grade_id].seconds, statistics.median(warm))
            if first[grade_id].raised or "PASSED" not in first[grade_id].text:
                row.problems = f"reference answer did not pass: {first[grade_id].text[:200]}"
            times.append(row)
    finally:
        kernel.close()
    blank = cells.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    _, blank_first, kernel = run_notebook(blank)
    kernel.close()
    for row in times:
        run = blank_first[row.grade_id]
        row.blank_first = run.seconds
        if "not implemented" not in run.text:
            row.problems += f" blank release: no 'not implemented' report: {run.text[:200]}"
    return setup, times


def in_process_seconds(grade_id: str, functions: list, hidden: bool) -> list[float]:
    """``REPEATS`` wall times of ``check(grade_id, *functions)`` in this process."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            check(grade_id, *functions, hidden=hidden)
        times.append(time.perf_counter() - start)
    return times


def kernel_part() -> float:
    """Print part 1's table; return the slowest check-cell time in it."""
    print(f"Part 1: fresh kernel per exercise (first cell excluded), {REPEATS} warm runs\n")
    print(f"{'check cell':32} {'first s':>8} {'warm s':>7} {'blank first s':>14}")
    rows: list[CellTimes] = []
    for assignment in ASSIGNMENTS:
        setup, times = kernel_times(assignment)
        print(f"-- {assignment} (first cell, imports: {setup:.2f} s)")
        for row in times:
            print(
                f"{row.grade_id:32} {row.first:8.3f} {row.warm:7.3f} {row.blank_first:14.3f}"
                + (f"  !! {row.problems.strip()}" if row.problems else "")
            )
        rows += times
    slowest = {
        column: max(rows, key=lambda r, c=column: getattr(r, c))
        for column in ("first", "warm", "blank_first")
    }
    print(
        f"\n{len(rows)} check cells. Slowest: first call {slowest['first'].first:.3f} s "
        f"({slowest['first'].grade_id}), warm {slowest['warm'].warm:.3f} s "
        f"({slowest['warm'].grade_id}), blank first call "
        f"{slowest['blank_first'].blank_first:.3f} s ({slowest['blank_first'].grade_id}); "
        f"target {TARGET_S} s"
    )
    if any(row.problems for row in rows):
        print("!! some check cells did not give the expected verdict (see the table)")
        return float("inf")
    return max(max(r.first, r.warm, r.blank_first) for r in rows)


def in_process_part() -> float:
    """Print part 2's table; return the slowest run of a visible check (a check cell's)."""
    print(f"\nPart 2: in this process, {REPEATS} runs each (visible cases, then with hidden)\n")
    visible_medians, slowest, slowest_hidden = [], 0.0, 0.0
    print(f"{'item':32} {'median s':>9} {'max s':>7} {'hidden median':>14} {'hidden max':>11}")
    for assignment, items in ASSIGNMENTS.items():
        notebook = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
        namespace = cells.define(cells.read(notebook))
        for item in items:
            functions = [namespace[name] for name in item.targets]
            visible = in_process_seconds(item.grade_id, functions, hidden=False)
            hidden = in_process_seconds(item.grade_id, functions, hidden=True)
            visible_medians.append(statistics.median(visible))
            slowest, slowest_hidden = max(slowest, *visible), max(slowest_hidden, *hidden)
            print(
                f"{item.grade_id:32} {statistics.median(visible):9.4f} {max(visible):7.4f} "
                f"{statistics.median(hidden):14.4f} {max(hidden):11.4f}"
            )
    median = statistics.median(visible_medians)
    print(
        f"\n{len(visible_medians)} items: median {median:.4f} s, slowest run {slowest:.4f} s "
        f"(target: {TARGET_S} s); with the hidden cases (grading), slowest run "
        f"{slowest_hidden:.4f} s"
    )
    return slowest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel-only", action="store_true", help="skip the in-process part")
    args = parser.parse_args(argv)
    slowest = kernel_part()
    if not args.kernel_only:
        slowest = max(slowest, in_process_part())
    return 0 if slowest <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
