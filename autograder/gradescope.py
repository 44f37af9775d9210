"""Gradescope: build an autograder bundle, and grade one submission inside it.

``python -m autograder gradescope ASSIGNMENT -o autograder.zip`` writes a zip with Gradescope's
``setup.sh`` and ``run_autograder``, the Python requirements, this package (the checks and the
grading engine), the reference solution and the released notebook. ``setup.sh`` installs the
requirements into ``/autograder/venv`` with a Python of 3.11 or newer, installing one with
``apt-get`` if the image has none. On Gradescope, ``run_autograder`` calls :func:`run` in that
environment, which grades ``/autograder/submission/*.ipynb`` with the same engine as
``python -m autograder grade`` (sandbox included: Gradescope runs the container as root) and
writes ``/autograder/results/results.json`` in Gradescope's format. The root
``/autograder`` can be moved with the ``AUTOGRADER_ROOT`` environment variable, which is how
the tests run a bundle in a temporary directory.
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path
from typing import Any

from autograder.grading import Sources, StudentResult, course_seed, grade

PACKAGE = Path(__file__).resolve().parent
RUNTIME = ("numpy", "scipy", "torch", "nbformat")  # what grading imports, pinned as we test it

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. It installs the
# grader's packages into their own virtual environment, $ROOT/venv, with a Python of 3.11 or
# newer (the pinned NumPy and SciPy need it): the image's own Python if it is recent enough,
# otherwise the distribution's python3.11, otherwise python3.11 from the deadsnakes PPA
# (Ubuntu 22.04's images have only 3.10). PyTorch comes from its CPU index ($TORCH_INDEX),
# not PyPI's CUDA build.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
TORCH_INDEX="${TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
export DEBIAN_FRONTEND=noninteractive

find_python() {  # the first Python >= 3.11 on PATH that can create a virtual environment
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" > /dev/null && "$candidate" -c \\
            'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2> /dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! PYTHON="$(find_python)"; then
    apt-get update -qq
    if ! apt-get install -y -qq python3.11 python3.11-venv > /dev/null; then
        apt-get install -y -qq software-properties-common > /dev/null
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update -qq
        apt-get install -y -qq python3.11 python3.11-venv > /dev/null
    fi
    PYTHON="$(find_python)" || { echo "setup.sh: no Python 3.11 or newer" >&2; exit 1; }
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} \\
    -r "$ROOT/source/requirements.txt"
"$ROOT/venv/bin/python" -c 'import numpy, scipy, torch, nbformat'
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, with the environment setup.sh built.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="$ROOT/venv/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3  # a bundle unpacked without setup.sh: the Python on PATH
mkdir -p "$ROOT/results"
cd "$ROOT/source"
exec "$PYTHON" -m autograder gradescope-run --source "$ROOT/source" \\
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
    notebooks = {
        f"source/{folder}/{assignment}/{assignment}.ipynb": root
        / folder
        / assignment
        / f"{assignment}.ipynb"
        for folder in ("solutions", "exercises")
    }
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
        # the course's recorded seed: Gradescope's students meet the cases the course's do
        seed = course_seed(root, assignment)
        bundle.writestr(
            "source/assignment.json", json.dumps({"assignment": assignment, "seed": seed})
        )
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


def results_json(result: StudentResult, titles: dict[str, str], seconds: float) -> dict[str, Any]:
    tests = []
    for item in result.items:
        tests.append(
            {
                "name": f"{titles[item.grade_id]} [{item.grade_id}]",
                "score": item.points,
                "max_score": item.max_points,
                "status": "passed" if item.status == "passed" else "failed",
                "output": item.feedback if item.status != "passed" else "",
                # a failure found by a hidden case is shown once grades are published
                "visibility": "after_published" if item.hidden else "visible",
            }
        )
    return {
        "score": result.score,
        "execution_time": round(seconds, 3),
        "output": "\n".join(result.notes) or f"{result.score:g} of {result.max_points:g} points",
        "tests": tests,
    }


def run(source: Path, submission: Path, results: Path) -> dict[str, Any]:
    """Grade the submission in ``submission`` against the bundle in ``source`` (the course's
    layout: ``exercises/`` and ``solutions/``), with the course's recorded seed; nothing is
    saved but Gradescope's ``results``."""
    start = time.monotonic()
    settings = json.loads((source / "assignment.json").read_text())
    assignment = settings["assignment"]
    notebook = find_submission(submission, assignment)
    summary = grade(
        Sources.in_course(source, assignment),
        {"student": notebook},
        seed=settings.get("seed"),
        force=True,
    )
    result = summary.graded[0]
    if notebook is not None and notebook.name != f"{assignment}.ipynb":
        result.notes.insert(0, f"graded {notebook.name}")
    titles = {item.grade_id: item.title for item in summary.assignment.items}
    data = results_json(result, titles, time.monotonic() - start)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(data, indent=1))
    return data
