"""``make book`` as the course runs it, in a copy of the repository or a student tree, and
what its kernels ran."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from support.figure_audit import figure_audit_env
from support.paths import ROOT, VENV

T = TypeVar("T")
# `make book` processes still running (killed by stop_builds, e.g. when a session ends early)
RUNNING: set[subprocess.Popen[str]] = set()


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
    with subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: stop_builds ends make and its children
    ) as proc:
        RUNNING.add(proc)
        try:
            output, _ = proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            _kill(proc)
            output, _ = proc.communicate()
            output += "\n[the build took more than 900 s and was stopped]"
        finally:
            RUNNING.discard(proc)
    return Build(tree, proc.returncode, output)


def _kill(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def stop_builds() -> None:
    """Stop every ``make book`` still running (a session that ends before using its build)."""
    for proc in list(RUNNING):
        _kill(proc)


def uses_fixtures(item: object, fixtures: set[str]) -> bool:
    """Whether the test ``item`` (a ``pytest.Item``) uses one of ``fixtures``, directly or
    through another fixture it names."""
    return bool(fixtures & set(getattr(item, "fixturenames", ())))


class InBackground(Generic[T]):
    """``work()`` started at once in a thread of its own; :meth:`result` waits for it and
    returns its value, or raises what it raised (a test failure included)."""

    def __init__(self, work: Callable[[], T], name: str) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._value = work()
        except BaseException as error:  # re-raised in the thread that asks for the result
            self._error = error

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


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
