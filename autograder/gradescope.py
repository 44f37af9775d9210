"""Gradescope: build an autograder bundle, and grade one submission inside it.

``python -m autograder gradescope ASSIGNMENT -o autograder.zip`` writes a zip with Gradescope's
``setup.sh`` and ``run_autograder``, the Python requirements, this package (the checks and the
grading engine), the reference solution and the released notebook. On Gradescope,
``run_autograder`` calls :func:`run`, which grades ``/autograder/submission/*.ipynb`` with the
same engine as ``python -m autograder grade`` (sandbox included: Gradescope runs the container
as root) and writes ``/autograder/results/results.json`` in Gradescope's format. The root
``/autograder`` can be moved with the ``AUTOGRADER_ROOT`` environment variable, which is how
the tests run a bundle in a temporary directory.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from autograder.grading import Batch, StudentResult

PACKAGE = Path(__file__).resolve().parent
RUNTIME = ("numpy", "scipy", "torch", "nbformat")  # what grading imports, pinned as we test it

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip > /dev/null
python3 -m pip install --quiet --extra-index-url https://download.pytorch.org/whl/cpu \\
    -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
exec python3 -m autograder gradescope-run --source "$ROOT/source" \\
    --submission "$ROOT/submission" --results "$ROOT/results/results.json"
"""


def requirements(root: Path) -> str:
    """The exact pins of the runtime packages, taken from the repository's requirements.txt."""
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[match[1].lower()] = line.strip()
    missing = [name for name in RUNTIME if name not in pins]
    if missing:
        raise ValueError(f"requirements.txt pins none of {missing}")
    return "\n".join(pins[name] for name in RUNTIME) + "\n"


def build(assignment: str, output: Path, root: Path) -> Path:
    """Write the bundle for ``assignment`` to ``output`` and return its path."""
    notebooks = {f"source/{folder}/{assignment}/{assignment}.ipynb":
                 root / folder / assignment / f"{assignment}.ipynb"
                 for folder in ("solutions", "exercises")}
    for path in notebooks.values():
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16
            bundle.writestr(info, text)
        bundle.writestr("requirements.txt", requirements(root))
        bundle.writestr("source/requirements.txt", requirements(root))
        bundle.writestr("source/assignment.json", json.dumps({"assignment": assignment}))
        for path in sorted(PACKAGE.rglob("*.py")):
            bundle.write(path, f"source/autograder/{path.relative_to(PACKAGE)}")
        for name, path in notebooks.items():
            bundle.write(path, name)
    return output


def find_submission(folder: Path, assignment: str) -> Path | None:
    """The notebook to grade: ``<assignment>.ipynb`` if present, else the only notebook."""
    exact = folder / f"{assignment}.ipynb"
    if exact.is_file():
        return exact
    notebooks = sorted(folder.rglob("*.ipynb")) if folder.is_dir() else []
    notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
    return notebooks[0] if len(notebooks) == 1 else None


def results_json(result: StudentResult, titles: dict[str, str], seconds: float) -> dict:
    tests = []
    for item in result.items:
        tests.append({
            "name": f"{titles[item.grade_id]} [{item.grade_id}]",
            "score": item.points,
            "max_score": item.max_points,
            "status": "passed" if item.status == "passed" else "failed",
            "output": item.feedback if item.status != "passed" else "",
            # a failure found by a hidden case is shown once grades are published
            "visibility": "after_published" if item.hidden else "visible",
        })
    return {
        "score": result.score,
        "execution_time": round(seconds, 3),
        "output": "\n".join(result.notes) or f"{result.score:g} of "
                  f"{sum(i.max_points for i in result.items):g} points",
        "tests": tests,
    }


def run(source: Path, submission: Path, results: Path) -> dict:
    """Grade the submission in ``submission`` against the bundle in ``source``."""
    start = time.monotonic()
    assignment = json.loads((source / "assignment.json").read_text())["assignment"]
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        course = Path(tmp)
        for folder in ("solutions", "exercises"):
            shutil.copytree(source / folder / assignment, course / folder / assignment)
        target = course / "submitted" / "student" / assignment
        target.mkdir(parents=True)
        notebook = find_submission(submission, assignment)
        if notebook is not None:
            shutil.copyfile(notebook, target / f"{assignment}.ipynb")
        batch = Batch(course, assignment)
        summary = batch.run(["student"], force=True)
        result = summary.graded[0]
        if notebook is not None and notebook.name != f"{assignment}.ipynb":
            result.notes.insert(0, f"graded {notebook.name}")
    titles = {p.item.grade_id: p.item.title for p in batch.assignment.plans}
    data = results_json(result, titles, time.monotonic() - start)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(data, indent=1))
    return data
