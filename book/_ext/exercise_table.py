"""The Exercises page's table, written from the released notebooks at every build.

No page lists the exercises by hand: an exercise is ``exercises/exNN_<topic>/exNN_<topic>.ipynb``
(generated from ``solutions/`` by ``make exercises``), it goes with the chapter
``book/chNN_*.md`` of the same number, and the functions a student implements are the ones its
check cells pass to ``check(...)``. Before MyST parses a page, :func:`insert_table` replaces the
line :data:`MARKER` with a MyST table of every exercise found, with its chapter, its functions, a
download link and an "Open in Colab" link (``colab_notebooks`` in ``_config.yml``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

MARKER = "<!-- exercise-table -->"
EXERCISE = re.compile(r"ex(?P<number>\d\d)_\w+")
# a graded cell's call, as autograder.cells reads it (that module is not imported here: the
# book's build must not depend on the grader's import-time state)
CHECK_CALL = re.compile(r'check\("[\w.-]+",\s*(?P<args>[^)]*?)(?:,\s*hidden=True)?\)')
PAGES: set[str] = {"book/exercises"}  # the pages holding the table


def targets(notebook: Path) -> list[str]:
    """The names the graded cells of ``notebook`` check, in order, with repeats."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        match = CHECK_CALL.search("".join(cell["source"]))
        if match is not None:
            found += [a.strip() for a in match["args"].split(",") if a.strip()]
    return found


def rows(root: Path, colab: str) -> list[str]:
    """One MyST table row per released exercise under ``root``, in order of number."""
    lines = []
    for folder in sorted((root / "exercises").iterdir()):
        match = EXERCISE.fullmatch(folder.name)
        notebook = folder / f"{folder.name}.ipynb"
        if match is None or not notebook.is_file():
            continue
        number = match["number"]
        page = f"exercises/{folder.name}/{folder.name}"
        chapter = "{ref}" + f"`ch{number}`" if any(root.glob(f"book/ch{number}_*.md")) else "-"
        names = dict.fromkeys(targets(notebook))
        implement = ", ".join(f"`{name}`" for name in names)
        download = "{download}" + f"`{folder.name}.ipynb <../{page}.ipynb>`"
        link = f"[Open in Colab]({colab.rstrip('/')}/{page}.ipynb)" if colab else "-"
        lines.append(
            f"| {{doc}}`Exercise {int(number)} <../{page}>` | {chapter} | {implement} "
            f"| {download} | {link} |"
        )
    return lines


def table(root: Path, colab: str) -> str:
    """The whole table, header included."""
    header = ["| exercise | chapter | you implement | download | Colab |", "|---|---|---|---|---|"]
    return "\n".join(header + rows(root, colab))


def insert_table(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read`` handler: put the table where the page has :data:`MARKER`."""
    if MARKER in source[0]:
        PAGES.add(docname)
        text = table(Path(app.srcdir), app.config.colab_notebooks)
        source[0] = source[0].replace(MARKER, text)


def reread_tables(app: Sphinx, env: object, *changes: set[str]) -> list[str]:
    """``env-get-outdated`` handler: a page with the table is read again at every build, since
    the exercises it lists are not its dependencies in Sphinx's eyes."""
    return sorted(PAGES)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("source-read", insert_table)
    app.connect("env-get-outdated", reread_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
