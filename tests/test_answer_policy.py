"""What the check cell says about an answer's imports is what the grader gives.

Every module of the standard library (and a few others) goes through both: the check cell, run
by a real IPython shell as the kernel runs it, and ``python -m autograder grade`` on a batch
with one submission per module. Their verdicts must agree; harmless modules (``copy``, ``time``,
``re``, ...) pass, the ones that reach the interpreter, the process or the files do not. Then
the two cases of the issue run end to end in a real Jupyter kernel and the grader.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder import policy, sandbox

from support.paths import ROOT

A = "ex02_relu"
FULL = 15.0
MODULES = sorted(
    set(sys.stdlib_module_names)
    | policy.NUMERICAL_MODULES
    | {"pandas", "requests", "sklearn", "autograder", "nbgrader", "IPython"}
)
HARMLESS = (
    "copy",
    "time",
    "re",
    "string",
    "heapq",
    "bisect",
    "array",
    "random",
    "math",
    "functools",
    "collections",
    "itertools",
    "fractions",
    "decimal",
    "json",
    "textwrap",
)
TAMPERING = (
    "sys",
    "os",
    "subprocess",
    "inspect",
    "importlib",
    "gc",
    "ctypes",
    "builtins",
    "signal",
    "threading",
    "io",
    "pathlib",
    "shutil",
    "pickle",
    "types",
    "unittest",
    "autograder",
    "nbgrader",
    "IPython",
)
CI = os.environ.get("CI") == "true"
pytestmark = pytest.mark.slow
needs_root = pytest.mark.skipif(
    not sandbox.privileged() and not CI,
    reason="the sandbox's file-system isolation needs root (CI runs these as root)",
)


def relu_answer(module: str, executed: bool = False) -> str:
    """A correct relu whose cell imports ``module`` (inside ``if False:`` unless executed)."""
    head = f"import {module}\n" if executed else f"if False:\n    import {module}\n"
    return head + "def relu(x):\n    return np.maximum(x, 0)\n"


def solution_with(relu: str) -> dict:
    nb = json.loads((ROOT / "solutions" / A / f"{A}.ipynb").read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "relu":
            cell["source"] = relu
    return nb


def check_cell_passes(shell: InteractiveShell, answer: str) -> bool:
    assert shell.run_cell(answer, store_history=True).success
    return shell.run_cell('check("relu_core", relu)', store_history=True).success


def grade(course: Path, submissions: dict[str, dict]) -> dict[str, list[dict[str, str]]]:
    """Grade ``submissions`` (student -> notebook) with the real command; rows per student."""
    for student, nb in submissions.items():
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_text(json.dumps(nb))
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course), A, "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows: dict[str, list[dict[str, str]]] = {}
    with open(course / "grades" / f"{A}.csv", newline="") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["student_id"], []).append(row)
    return rows


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("policy")
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / A, root / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    return root


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.run_cell("import numpy as np\nfrom autograder import check", store_history=True)
    return ip


@needs_root
def test_check_cell_and_grader_agree_on_every_module(course: Path, shell: InteractiveShell):
    students = {f"m_{m}": solution_with(relu_answer(m)) for m in MODULES}
    rows = grade(course, students)
    disagree, verdicts = [], {}
    for module in MODULES:
        in_notebook = check_cell_passes(shell, relu_answer(module))
        student = rows[f"m_{module}"]
        at_grading = sum(float(r["points"]) for r in student) == FULL
        if not at_grading:  # zeroed: every item forbidden, the message names the import
            assert {r["status"] for r in student} == {"forbidden"}, (module, student[0])
            assert f"import {module}" in student[0]["message"]
        verdicts[module] = at_grading
        if in_notebook != at_grading:
            disagree.append(
                f"{module}: check cell {'passes' if in_notebook else 'fails'}, "
                f"grader gives {'full marks' if at_grading else '0'}"
            )
    assert not disagree, "\n".join(disagree)
    assert all(verdicts[m] for m in HARMLESS), {m: verdicts[m] for m in HARMLESS}
    assert not any(verdicts[m] for m in TAMPERING), {m: verdicts[m] for m in TAMPERING}
    assert all(verdicts[m] for m in policy.NUMERICAL_MODULES)


def run_in_kernel(nb: dict, folder: Path) -> nbformat.NotebookNode:
    """Execute ``nb`` in a fresh Jupyter kernel as Run All would, past failing checks. The
    kernel talks over Unix sockets in ``folder`` (no TCP port to race for: two run at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    node = nbformat.reads(json.dumps(nb), as_version=4)
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))
    try:
        NotebookClient(
            node,
            km=km,
            timeout=120,
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    finally:  # nbclient leaves alone a kernel manager it did not create
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return node


def outputs_of(nb: nbformat.NotebookNode, grade_id: str) -> str:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "\n".join(
                o.get("text", "") + "\n".join(o.get("traceback", []))
                for o in cell.get("outputs", [])
            )
    raise KeyError(grade_id)


@needs_root
def test_import_copy_passes_everywhere_and_import_sys_is_flagged_everywhere(
    course: Path, tmp_path: Path
):
    harmless = ", ".join(m for m in sorted(policy.STANDARD_MODULES) if policy.module_allowed(m))
    copying = (
        f"import copy\nimport {harmless}\ndef relu(x):\n    return copy.copy(np.maximum(x, 0))\n"
    )
    debugging = (
        "import sys\n"
        "def relu(x):\n    print('relu called', file=sys.stderr)\n"
        "    return np.maximum(x, 0)\n"
    )
    with ThreadPoolExecutor(max_workers=2) as pool:  # two kernels at a time on two cores
        runs = {
            name: pool.submit(run_in_kernel, solution_with(answer), tmp_path / name)
            for name, answer in (("copying", copying), ("debugging", debugging))
        }
    copied = runs["copying"].result()
    assert "PASSED relu: values" in outputs_of(copied, "relu_core")
    flagged = outputs_of(runs["debugging"].result(), "relu_core")
    assert "what answers may use" in flagged and "import sys" in flagged
    assert "autograder/" not in flagged and "Traceback" not in flagged
    rows = grade(course, {"copying": solution_with(copying), "debugging": solution_with(debugging)})
    assert sum(float(r["points"]) for r in rows["copying"]) == FULL, rows["copying"]
    assert {r["status"] for r in rows["debugging"]} == {"forbidden"}
    assert sum(float(r["points"]) for r in rows["debugging"]) == 0
