"""The Gradescope bundle: built, unpacked into a directory laid out like /autograder, and run
on a solution, a blank notebook and a hostile submission."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import cells, sandbox
from autograder.catalog import ASSIGNMENTS

from support.paths import ROOT

A = "ex02_relu"
MAX = sum(t.points for t in cells.tests(cells.read(ROOT / "exercises" / A / f"{A}.ipynb")))
pytestmark = pytest.mark.slow
HOSTILE = """import os
def relu_scalar(x):
    os.kill(os.getppid(), 9)
    while True:
        pass
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course's files the bundle is built from (the build records the seed)."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "requirements.txt", root)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, root / folder / A)
    return root


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, course: Path) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "gradescope",
            A,
            "-o",
            str(out),
            "--root",
            str(course),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_bundle_carries_the_courses_recorded_seed(bundle: Path, course: Path):
    """Students graded on Gradescope meet the cases the course's own runs use."""
    with zipfile.ZipFile(bundle) as z:
        settings = json.loads(z.read("source/assignment.json"))
    assert settings["seed"] == int((course / "grades" / A / "seed").read_text())


def run_bundle(bundle: Path, root: Path, notebook: dict | None, name: str = f"{A}.ipynb"):
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root)
    for script in ("run_autograder", "setup.sh"):
        (root / script).chmod(0o755)
    (root / "submission").mkdir()
    if notebook is not None:
        (root / "submission" / name).write_text(json.dumps(notebook))
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def notebook(folder: str, answers: dict[str, str] | None = None) -> dict:
    nb = json.loads((ROOT / folder / A / f"{A}.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            cell["source"] = answers[grade_id]
    return nb


def test_bundle_holds_the_scripts_requirements_checks_and_solution(bundle: Path):
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {
        "setup.sh",
        "run_autograder",
        "requirements.txt",
        "source/assignment.json",
        f"source/solutions/{A}/{A}.ipynb",
        f"source/exercises/{A}/{A}.ipynb",
        "source/autograder/grading/__init__.py",
        f"source/autograder/checks/{A}.py",
    } <= names
    pins = zipfile.ZipFile(bundle).read("requirements.txt").decode().split()
    assert any(p.startswith("torch==") for p in pins) and any(p.startswith("numpy==") for p in pins)


def check_format(results: dict) -> None:
    assert set(results) >= {"score", "execution_time", "output", "tests"}
    assert len(results["tests"]) == len(ASSIGNMENTS[A])
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "after_published")
    assert results["score"] == sum(t["score"] for t in results["tests"])


def test_solution_gets_full_marks(bundle: Path, tmp_path: Path):
    results = run_bundle(bundle, tmp_path, notebook("solutions"))
    check_format(results)
    assert results["score"] == MAX
    assert all(t["status"] == "passed" for t in results["tests"])


def test_blank_gets_zero_with_readable_output(bundle: Path, tmp_path: Path):
    results = run_bundle(bundle, tmp_path, notebook("exercises"), name="my_copy.ipynb")
    check_format(results)
    assert results["score"] == 0
    assert "not implemented yet" in results["tests"][0]["output"]
    assert "graded my_copy.ipynb" in results["output"]


@pytest.mark.skipif(
    not sandbox.privileged() and os.environ.get("CI") != "true",
    reason="the sandbox's privilege drop needs root (CI runs this as root)",
)
def test_hostile_submission_scores_zero_and_the_grader_survives(bundle: Path, tmp_path: Path):
    solved = {k: v for k, v in _answers(notebook("solutions")).items()}
    results = run_bundle(
        bundle, tmp_path, notebook("solutions", {**solved, "relu_scalar": HOSTILE})
    )
    check_format(results)
    assert results["score"] == 0
    assert "uses import os" in results["tests"][0]["output"]


def test_missing_notebook_is_reported(bundle: Path, tmp_path: Path):
    results = run_bundle(bundle, tmp_path, None)
    check_format(results)
    assert results["score"] == 0 and "no notebook" in results["tests"][0]["output"]


def _answers(nb: dict) -> dict[str, str]:
    return {
        c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def test_bundle_runs_its_own_copy_of_the_grader(bundle: Path, tmp_path: Path):
    """run_autograder runs the package inside the bundle, not one installed elsewhere."""
    with zipfile.ZipFile(bundle) as z:
        z.extractall(tmp_path)
    (tmp_path / "source" / "autograder" / "__main__.py").write_text(
        "import sys\nprint('the bundled grader ran with', sys.argv[1])\n"
    )
    (tmp_path / "submission").mkdir()
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", str(tmp_path / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the bundled grader ran with gradescope-run\n"


APT_GET = """#!/bin/bash
# A stand-in for apt-get: it logs its arguments; the first install of python3.11 fails, as on
# an Ubuntu release without it, and the second puts a python3.11 on PATH, as the PPA would.
echo "apt-get $*" >> "$LOG"
if [ "$1" = install ] && [ "${@: -1}" = python3.11-venv ]; then
    if /bin/grep -q add-apt-repository "$LOG"; then /bin/ln -sf "$REAL_PYTHON" "$BIN/python3.11"
    else exit 100; fi
fi
"""
# name==version of each distribution named on the command line, without a local "+cpu" label
VERSIONS = """import importlib.metadata, sys
print(*(f"{n}=={importlib.metadata.version(n).split('+')[0]}" for n in sys.argv[1:]))"""
ADD_APT_REPOSITORY = """#!/bin/bash
echo "add-apt-repository $*" >> "$LOG"
"""


def test_setup_sh_builds_a_python_311_environment_that_grades(bundle: Path, tmp_path: Path):
    """setup.sh on an image with no Python 3.11 (only stand-ins for apt on PATH): it installs
    python3.11 (from the deadsnakes PPA when the distribution has none), creates $ROOT/venv,
    pip-installs the pinned packages, and run_autograder then grades with that environment."""
    root, bin_ = tmp_path / "autograder", tmp_path / "bin"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root)
    bin_.mkdir()
    for name, text in (("apt-get", APT_GET), ("add-apt-repository", ADD_APT_REPOSITORY)):
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    log = tmp_path / "apt.log"
    real_python = Path(sys._base_executable).resolve()  # noqa: SLF001 - the venv's interpreter
    env = {
        **os.environ,
        "PATH": str(bin_),
        "AUTOGRADER_ROOT": str(root),
        "LOG": str(log),
        "BIN": str(bin_),
        "REAL_PYTHON": str(real_python),
        "TORCH_INDEX": "",
        "PIP_NO_COMPILE": "0",  # pip reads it as --no-compile: no .pyc of torch (saves ~30 s)
    }  # PyTorch's index is out of reach here; pip's own config serves
    done = subprocess.run(
        ["/bin/bash", str(root / "setup.sh")], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert log.read_text().splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq python3.11 python3.11-venv",
        "apt-get install -y -qq software-properties-common",
        "add-apt-repository -y ppa:deadsnakes/ppa",
        "apt-get update -qq",
        "apt-get install -y -qq python3.11 python3.11-venv",
    ]
    python = root / "venv" / "bin" / "python"
    pins = zipfile.ZipFile(bundle).read("requirements.txt").decode().split()
    versions = subprocess.run(
        [str(python), "-c", VERSIONS, *(p.split("==")[0] for p in pins)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions == pins
    nb = notebook("solutions")
    (root / "submission").mkdir()
    (root / "submission" / f"{A}.ipynb").write_text(json.dumps(nb))
    done = subprocess.run(
        ["/bin/bash", str(root / "run_autograder")],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    check_format(results)
    assert results["score"] == MAX
