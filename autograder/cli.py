"""The command line: argument parsing, progress, the summary and the exit code.

Exit code 0 when every submission was graded, whatever it scored; 2 with a one-line message
when the grader itself could not run (no such course directory, unknown assignment, missing
release or solutions, a gradebook it cannot open).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from autograder import sandbox
from autograder.grading import SetupError, StudentResult


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m autograder", description="Grade nbgrader submissions in a sandbox."
    )
    commands = top.add_subparsers(dest="command", required=True)
    grade = commands.add_parser(
        "grade",
        help="grade the submissions of one assignment",
        description="Grade COURSE_DIR/submitted/<student>/ASSIGNMENT/ASSIGNMENT.ipynb; write "
        "COURSE_DIR/grades/ASSIGNMENT.csv, HTML feedback under "
        "COURSE_DIR/feedback/ and the scores in COURSE_DIR/gradebook.db.",
    )
    grade.add_argument("course_dir", type=Path)
    grade.add_argument("assignment")
    grade.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="grade only this student (repeatable); default: every submission",
    )
    grade.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="submissions graded at the same time (default 1)",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="wall-clock limit per submission (default 60)",
    )
    grade.add_argument(
        "--memory",
        type=int,
        default=2048,
        metavar="MB",
        help="memory a submission may allocate (default 2048)",
    )
    grade.add_argument(
        "--force",
        action="store_true",
        help="regrade every submission, even those whose saved result's inputs "
        "(submission, checks, reference, grader, seed) are unchanged",
    )
    grade.add_argument(
        "--seed",
        type=int,
        help="seed of the random cases, recorded in grades/ASSIGNMENT/seed for "
        "every later run (default: the recorded one, or a fresh one the "
        "first time)",
    )
    bundle = commands.add_parser(
        "gradescope", help="build a Gradescope autograder bundle for one assignment"
    )
    bundle.add_argument("assignment")
    bundle.add_argument("-o", "--output", type=Path, default=Path("autograder.zip"))
    bundle.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the course repository (default: the current directory)",
    )
    run = commands.add_parser(
        "gradescope-run",
        help="grade one submission inside a Gradescope bundle "
        "(what the bundle's run_autograder calls)",
    )
    run.add_argument("--source", type=Path, required=True)
    run.add_argument("--submission", type=Path, required=True)
    run.add_argument("--results", type=Path, required=True)
    return top


STARTED = time.monotonic()


class Progress:
    """A one-line bar with count and ETA on a terminal; one plain line per student otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()

    def __call__(self, result: StudentResult, done: int, total: int) -> None:
        max_points = result.max_points
        if not self.tty:
            print(
                f"[{done}/{total}] {result.student}: {result.score:g}/{max_points:g}",
                file=self.stream,
                flush=True,
            )
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / done * (total - done)
        width = 30
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "." * (width - filled)
        end = "\n" if done == total else ""
        print(
            f"\r[{bar}] {done}/{total}  ETA {eta:4.0f} s  {result.student[:20]:20}",
            end=end,
            file=self.stream,
            flush=True,
        )


def seconds_since_start() -> float:
    """Wall time since this process started (interpreter start-up and imports included)."""
    try:
        with open("/proc/self/stat") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        with open("/proc/uptime") as f:
            return float(f.read().split()[0]) - started
    except (OSError, ValueError, IndexError):  # not Linux: from the command's own start
        return time.monotonic() - STARTED


def class_summary(results: list[StudentResult]) -> str:
    """The class's scores, from every saved result (graded now or reused)."""
    if not results:
        return "class: no submission graded yet"
    max_points = max(r.max_points for r in results)
    mean = sum(r.score for r in results) / len(results)
    statuses = collections.Counter(i.status for r in results for i in r.items)
    return (
        f"class: {len(results)} submission(s), mean score {mean:.2f} / {max_points:g}; "
        "items: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    )


def grade(args: argparse.Namespace) -> int:
    try:  # nbgrader: not needed on Gradescope
        from autograder.grading.course import grade_course
    except ModuleNotFoundError as absent:  # a student's install: the package without extras
        raise SystemExit(
            f"python -m autograder grade needs nbgrader, and {absent.name} is not installed: "
            "pip install 'activation-functions-course[instructor]'"
        ) from absent

    run = grade_course(
        args.course_dir,
        args.assignment,
        students=args.student,
        jobs=args.jobs,
        limits=sandbox.Limits(timeout=args.timeout, memory_mb=args.memory),
        force=args.force,
        seed=args.seed,
        progress=Progress(sys.stderr),
    )
    summary = run.summary
    print(
        f"graded {len(summary.graded)} submission(s) of {args.assignment}"
        + (
            f", reused {len(summary.skipped)} saved result(s) whose inputs are unchanged "
            "(--force regrades them)"
            if summary.skipped
            else ""
        )
        + f", in {seconds_since_start():.1f} s (seed {run.seed})"
    )
    print(class_summary(run.results))
    print(f"grades: {run.csv}")
    enforced = [k for k, v in sandbox.confinement().items() if v]
    missing = [k for k, v in sandbox.confinement().items() if not v]
    print(
        "sandbox: "
        + ", ".join(enforced)
        + (f" (not available here: {', '.join(missing)})" if missing else "")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "gradescope":
            from autograder import gradescope

            path = gradescope.build(args.assignment, args.output, args.root)
            print(f"wrote {path}: upload it as the assignment's autograder on Gradescope")
            return 0
        if args.command == "gradescope-run":
            from autograder import gradescope

            data = gradescope.run(args.source, args.submission, args.results)
            print(f"score {data['score']:g}; results in {args.results}")
            return 0
        return grade(args)
    except (SetupError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
