"""Every figure the book draws plots real numbers: nothing empty, nothing NaN or infinite.

A PNG does not hold the data it was drawn from, so the check happens *inside* the kernel that
executes a chapter, at the moment a figure is rendered. :data:`AUDIT` is an IPython startup file
that wraps ``FigureCanvasBase.print_figure`` (the one place every inline display, ``plt.show()``
and ``savefig`` goes through) and, before each figure is drawn, inspects every Axes:

- lines (``get_xydata``), scatter offsets, the vertices of other collections (``fill_between``,
  ``vlines``, contours), images (``get_array``) and patches (bars: ``x``, ``y``, width, height):
  each must be non-empty and finite; points on a log-scaled axis must be positive (matplotlib
  silently drops the others);
- bar charts must have bars, and their value axis must be numeric: ``ax.bar(names, d.keys())``
  draws category *indices* 0, 1, 2 as heights, which matplotlib does without complaint;
- a visible Axes must contain something.

The one exception is deliberate: a line drawn with ``gid="gaps"`` may contain NaN, the
matplotlib idiom for breaking a line, as long as it also has finite points and no infinity.

It appends one JSON line per rendered figure (the cell's source and the problems found) to the
file named by ``BOOK_FIGURE_AUDIT``. ``tests/support/figure_audit.py`` holds it;
:func:`~support.figure_audit.figure_audit_env` writes the startup file and returns the
environment (``IPYTHONDIR``, ``BOOK_FIGURE_AUDIT``) that turns it on for any kernel started
with it. ``support.book.make_book`` passes that environment to the book build, so these tests
read the records of the one build the suite already does. The broken-chapter tests below run
the same checker on a tiny chapter with deliberately bad figures and require it to catch each
one.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import jupytext
import matplotlib
import nbformat
import pytest
from nbclient import NotebookClient

from support.book import Build
from support.figure_audit import AUDIT, figure_audit_env, read_records, records_path
from support.paths import ROOT

BOOK = ROOT / "book"
PAGES = sorted(BOOK.glob("ch[0-9][0-9]_*.md")) + [BOOK / "intro.md"]  # every page with code
pytestmark = pytest.mark.slow  # reads the book build; the self-test runs a kernel


def execute(notebook: nbformat.NotebookNode, env: dict[str, str], cwd: Path) -> None:
    """Run ``notebook`` in a fresh python3 kernel started with ``env`` added, in ``cwd``."""
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute(env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env})


def chapter_of(cell: str, sources: dict[str, set[str]]) -> str:
    """The page whose code cells include ``cell`` (how a build's records are attributed)."""
    for page, cells in sources.items():
        if cell.strip() in cells:
            return page
    return "<unknown page>"


def first_line(cell: str) -> str:
    lines = [ln for ln in cell.strip().splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[0][:90] if lines else "<empty cell>"


def figure_cell_count(notebook: nbformat.NotebookNode) -> int:
    return sum(
        1
        for c in notebook.cells
        if c.cell_type == "code" and "figure" in c.metadata.get("mystnb", {})
    )


@pytest.fixture(scope="session")
def book_figures(built_book: Build) -> dict[str, list[dict]]:
    """Audit records of every page, keyed by page name, from the suite's one book build
    (``support.book.make_book`` enables the audit in its kernels)."""
    build = built_book
    notebooks = {p.stem: jupytext.read(p) for p in PAGES}
    by_page: dict[str, list[dict]] = {name: [] for name in notebooks}
    sources = {
        name: {c.source.strip() for c in nb.cells if c.cell_type == "code"}
        for name, nb in notebooks.items()
    }
    records = read_records(records_path(build.tree))
    assert records, f"the book build recorded no figure audit in {records_path(build.tree)}"
    for record in records:
        by_page.setdefault(chapter_of(record["cell"], sources), []).append(record)
    return by_page


@pytest.mark.parametrize("page", [p.stem for p in PAGES])
def test_every_figure_of_the_page_was_audited(book_figures: dict[str, list[dict]], page: str):
    """The audit saw at least as many figures as the page has figure cells (it is really on)."""
    expected = figure_cell_count(jupytext.read(BOOK / f"{page}.md"))
    assert len(book_figures.get(page, [])) >= expected, (
        f"{page}: the audit recorded {len(book_figures.get(page, []))} figures, "
        f"the page has {expected} figure cells"
    )


@pytest.mark.parametrize("page", [p.stem for p in PAGES])
def test_every_figure_plots_finite_non_empty_numbers(
    book_figures: dict[str, list[dict]], page: str
):
    bad = [
        f"cell starting {first_line(r['cell'])!r}:\n    " + "\n    ".join(r["problems"])
        for r in book_figures.get(page, [])
        if r["problems"]
    ]
    assert not bad, f"{page}: figures with empty, non-finite or non-numeric data\n" + "\n".join(bad)


def test_no_figure_record_is_unattributed(book_figures: dict[str, list[dict]]):
    assert not book_figures.get("<unknown page>"), "records from cells no page contains"


# ---------------------------------------------------------------------------------------------
# The checker can fail: a tiny chapter whose figures are broken in the ways the audit must catch.

BROKEN_CELLS = {
    "empty bar chart": "fig, ax = plt.subplots()\nax.bar([], [])\nplt.show()",
    "line of NaN": "fig, ax = plt.subplots()\nax.plot([0, 1, 2], [np.nan] * 3)\nplt.show()",
    "line with one infinity": (
        "fig, ax = plt.subplots()\nax.plot([0, 1, 2], [1.0, np.inf, 2.0])\nplt.show()"
    ),
    "bar heights are a dict's keys": (
        "cost = {'ReLU': 1.0, 'sigmoid': 3.2, 'tanh': 2.9}\n"
        "fig, ax = plt.subplots()\nax.bar(list(cost), list(cost))\nplt.show()"
    ),
    "empty scatter": "fig, ax = plt.subplots()\nax.scatter([], [])\nplt.show()",
    "image with NaN": (
        "fig, ax = plt.subplots()\nax.imshow(np.array([[1.0, np.nan], [0.0, 2.0]]))\nplt.show()"
    ),
    "zero on a log axis": (
        "fig, ax = plt.subplots()\nax.semilogy([0, 1, 2], [1.0, 0.0, 1e-3])\nplt.show()"
    ),
    "empty axes": "fig, (a1, a2) = plt.subplots(1, 2)\na1.plot([0, 1], [0, 1])\nplt.show()",
    "empty line, shown without plt.show": "fig, ax = plt.subplots()\nax.plot([], [])",
    "line marked as gaps, all NaN": (
        "fig, ax = plt.subplots()\nax.plot([0, 1], [np.nan, np.nan], gid='gaps')\nplt.show()"
    ),
    "fill_between of NaN": (
        "fig, ax = plt.subplots()\nax.fill_between([0, 1], [np.nan, np.nan], [1.0, 1.0])\n"
        "plt.show()"
    ),
}
GOOD_CELL = (
    "fig, ax = plt.subplots(1, 3)\nax[0].plot([0, 1], [0, 1], label='x')\n"
    "ax[0].axhline(0.5)\nax[0].scatter([0.5], [0.5])\nax[0].fill_between([0, 1], 0, 1)\n"
    "ax[0].hist(np.arange(10.0))\nax[1].bar(['a', 'b'], [1.0, 2.5])\n"
    "ax[1].set_yscale('log')\nfig.colorbar(ax[2].imshow(np.eye(2)), ax=ax[2])\n"
    "ax[0].plot([0, 1, 2], [1.0, np.nan, 2.0], gid='gaps')\nplt.show()"
)


def broken_chapter() -> nbformat.NotebookNode:
    header = "import matplotlib.pyplot as plt\nimport numpy as np"
    cells = [
        nbformat.v4.new_markdown_cell("# A broken chapter"),
        nbformat.v4.new_code_cell(header),
        nbformat.v4.new_code_cell(GOOD_CELL),
    ]
    cells += [nbformat.v4.new_code_cell(source) for source in BROKEN_CELLS.values()]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


@pytest.fixture(scope="module")
def broken_records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Problems the kernel audit recorded for each cell of :func:`broken_chapter`."""
    env = figure_audit_env(tmp_path_factory.mktemp("broken") / "repo")
    notebook = broken_chapter()
    execute(notebook, env, BOOK)
    images = sum(
        1
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    )
    assert images == len(BROKEN_CELLS) + 1, "every figure is still displayed"
    found: dict[str, list[str]] = {}
    for record in read_records(Path(env["BOOK_FIGURE_AUDIT"])):
        found.setdefault(record["cell"].strip(), []).extend(record["problems"])
    return found


def test_the_audit_passes_a_correct_figure(broken_records: dict[str, list[str]]):
    assert GOOD_CELL in broken_records, "the good figure was not audited"
    assert broken_records[GOOD_CELL] == []


@pytest.mark.parametrize("case", list(BROKEN_CELLS))
def test_the_audit_catches_a_broken_figure(broken_records: dict[str, list[str]], case: str):
    source = BROKEN_CELLS[case]
    assert source in broken_records, f"{case}: the figure was not audited"
    assert broken_records[source], f"{case}: the audit found nothing wrong"


def test_the_dict_keys_bug_is_named_as_such(broken_records: dict[str, list[str]]):
    problems = broken_records[BROKEN_CELLS["bar heights are a dict's keys"]]
    assert any("categories (strings), not numbers" in p for p in problems), problems


def test_the_checker_reports_counts_in_process():
    """The same checker, called directly on an Agg figure (no kernel)."""
    namespace: dict = {}
    exec(compile(AUDIT, "figure-audit", "exec"), namespace)  # noqa: S102 - our own code
    previous = matplotlib.get_backend()
    import matplotlib.pyplot as plt

    plt.switch_backend("Agg")
    try:
        fig, ax = plt.subplots()
        ax.plot([0.0, 1.0, 2.0, 3.0], [1.0, math.nan, math.inf, 2.0], label="loss")
        problems = namespace["figure_problems"](fig)
        plt.close(fig)
    finally:
        plt.switch_backend(previous)
    assert problems == ["axes 0, line 'loss': 2 of 8 values are NaN or infinite"], problems
