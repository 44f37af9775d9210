"""Grading throughput: our grader against ``nbgrader autograde``, on the same submissions.

Usage: python bench/grading.py N [--jobs J] [--nbgrader-sample K] [--assignment A ...]

For each assignment, writes N honest submissions (the reference solution, the blank release,
and the solution with one catalog mistake or correct alternative in place of some answers,
in rotation) into a fresh course directory, runs ``nbgrader generate_assignment`` there as the
instructor would have (the release and the gradebook exist before anything is graded), then:

1. grades a sample of K of them with ``nbgrader autograde`` (K = N unless ``--nbgrader-sample``
   is smaller; the output says when nbgrader ran on a sample);
2. grades all N with ``python -m autograder grade --jobs J`` in one batch, measuring the wall
   time and the grader's peak memory (the largest resident set of the grader process and of
   any sandboxed child);
3. checks that both give every item of every sampled submission the same score;
4. measures the floor: in this already-warm process, with no isolation, the time to execute
   each submission's setup and answer cells and run every graded item (visible and hidden
   cases) on its functions against the reference, which is the least work any grader must do
   (measured on one submission of each kind in the rotation).

Prints seconds per submission for nbgrader, for our grader and for the floor, and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from nbgrader.api import Gradebook  # noqa: E402

from autograder import cells  # noqa: E402
from autograder.catalog import ASSIGNMENTS  # noqa: E402
from autograder.items import run_item  # noqa: E402

import catalog  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def kinds(assignment: str) -> list[dict[str, str]]:
    """One submission's answers of each kind: solved, blank, and each catalog entry in place."""
    solved = cells.answers(cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"))
    wrong, right = catalog.load(assignment)
    return [solved, {}] + [{**solved, **entry.answers} for entry in [*wrong, *right]]


def answer_sets(assignment: str, n: int) -> list[dict[str, str]]:
    """N honest submissions' answers: the kinds in rotation."""
    variants = kinds(assignment)
    return [variants[i % len(variants)] for i in range(n)]


def make_course(root: Path, assignment: str, n: int) -> list[str]:
    course = root / "course"
    course.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    # the course routes `nbgrader autograde` to our grader; the comparison needs nbgrader's own
    # Execute, running each submission in a Jupyter kernel
    with (course / "nbgrader_config.py").open("a") as f:
        f.write('\nc.Autograde.pop("autograde_preprocessors")\n')
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    students = []
    for i, answers in enumerate(answer_sets(assignment, n)):
        student = f"s{i:05d}"
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(catalog.notebook_with(assignment, answers), folder / f"{assignment}.ipynb")
        students.append(student)
    return students


def generate(course: Path, assignment: str) -> None:
    """What the instructor did before collecting: the release and the gradebook's records."""
    subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"],
        cwd=course,
        env=ENV,
        capture_output=True,
        check=True,
    )


def nbgrader_course(course: Path, sample: list[str]) -> Path:
    """A copy of the course, before grading, with only the sampled submissions."""
    work = course.parent / "nbgrader"
    shutil.copytree(course, work, ignore=shutil.ignore_patterns("submitted"))
    for student in sample:
        shutil.copytree(course / "submitted" / student, work / "submitted" / student)
    return work


def run_nbgrader(work: Path, assignment: str, sample: list[str]) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "nbgrader"), "autograde", assignment, "--create"],
        cwd=work,
        env=ENV,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed:\n{done.stderr[-3000:]}")
    scores = {}
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        for student in sample:
            nb = gb.find_submission_notebook(assignment, assignment, student)
            scores[student] = {g.name: g.score for g in nb.grades if g.cell.max_score}
    return seconds, scores


def run_ours(course: Path, assignment: str, jobs: int) -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course), assignment, "--jobs", str(jobs)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"our grader failed:\n{done.stderr[-3000:]}")
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    scores: dict[str, dict[str, float]] = {}
    with open(course / "grades" / f"{assignment}.csv", newline="") as f:
        for row in csv.DictReader(f):
            scores.setdefault(row["student_id"], {})[row["grade_id"]] = float(row["points"])
    return seconds, peak_mb, scores


