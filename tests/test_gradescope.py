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

from autograder import sandbox
from autograder.catalog import ASSIGNMENTS

from conftest import ROOT

A = "ex02_relu"
MAX = float(sum(i.points for i in ASSIGNMENTS[A]))
HOSTILE = """import os
def relu_scalar(x):
    os.kill(os.getppid(), 9)
    while True:
        pass
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope", A, "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def run_bundle(bundle: Path, root: Path, notebook: dict | None, name: str = f"{A}.ipynb"):
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root)
    for script in ("run_autograder", "setup.sh"):
        (root / script).chmod(0o755)
    (root / "submission").mkdir()
    if notebook is not None:
        (root / "submission" / name).write_text(json.dumps(notebook))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=600)
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
    assert {"setup.sh", "run_autograder", "requirements.txt", "source/assignment.json",
            f"source/solutions/{A}/{A}.ipynb", f"source/exercises/{A}/{A}.ipynb",
            "source/autograder/grading.py", f"source/autograder/checks/{A}.py"} <= names
    pins = zipfile.ZipFile(bundle).read("requirements.txt").decode().split()
    assert any(p.startswith("torch==") for p in pins) and any(p.startswith("numpy==")
                                                              for p in pins)


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


@pytest.mark.skipif(not sandbox.privileged() and os.environ.get("CI") != "true",
                    reason="the sandbox's privilege drop needs root (CI runs this as root)")
def test_hostile_submission_scores_zero_and_the_grader_survives(bundle: Path, tmp_path: Path):
    solved = {k: v for k, v in _answers(notebook("solutions")).items()}
    results = run_bundle(bundle, tmp_path, notebook("solutions", {**solved,
                                                                   "relu_scalar": HOSTILE}))
    check_format(results)
    assert results["score"] == 0
    assert "uses import os" in results["tests"][0]["output"]


def test_missing_notebook_is_reported(bundle: Path, tmp_path: Path):
    results = run_bundle(bundle, tmp_path, None)
    check_format(results)
    assert results["score"] == 0 and "no notebook" in results["tests"][0]["output"]


def _answers(nb: dict) -> dict[str, str]:
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def test_bundle_runs_its_own_copy_of_the_grader(bundle: Path, tmp_path: Path):
    with zipfile.ZipFile(bundle) as z:
        z.extractall(tmp_path)
    shutil.rmtree(tmp_path / "source" / "autograder")
    (tmp_path / "submission").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path), "PYTHONNOUSERSITE": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(tmp_path / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300)
    # with its package removed, the bundle falls back to the installed one: still a result
    assert done.returncode == 0 and (tmp_path / "results" / "results.json").is_file()
