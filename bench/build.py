"""Book build times: cold, warm, and after editing one chapter, in one run on this machine.

Usage: python bench/build.py [--chapter book/ch02_relu.md]

Copies the repository (without ``.venv``, ``_build`` and ``.git``) into a temporary directory and
builds it there three times with this environment's ``jupyter-book build --builder html -n -W
--keep-going``, the command ``make book`` runs:

1. cold: no execution cache, so every page executes;
2. warm: the same command again, nothing changed;
3. one chapter edited: a sentence appended to the chapter's prose, so only that notebook
   executes again.

Prints the three wall times against the targets (150 s, 15 s and 45 s on 2 cores) and each
page's execution time from the cold build's execution cache. The real repository is not
touched. Exits 1 if a build fails, 0 otherwise, whether or not a target was met.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
IGNORE = shutil.ignore_patterns(".venv", "_build", ".git", ".pytest_cache", "__pycache__",
                                ".ruff_cache", "*.egg-info", "grades", "feedback", "submitted")
TARGETS = {"cold": 150.0, "warm": 15.0, "one chapter edited": 45.0}


def build(tree: Path) -> float:
    """Build the book in ``tree``; return the wall time, or exit if the build fails."""
    start = time.perf_counter()
    done = subprocess.run([str(JUPYTER_BOOK), "build", str(tree), "--builder", "html", "-n",
                           "-W", "--keep-going"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"the build in {tree} failed (exit code {done.returncode})")
    return seconds


def execution_seconds(tree: Path) -> dict[str, float]:
    """Each executed page's execution time, from the build's execution cache."""
    cache = get_cache(str(tree / "_build" / ".jupyter_cache"))
    return {str(Path(r.uri).relative_to(tree)): float(r.data.get("execution_seconds", "nan"))
            for r in cache.list_cache_records()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", default="book/ch02_relu.md",
                        help="the chapter to edit for the third build")
    args = parser.parse_args()
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tree = Path(tmp) / "repo"
        shutil.copytree(ROOT, tree, ignore=IGNORE)
        times["cold"] = build(tree)
        per_page = execution_seconds(tree)
        times["warm"] = build(tree)
        chapter = tree / args.chapter
        chapter.write_text(chapter.read_text() + "\nThis sentence was added by bench/build.py.\n")
        times["one chapter edited"] = build(tree)
    print(f"{'build':22} {'seconds':>8} {'target':>8}")
    for name, seconds in times.items():
        verdict = "met" if seconds <= TARGETS[name] else "MISSED"
        print(f"{name:22} {seconds:8.1f} {TARGETS[name]:8.0f}  {verdict}")
    print(f"(edited: {args.chapter})\n\nexecution time of each page in the cold build:")
    for page, seconds in sorted(per_page.items()):
        print(f"  {page:40} {seconds:6.1f} s")
    print(f"  {'all pages':40} {sum(per_page.values()):6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