def floor(assignment: str, answers: list[dict[str, str]]) -> float:
    """Seconds per submission to define the answers and run every item in this process."""
    source = cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    release = cells.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    reference = cells.define(source)
    items = ASSIGNMENTS[assignment]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # what the answers print is not the point
        for student_answers in answers:
            namespace = cells.define(release, student_answers)
            for item in items:
                run_item(
                    item,
                    [namespace[t] for t in item.targets],
                    reference=[reference[t] for t in item.targets],
                    hidden=True,
                )
    return (time.perf_counter() - start) / len(answers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="submissions per assignment")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--nbgrader-sample",
        type=int,
        default=None,
        metavar="K",
        help="grade only K submissions per assignment with nbgrader (0: skip)",
    )
    parser.add_argument("--assignment", action="append", choices=list(ASSIGNMENTS))
    args = parser.parse_args()
    sample_size = args.n if args.nbgrader_sample is None else min(args.n, args.nbgrader_sample)
    if sample_size == 0:
        print("nbgrader not run (--nbgrader-sample 0): our grader and the floor only")
    elif sample_size < args.n:
        print(
            f"nbgrader grades a sample of {sample_size} of the {args.n} submissions per "
            "assignment; per-submission times compare like with like"
        )
    totals = {"nbgrader": [0.0, 0], "ours": [0.0, 0], "floor": [0.0, 0]}
    peak = 0.0
    print(
        f"{'assignment':26} {'nbgrader s/sub':>14} {'ours s/sub':>11} {'floor s/sub':>12} "
        f"{'nbgrader/ours':>14} {'ours/floor':>11} {'peak MB':>8}"
    )
    for assignment in args.assignment or list(ASSIGNMENTS):
        with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
            course = Path(tmp)
            students = make_course(course, assignment, args.n)
            generate(course / "course", assignment)
            sample = students[:sample_size]
            work = nbgrader_course(course / "course", sample) if sample else None
            ours_s, peak_mb, ours = run_ours(course / "course", assignment, args.jobs)
            peak = max(peak, peak_mb)
            nb_s, nb_scores = run_nbgrader(work, assignment, sample) if work else (0.0, {})
            for student, scores in nb_scores.items():
                if ours[student] != scores:
                    raise SystemExit(
                        f"scores differ for {student} in {assignment}: "
                        f"nbgrader {scores}, ours {ours[student]}"
                    )
            floor_s = floor(
                assignment, answer_sets(assignment, min(args.n, len(kinds(assignment))))
            )
        per = {
            "nbgrader": nb_s / sample_size if sample_size else float("nan"),
            "ours": ours_s / args.n,
            "floor": floor_s,
        }
        for key, count in (("nbgrader", sample_size), ("ours", args.n), ("floor", 1)):
            totals[key][0] += per[key] * count
            totals[key][1] += count
        print(
            f"{assignment:26} {per['nbgrader']:14.3f} {per['ours']:11.4f} "
            f"{per['floor']:12.4f} {per['nbgrader'] / per['ours']:14.1f} "
            f"{per['ours'] / per['floor']:11.2f} {peak_mb:8.0f}",
            flush=True,
        )
    mean = {k: (s / c if c else float("nan")) for k, (s, c) in totals.items()}
    print(
        f"{'all':26} {mean['nbgrader']:14.3f} {mean['ours']:11.4f} {mean['floor']:12.4f} "
        f"{mean['nbgrader'] / mean['ours']:14.1f} {mean['ours'] / mean['floor']:11.2f} "
        f"{peak:8.0f}"
    )
    if sample_size:
        both = sample_size * len(args.assignment or ASSIGNMENTS)
        print(f"identical per-item scores on all {both} submissions graded by both")
    print(
        f"our grader used --jobs {args.jobs}; peak memory {peak:.0f} MB (largest resident set "
        "of the grader or a child)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
