"""Book build times: cold, warm, and after editing one chapter, in one run on this machine.

Usage: python bench/build.py [--chapter book/ch02_relu.md]   (or: make bench-build)

Copies the repository (without ``.venv``, ``_build``, ``.git``, caches and grading output) into
a temporary directory and builds it there with this environment's ``jupyter-book build COPY
--builder html -n -W --keep-going``, the command ``make book`` runs, four times:

1. cold: no execution cache, so every page with code executes;
2. warm: the same command again, nothing changed;
3. prose edited (for information, no target): a sentence appended to the chapter's Markdown.
   The execution cache keys a notebook on its code cells only, so nothing executes again;
4. one chapter edited: a code cell appended to the chapter (a comment), which changes its
   cache key, so that chapter, and only it, executes again.

Prints the wall times against the targets (cold 150 s, warm 15 s, one chapter edited 45 s, on
2 cores) with PASS or FAIL, the pages each build executed, and each page's execution time
(from the copy's execution cache, ``_build/.jupyter_cache``). The real repository is not
touched. Exits 1 if a build fails, 0 otherwise, whether or not a target was met.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
JUPYTER_BOOK = BIN / "jupyter-book"
IGNORE = shutil.ignore_patterns(
    ".venv",
    "_build",
    ".git",
    ".pytest_cache",
    "__pycache__",
    ".ruff_cache",
    ".ipynb_checkpoints",
    "*.egg-info",
    "submitted",
    "autograded",
    "feedback",
    "grades",
    "gradebook.db",
)
TARGETS = {"cold": 150.0, "warm": 15.0, "one chapter edited": 45.0}
PROSE_EDIT = "\nThis sentence was added by bench/build.py.\n"
CODE_EDIT = "\n```{code-cell} ipython3\n# This cell was added by bench/build.py.\n```\n"


class BuildFailed(Exception):
    pass


def build(tree: Path) -> float:
    """Build the book in ``tree`` as ``make book`` does; return the wall time in seconds."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.perf_counter()
    done = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(tree), "--builder", "html", "-n", "-W", "--keep-going"],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        raise BuildFailed(f"the build in {tree} failed (exit code {done.returncode})")
    return seconds


def cache_records(tree: Path) -> dict[int, tuple[str, float]]:
    """The execution cache of ``tree``: record id -> (page, execution seconds)."""
    path = tree / "_build" / ".jupyter_cache"
    if not path.is_dir():
        return {}
    return {
        r.pk: (
            Path(r.uri).relative_to(tree).as_posix(),
            float(r.data.get("execution_seconds", float("nan"))),
        )
        for r in get_cache(str(path)).list_cache_records()
    }


def run(tree: Path, chapter: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The four builds: wall seconds per build, and the pages each one executed (with seconds)."""
    times: dict[str, float] = {}
    executed: dict[str, dict[str, float]] = {}

    def timed(name: str) -> None:
        before = cache_records(tree)
        times[name] = build(tree)
        after = cache_records(tree)
        executed[name] = dict(after[pk] for pk in sorted(after.keys() - before.keys()))

    source = tree / chapter
    timed("cold")
    timed("warm")
    source.write_text(source.read_text() + PROSE_EDIT)
    timed("prose edited")
    source.write_text(source.read_text() + CODE_EDIT)
    timed("one chapter edited")
    return times, executed


def report(times: dict[str, float], executed: dict[str, dict[str, float]], chapter: str) -> None:
    print(f"{'build':22} {'seconds':>8} {'target':>8}  {'result':6}  pages executed")
    for name, seconds in times.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else ("PASS" if seconds <= target else "FAIL")
        pages = (
            ", ".join(executed[name])
            if len(executed[name]) <= 2
            else (f"{len(executed[name])} pages")
        )
        print(
            f"{name:22} {seconds:8.1f} {'-' if target is None else f'{target:.0f}':>8}  "
            f"{verdict:6}  {pages or 'none'}"
        )
    print(f"(edited: {chapter}; targets are for 2 cores, this machine has {os.cpu_count()})")
    print("\nexecution time of each page in the cold build:")
    for page, seconds in sorted(executed["cold"].items()):
        print(f"  {page:40} {seconds:6.1f} s")
    print(f"  {'all pages':40} {sum(executed['cold'].values()):6.1f} s")
    for page, seconds in executed["one chapter edited"].items():
        print(f"\n{page} executed again after the edit in {seconds:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--chapter",
        default="book/ch02_relu.md",
        help="the chapter (MyST Markdown notebook) to edit for the last builds",
    )
    args = parser.parse_args()
    if not (ROOT / args.chapter).is_file():
        parser.error(f"no such chapter: {args.chapter}")
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tree = Path(tmp) / "repo"
        shutil.copytree(ROOT, tree, ignore=IGNORE)
        try:
            times, executed = run(tree, args.chapter)
        except BuildFailed as error:
            print(error, file=sys.stderr)
            return 1
    report(times, executed, args.chapter)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
