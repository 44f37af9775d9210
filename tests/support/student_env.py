"""The student's environment, shared by the tests that need one: a fresh virtual environment
holding ipykernel, into which the set-up cell itself installs the course package from the wheel
``make wheel`` builds, offline.

Offline: pip gets ``PIP_NO_INDEX=1`` and finds packages only in the wheelhouse that
``make wheelhouse`` (part of ``make test``) downloads into ``.venv/wheelhouse``, the wheel just
built and ``/opt/wheels`` (torch's CPU wheel); where ``unshare --net`` works (as root), the
kernel that runs the set-up cell, and so the pip it starts, runs in a network namespace of its
own with no network, and talks to the test over Unix sockets.

``tests/conftest.py`` makes one such environment per session (the ``student_env`` fixture):
the suite's book build runs its chapters in that environment's kernel, and
``tests/test_student_env.py`` runs the released exercises there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from support.paths import ROOT, VENV

WHEELHOUSE = VENV / "wheelhouse"
OPT_WHEELS = Path("/opt/wheels")  # torch's CPU wheel on this machine (pip's find-links)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The set-up cell: the first code cell of every chapter (tagged remove-cell) and the start of
# every exercise's locked set-up cell. Change it here, then in each file (solutions/ and
# book/*.md), then `make exercises`; test_every_notebook_starts_with_the_set_up_cell checks it.
SETUP_CELL = """\
# Set-up (not graded): installs the course package when this environment lacks it.
# Instructors: point PACKAGE at your course's copy (a package name, a wheel URL or a path).
PACKAGE = "activation-functions-course --find-links https://activation-functions-course.github.io/course/wheels/"
import importlib.util
if importlib.util.find_spec("autograder") is None:
    import subprocess, sys
    print(f"Installing {PACKAGE.split()[0]} with pip: a few minutes the first time.")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *PACKAGE.split()], check=True)
    importlib.invalidate_caches()"""  # noqa: E501 - one line of the cell is 101 characters
PACKAGE_LINE = re.compile(r'^PACKAGE = ".*"$', re.M)


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def built_wheel() -> Path:
    """Build the wheel with ``make wheel`` (once per session) and return its path."""
    if not _WHEEL:
        stamp = VENV / ".installed"
        proc = subprocess.run(
            ["make", "-s", "-C", str(ROOT), "wheel", f"VENV={VENV}", "-o", str(stamp)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, f"make wheel failed:\n{proc.stdout}{proc.stderr}"
        _WHEEL.append(ROOT / "dist" / f"activation_functions_course-{version()}-py3-none-any.whl")
    assert _WHEEL[0].is_file(), f"make wheel did not write {_WHEEL[0]}"
    return _WHEEL[0]


_WHEEL: list[Path] = []


def can_unshare_network() -> bool:
    """Whether this process may start programs in a new network namespace (root can)."""
    try:
        return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@dataclass
class StudentEnv:
    """A fresh virtual environment and the way to run its kernel offline."""

    root: Path
    numpy: str
    install_seconds: float = 0.0
    summary: str = ""  # what was installed, and how long the set-up cell took
    env: dict[str, str] = field(default_factory=dict)
    argv_prefix: tuple[str, ...] = ()
    _kernels: int = 0

    @property
    def python(self) -> Path:
        return self.root / "venv" / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.root / "venv" / "lib" / version / "site-packages"

    def kernel_manager(self) -> KernelManager:
        """A manager for one kernel of this environment, on Unix sockets (no TCP)."""
        self._kernels += 1
        specs = self.root / "kernels"
        spec = specs / "student"
        if not spec.is_dir():
            spec.mkdir(parents=True)
            argv = [
                *self.argv_prefix,
                str(self.python),
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
            ]
            (spec / "kernel.json").write_text(
                json.dumps({"argv": argv, "display_name": "student", "language": "python"})
            )
        return KernelManager(
            kernel_name="student",
            transport="ipc",
            ip=str(self.root / f"k{self._kernels}"),
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]),
        )

    @contextmanager
    def kernel(self, nb: nbformat.NotebookNode, folder: Path) -> Iterator[NotebookClient]:
        """A client with a running kernel whose working directory is ``folder``; the kernel is
        shut down afterwards (nbclient leaves alone a kernel manager it did not create)."""
        km = self.kernel_manager()
        client = NotebookClient(
            nb, km=km, timeout=900, allow_errors=True, resources={"metadata": {"path": str(folder)}}
        )
        try:
            with client.setup_kernel(env=self.env):
                yield client
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)

    def run(self, nb: nbformat.NotebookNode, folder: Path) -> None:
        """Run every cell of ``nb`` in a new kernel, going on past errors."""
        with self.kernel(nb, folder) as client:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)

    def pip(self, *args: str) -> None:
        proc = subprocess.run(
            [str(self.python), "-m", "pip", *args], env=self.env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stderr[-3000:]}"


def make_env(root: Path) -> StudentEnv:
    """A venv holding ipykernel, then the course package installed
    by the set-up cell itself, run in that venv's kernel with pip pointed at local files.
    Takes a minute or two: torch alone unpacks to about 1 GB."""
    if not (WHEELHOUSE / ".complete").is_file():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run `make wheelhouse` (make test does)")
    wheel_dir = root / "dist"
    wheel_dir.mkdir(parents=True)
    shutil.copy2(built_wheel(), wheel_dir)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_NO_INDEX": "1",  # never an index: only the folders below
        "PIP_FIND_LINKS": f"{WHEELHOUSE} {wheel_dir} {OPT_WHEELS}",
        "PIP_NO_COMPILE": "0",  # pip reads this as --no-compile (saves a minute on torch)
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CONFIG_FILE": "/dev/null",  # not this machine's pip.conf (its indexes)
    }
    student = StudentEnv(
        root, "", env=env, argv_prefix=("unshare", "--net", "--") if can_unshare_network() else ()
    )
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    student.pip("install", "--quiet", "ipykernel")

    setup = SETUP_CELL.replace(
        PACKAGE_LINE.search(SETUP_CELL).group(0), 'PACKAGE = "activation-functions-course"'
    )  # the instructors' knob
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup)])
    folder = root / "setup"
    folder.mkdir()
    started = time.monotonic()
    student.run(nb, folder)
    student.install_seconds = time.monotonic() - started
    out = outputs(nb.cells[0])
    assert "Installing activation-functions-course" in out and "Error" not in out, out

    probe = (
        "import importlib.metadata as m, importlib.util as u; print(*(m.version(d) for d in "
        "('activation-functions-course', 'numpy', 'torch')), [p for p in ('nbgrader', "
        "'jupyter_book', 'pytest') if u.find_spec(p)])"
    )
    found = subprocess.run(
        [str(student.python), "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=3)
    assert found[0] == version()
    assert found[3].strip() == "[]", f"instructor or build tools in the student env: {found[3]}"
    student.numpy = found[1]
    student.summary = (
        f"student env: Python {sys.version.split()[0]}, numpy {found[1]}, torch {found[2]}, "
        f"package installed by the set-up cell in {student.install_seconds:.0f} s"
    )
    return student


def numpy_overlay(root: Path, base: StudentEnv, numpy: str) -> StudentEnv:
    """A second venv that differs from ``base`` only in NumPy: its own site-packages holds
    NumPy ``numpy`` alone and a ``.pth`` file puts ``base``'s site-packages after it, so every
    other package is the same build as in ``base`` (what pip would install again: the same
    versions accept NumPy 1.26). Seconds instead of a second full install."""
    root.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    student = StudentEnv(root, numpy, env=base.env, argv_prefix=base.argv_prefix)
    site, base_site = student.site_packages, base.site_packages
    base.pip("install", "--quiet", "--no-deps", "--target", str(site), f"numpy=={numpy}")
    (site / "zz_student_env_base.pth").write_text(f"{base_site}\n")
    found = subprocess.run(
        [str(student.python), "-c", "import numpy, autograder, bookkit; print(numpy.__version__)"],
        env=base.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == numpy, f"the overlay imports NumPy {found}, not {numpy}"
    return student


def outputs(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell showed: streams, results and the error (without colours)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(ANSI.sub("", "\n".join(out.traceback)) + "\n")
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)
