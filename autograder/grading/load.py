"""Stage 1, load: the assignment's release, reference solution and checks become one
:class:`Plan` per graded item; a submission becomes its answers.

Everything here runs once per batch in the trusted parent, before any child is forked, and
depends on no student: the released notebook's cells, each item's points (from the release's
test cell, the one place they are written), its cases (drawn from the batch's seed, so every
student meets the same inputs) and the reference solution's probes of them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from autograder import cells, submission
from autograder.catalog import ASSIGNMENTS
from autograder.grading.results import SetupError
from autograder.items import Case, Item, Probe, safe_probe

# imported in the parent before any fork: the sandbox cannot read site-packages
PRELOAD = ("scipy.special", "scipy.stats", "matplotlib", "torch.autograd.gradcheck")


@functools.cache
def grader_version() -> str:
    """``"<package version>+<digest>"``: the digest covers every source file of the grader,
    the checks included, so a changed check or rule changes it."""
    try:
        version = importlib.metadata.version("activation-functions-course")
    except importlib.metadata.PackageNotFoundError:  # a copy of the package (Gradescope)
        version = "unknown"
    package = Path(__file__).resolve().parent.parent  # autograder/
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return f"{version}+{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class Sources:
    """Where one assignment's trusted files are: the released notebook and the solution."""

    name: str
    release: Path
    solution: Path

    @classmethod
    def in_course(cls, course: Path, name: str) -> Sources:
        """nbgrader's layout: ``exercises/<name>/<name>.ipynb`` (what ``nbgrader
        generate_assignment`` writes) and ``solutions/<name>/<name>.ipynb``."""
        notebook = f"{name}.ipynb"
        return cls(
            name, course / "exercises" / name / notebook, course / "solutions" / name / notebook
        )


@dataclass(frozen=True)
class Plan:
    """One item as the batch runs it: its points (from the release's test cell), its cases,
    how many are visible, the reference probes."""

    item: Item
    points: float
    cases: list[Case]
    visible: int
    expected: list[Probe]
    answer_ids: tuple[str, ...]  # the answer cells that define the item's targets


@dataclass(frozen=True)
class Assignment:
    name: str
    pristine: submission.Pristine
    plans: list[Plan]
    seed: int
    sources: str  # digest of the release and the reference solution

    @classmethod
    def prepare(cls, where: Sources, seed: int) -> Assignment:
        name = where.name
        if name not in ASSIGNMENTS:
            raise SetupError(
                f"unknown assignment {name!r}; the assignments are: {', '.join(ASSIGNMENTS)}"
            )
        for path, hint in (
            (where.release, f"run `nbgrader generate_assignment {name}`"),
            (where.solution, "the reference solutions must be in solutions/"),
        ):
            if not path.is_file():
                raise SetupError(f"{path} does not exist: {hint}")
        sources = hashlib.sha256(
            where.release.read_bytes() + b"\0" + where.solution.read_bytes()
        ).hexdigest()
        released = cells.read(where.release)
        pristine = submission.Pristine.from_notebook(released)
        reference = cells.define(cells.read(where.solution))
        points = {t.grade_id: t.points for t in cells.tests(released)}
        items = ASSIGNMENTS[name]
        if list(points) != [i.grade_id for i in items]:
            raise SetupError(
                f"the test cells of {where.release} do not match the checks of {name}; "
                "regenerate the release"
            )
        for module in PRELOAD:
            try:
                __import__(module)
            except ImportError:  # not installed here (a Gradescope image, say): not needed
                continue
        # one thread: an intra-op thread pool started here would deadlock the forked children
        torch.set_num_threads(1)
        rng = np.random.default_rng(seed)
        plans = []
        for item in items:
            cases = list(item.cases(rng, True))
            visible = len(item.cases(np.random.default_rng(0), False))
            functions = [reference[t] for t in item.targets]
            expected = [safe_probe(item, case, functions) for case in cases]
            answer_ids = tuple(
                g for g, names in pristine.defines.items() if names & set(item.targets)
            )
            plans.append(Plan(item, points[item.grade_id], cases, visible, expected, answer_ids))
        return cls(name, pristine, plans, seed, sources)

    @property
    def items(self) -> list[Item]:
        return [p.item for p in self.plans]

    def inputs(self, sub: submission.Submission) -> str:
        """A digest of everything a result depends on: the submission, the release and the
        reference solution, the grader (checks included) and the seed. A saved result is
        reused only when it is unchanged."""
        parts = (sub.digest, self.sources, grader_version(), str(self.seed))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def load(self, where: Path | None) -> submission.Submission:
        """A student's submission: ``where`` is the student's folder (the notebook is found in
        it), the notebook itself, or None when nothing was submitted."""
        if where is None:
            return submission.read(None, self.name, self.pristine)
        if where.suffix == ".ipynb" and where.is_file():
            return submission.read(where, self.name, self.pristine)
        return submission.load(where, self.name, self.pristine)
