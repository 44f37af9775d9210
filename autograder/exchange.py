"""What nbgrader's exchange leaves beside a submitted notebook: when it was submitted, and the
secret that names its feedback.

``nbgrader submit`` writes ``timestamp.txt`` and ``submission_secret.txt`` into a submission,
and ``nbgrader collect`` keeps them in ``submitted/<student_id>/<assignment>/``. The timestamp
decides lateness (nbgrader's late-submission penalties); ``nbgrader release_feedback`` needs
both files beside each feedback page, as ``nbgrader generate_feedback`` leaves them. The files
come from the student's side, so they are read with care: regular files only (no symbolic
link is followed), a few hundred bytes at most, and anything else counts as absent.
"""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

from nbgrader.utils import parse_utc

from autograder.grading import write_atomically

TIMESTAMP, SECRET = "timestamp.txt", "submission_secret.txt"
MAX_BYTES = 512


def read_small_file(path: Path) -> str | None:
    """The text of ``path`` if it is a regular file (not a link) of at most
    :data:`MAX_BYTES` bytes of UTF-8; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def submitted_at(folder: Path) -> datetime.datetime | None:
    """When the submission in ``folder`` was made, in UTC (naive, as nbgrader stores it), from
    its ``timestamp.txt``; None without a readable one."""
    text = read_small_file(folder / TIMESTAMP)
    if text is None or not text.strip():
        return None
    try:
        when: datetime.datetime = parse_utc(text.strip())
        return when
    except (ValueError, OverflowError, TypeError):
        return None


def copy_beside_feedback(submitted: Path, feedback: Path) -> list[str]:
    """Copy the submission's timestamp and secret from the folder ``submitted`` into the folder
    ``feedback``, byte for byte, so that ``nbgrader release_feedback`` can return the page; a
    copy left from an earlier submission that no longer has the file is removed. Returns the
    names copied."""
    copied = []
    for name in (TIMESTAMP, SECRET):
        text = read_small_file(submitted / name)
        if text is None:
            (feedback / name).unlink(missing_ok=True)
        else:
            write_atomically(feedback / name, text)
            copied.append(name)
    return copied
