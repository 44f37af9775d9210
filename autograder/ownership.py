"""Who owns what the grader writes: the owner of the course directory, whoever ran the grader.

The full sandbox needs root, but the instructor reads the grades, returns the feedback and
adjusts scores in formgrader under their own account. So after a run, every file the grader
wrote is handed to the owner (user and group) of the course directory: files readable by
everyone who may read the course directory (mode 0644), directories 0755, and the gradebook
writable by its owner and group (0664). Symbolic links are never followed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

FILE_MODE = 0o644
DIRECTORY_MODE = 0o755
GRADEBOOK_MODE = 0o664


def hand_over(course: Path, trees: Iterable[Path], gradebook: Path | None = None) -> None:
    """Give every file and directory under ``trees`` (and ``gradebook``) the modes above and,
    when the grader runs as root, the course directory's owner."""
    owner = course.stat()
    as_root = os.geteuid() == 0

    def fix(path: Path, mode: int) -> None:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or not as_root and info.st_uid != os.geteuid():
            return  # a link, or another account's file: not ours to change
        if as_root and (info.st_uid, info.st_gid) != (owner.st_uid, owner.st_gid):
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
        if stat.S_IMODE(info.st_mode) != mode:
            os.chmod(path, mode)

    for tree in trees:
        if not tree.exists() or tree.is_symlink():
            continue
        fix(tree, DIRECTORY_MODE if tree.is_dir() else FILE_MODE)
        for folder, directories, files in os.walk(tree):
            for name in directories:
                fix(Path(folder, name), DIRECTORY_MODE)
            for name in files:
                fix(Path(folder, name), FILE_MODE)
    if gradebook is not None and gradebook.is_file():
        fix(gradebook, GRADEBOOK_MODE)
