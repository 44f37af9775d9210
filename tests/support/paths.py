"""Where things are: the repository, this test run's environment, a clean copy of the tree."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VENV = Path(sys.prefix)
BIN = VENV / "bin"
# Not part of a clean tree: build output, caches, the environment and version control.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    "_build",
    ".git",
    ".pytest_cache",
    "__pycache__",
    ".ruff_cache",
    "*.egg-info",
    ".ipynb_checkpoints",
)


def copy_tree(dest: Path) -> Path:
    """Copy the repository's source files (no build output, no .venv) to ``dest``."""
    shutil.copytree(ROOT, dest, ignore=NOT_SOURCE)
    return dest
