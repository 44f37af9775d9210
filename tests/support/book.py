"""``make book`` as the course runs it, in a copy of the repository or a student tree, and
what its kernels ran."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from support.figure_audit import figure_audit_env
from support.paths import ROOT, VENV


@dataclass(frozen=True)
class Build:
    """The outcome of ``make book`` in a copy of the repository or a generated student tree."""

    tree: Path
    returncode: int
    output: str

    @property
    def html(self) -> Path:
        return self.tree / "_build" / "html"


def make_book(tree: Path, kernel: Path | None = None) -> Build:
    """Run the real ``make book`` in ``tree`` with this test run's environment.

    The environment is already installed (this test runs inside it), so make is told to take
    the install stamp as up to date instead of installing again into the copy. With ``kernel``
    (a Python interpreter), the chapters execute in that interpreter's kernel: a ``python3``
    kernelspec on ``JUPYTER_PATH``, ahead of this environment's own. Every kernel records its
    ``sys.prefix`` (:func:`kernel_prefixes`) and audits its figures (``support.figure_audit``).
    """
    stamp = VENV / ".installed"
    cmd = ["make", "-C", str(tree), "book", f"VENV={VENV}", "-o", str(stamp)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **figure_audit_env(tree)}
    startup = Path(env["IPYTHONDIR"]) / "profile_default" / "startup"
    (startup / "01-kernel-prefix.py").write_text(
        "import sys\n"
        f"with open({str(prefixes_path(tree))!r}, 'a', encoding='utf-8') as _f:\n"
        "    _f.write(sys.prefix + '\\n')\n",
        encoding="utf-8",
    )
    if kernel is not None:
        spec = tree.parent / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [str(kernel), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (student environment)",
                    "language": "python",
                }
            )
        )
        env["JUPYTER_PATH"] = str(spec.parent.parent)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    return Build(tree, proc.returncode, proc.stdout + proc.stderr)


def prefixes_path(tree: Path) -> Path:
    return tree.parent / "kernel-prefixes.txt"


def kernel_prefixes(tree: Path) -> list[str]:
    """The ``sys.prefix`` of every kernel that ran while the book in ``tree`` was built."""
    path = prefixes_path(tree)
    return path.read_text(encoding="utf-8").split() if path.is_file() else []


def student_tree(dest: Path) -> Path:
    """Generate the public student repository of this one (``make student-repo``) in ``dest``."""
    from autograder.student_repo import generate  # imported here: it imports the whole package

    generate(dest, ROOT)
    return dest
