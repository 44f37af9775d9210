"""The exercises as a student uses them: JupyterLab and Notebook 7 in headless Debian Chromium.

One ``jupyter lab`` server (which also serves Notebook 7) runs on 127.0.0.1 for the module, on
a free port with a token, in a temporary folder holding copies of the released notebooks
(``exercises/`` is never touched), with Jupyter's and IPython's user directories pointed into
that folder so this machine's settings do not leak in; the environment's extensions (nbgrader's
Validate button among them) still load. Every action is what a student does: menus, the
keyboard in a cell's editor, the notebook toolbar. Outputs are read from the notebook the page
holds, through ``window.jupyterapp`` (exposed by the server's configuration).

* On the blank release of each exercise, Kernel > Restart Kernel and Run All Cells runs every
  code cell, and each check cell (a graded nbgrader cell) shows its "not implemented" report
  once, with no traceback frame of the grader's code.
* In ex02_relu, a wrong ``relu`` typed into its answer cell passes ``relu_core`` and fails
  ``relu_edge`` with a report naming NaN; a right one passes both.
* Notebook 7 runs an answer cell and its check the same way.
* nbgrader's Validate button lists the failing checks, each report once, with no grader frame.

Without Debian's chromium (``/usr/bin/chromium``) these tests skip, except with ``CI=true``,
where a missing browser fails them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Browser, Page

from support.jupyter_server import JupyterServer, jupyter_server
from support.paths import BIN, ROOT

VIEWPORT = {"width": 1280, "height": 900}
ASSIGNMENTS = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
SERVER_START_S = 90
# A kernel's first cell imports torch: slow on a loaded machine with two cores.
RUN_ALL_S = 240
CELL_S = 90
NOT_IMPLEMENTED = "not implemented yet"
# A traceback frame in the grader's own code, as IPython or Python prints it.
GRADER_FRAME = re.compile(r"autograder/\w+\.py|File \"[^\"]*autograder")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Code cells of the notebook in the current tab, as plain data: index, source, the nbgrader
# metadata, execution count, whether the cell is running or queued, and the text of each output
# (a stream's text, an error's traceback, a result's text/plain).
CODE_CELLS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.map((cell, index) => ({cell, index}))
        .filter(({cell}) => cell.model.type === 'code')
        .map(({cell, index}) => ({
            index,
            source: cell.model.sharedModel.getSource(),
            nbgrader: cell.model.getMetadata('nbgrader') || {},
            count: cell.model.executionCount,
            busy: cell.promptNode !== null && cell.promptNode.textContent.includes('*'),
            outputs: cell.model.outputs.toJSON().map(o =>
                o.output_type === 'stream' ? o.text
                : o.output_type === 'error' ? o.traceback.join('\\n')
                : ((o.data || {})['text/plain'] || '')),
        }));
}"""
KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}"""


def copy_release(root: Path, folder: str, assignment: str) -> str:
    """Copy ``exercises/<assignment>/<assignment>.ipynb`` to ``root/folder/``; its server path."""
    (root / folder).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        ROOT / "exercises" / assignment / f"{assignment}.ipynb",
        root / folder / f"{assignment}.ipynb",
    )
    return f"{folder}/{assignment}.ipynb"


def user_settings(home: Path) -> dict[str, str]:
    """Jupyter's and IPython's user directories inside ``home``, with the settings the tests
    need: no "Jupyter news" question, and the app exposed to the page as window.jupyterapp."""
    dirs = {name: home / name for name in ("config", "data", "runtime", "ipython")}
    for path in dirs.values():
        path.mkdir(parents=True)
    app = {"expose_app_in_browser": True}
    (dirs["config"] / "jupyter_server_config.json").write_text(
        json.dumps({"LabApp": app, "JupyterNotebookApp": app})
    )
    news = dirs["config"] / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return {
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "IPYTHONDIR": str(dirs["ipython"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["config"] / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["data"] / "lab" / "workspaces"),
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """One ``jupyter lab`` server for the module, stopped at the end."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "work"
    root.mkdir()
    env = {
        **os.environ,
        **user_settings(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # in root: nbgrader's Validate reads nbgrader_config.py from the server's working folder
    with jupyter_server("lab", root, home / "server.log", env=env, start_s=SERVER_START_S) as lab:
        yield lab


@pytest.fixture
def page(browser: Browser, lab: JupyterServer) -> Iterator[Page]:
    """A new tab; closed afterwards, and every kernel the test started is shut down."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
        lab.shut_down_kernels()


def code_cells(page: Page) -> list[dict]:
    """The code cells of the notebook in the current tab (see ``CODE_CELLS``)."""
    return page.evaluate(CODE_CELLS)


def open_notebook(page: Page, lab: JupyterServer, url_path: str) -> None:
    """Open ``url_path`` (``lab/...`` or ``notebooks/...``) and wait for an idle kernel."""
    page.goto(lab.url(url_path))
    page.wait_for_function(KERNEL_IDLE, timeout=SERVER_START_S * 1000)


def click_menu(page: Page, menu: str, item: str) -> None:
    """Click ``menu`` in the menu bar, then its entry ``item``."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def text_of(cell: dict) -> str:
    """Everything a cell's outputs show, colour codes removed."""
    return ANSI.sub("", "\n".join(cell["outputs"]))


def wait_for_run_all(page: Page) -> list[dict]:
    """Wait until every code cell has run, or the run stopped (the kernel idle, nothing new
    for a few seconds); the code cells then."""
    deadline = time.monotonic() + RUN_ALL_S
    last: list[int | None] = []
    still_since = time.monotonic()
    while True:
        cells = code_cells(page)
        counts = [c["count"] for c in cells]
        if all(count is not None for count in counts):
            return cells
        now = time.monotonic()
        if counts != last or not page.evaluate(KERNEL_IDLE):
            last, still_since = counts, now
        elif counts[0] is not None and now - still_since > 5:
            return cells
        if now > deadline:
            pytest.fail(f"Run All had not finished after {RUN_ALL_S} s; execution counts: {counts}")
        page.wait_for_timeout(250)


def wait_for_runs(page: Page, indices: list[int], before: dict[int, int | None]) -> list[dict]:
    """Wait until the cells at ``indices`` (notebook positions) ran again since ``before``
    (their execution counts then) and the kernel is idle; the code cells then."""
    deadline = time.monotonic() + CELL_S
    while True:
        cells = {c["index"]: c for c in code_cells(page)}
        done = all(
            cells[i]["count"] is not None and cells[i]["count"] != before.get(i) for i in indices
        )
        if done and page.evaluate(KERNEL_IDLE):
            return list(cells.values())
        if time.monotonic() > deadline:
            pytest.fail(
                f"cells {indices} had not run after {CELL_S} s: "
                f"{[(i, cells[i]['count']) for i in indices]}"
            )
        page.wait_for_timeout(200)


def by_grade_id(cells: list[dict]) -> dict[str, dict]:
    return {c["nbgrader"]["grade_id"]: c for c in cells if "grade_id" in c["nbgrader"]}


def type_answer(page: Page, index: int, lines: list[str]) -> None:
    """Replace the text of the cell at ``index`` by typing ``lines`` in its editor, as a
    student does: click into it, select all, type (the editor indents after a colon)."""
    editor = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    for n, line in enumerate(lines):
        if n:
            page.keyboard.press("Enter")
        page.keyboard.type(line.lstrip())


def run_from(page: Page, index: int, count: int) -> list[dict]:
    """Select the cell at ``index`` and press Shift+Enter ``count`` times (each runs the
    selected cell and selects the next); wait for the runs. The code cells then."""
    before = {c["index"]: c["count"] for c in code_cells(page)}
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt").click()
    for _ in range(count):
        page.keyboard.press("Shift+Enter")
    return wait_for_runs(page, list(range(index, index + count)), before)


def release_checks(path: Path) -> list[str]:
    """The grade_ids of the check cells of a notebook, from its nbgrader metadata."""
    nb = nbformat.read(path, as_version=4)
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_restart_and_run_all_shows_every_check(
    page: Page, lab: JupyterServer, assignment: str
) -> None:
    path = copy_release(lab.root, "run_all", assignment)
    expected = release_checks(lab.root / path)
    assert expected, f"{path} has no check cell (grade=True in its nbgrader metadata)"
    open_notebook(page, lab, f"lab/workspaces/{assignment}/tree/{path}")
    click_menu(page, "Kernel", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog button", has_text=re.compile("^Restart$")).click()
    cells = wait_for_run_all(page)

    never_ran = [c for c in cells if c["count"] is None]
    if never_ran:
        last = [c for c in cells if c["count"] is not None][-1]
        pytest.fail(
            f"Run All stopped at cell {last['index']}: {len(never_ran)} of {len(cells)} "
            f"code cells never ran. That cell shows:\n{text_of(last)}"
        )
    checks = by_grade_id(cells)
    for grade_id in expected:
        shown = text_of(checks[grade_id])
        assert shown.count(NOT_IMPLEMENTED) == 1, (
            f"check cell {grade_id} should show its 'not implemented' report once; it "
            f"shows:\n{shown}"
        )
    for cell in cells:
        frame = GRADER_FRAME.search(text_of(cell))
        assert frame is None, (
            f"cell {cell['index']} shows a traceback frame of the grader "
            f"({frame[0]}):\n{text_of(cell)}"
        )


WRONG_RELU = ["def relu(x):", "    return np.where(x > 0, x, 0)"]
RIGHT_RELU = ["def relu(x):", "    return np.maximum(x, 0)"]


@pytest.mark.slow
def test_typed_relu_is_checked_in_jupyterlab(page: Page, lab: JupyterServer) -> None:
    path = copy_release(lab.root, "typing", "ex02_relu")
    open_notebook(page, lab, f"lab/workspaces/typing/tree/{path}")
    cells = by_grade_id(run_from(page, by_grade_id(code_cells(page))["setup"]["index"], 1))
    answer, core, edge = (cells[g]["index"] for g in ("relu", "relu_core", "relu_edge"))
    assert (core, edge) == (answer + 1, answer + 2), "relu_core and relu_edge follow relu"

    type_answer(page, answer, WRONG_RELU)
    cells = by_grade_id(run_from(page, answer, 3))
    assert cells["relu"]["source"] == "\n".join(WRONG_RELU)
    assert cells["relu"]["outputs"] == [], text_of(cells["relu"])
    assert text_of(cells["relu_core"]).startswith("PASSED"), text_of(cells["relu_core"])
    edge_report = text_of(cells["relu_edge"])
    assert edge_report.startswith("FAILED") and "NaN" in edge_report, edge_report
    assert edge_report.count("FAILED") == 1, f"the report is shown more than once:\n{edge_report}"
    assert GRADER_FRAME.search(edge_report) is None, f"a grader frame is shown:\n{edge_report}"
    shown = page.locator(".jp-Notebook .jp-Cell").nth(edge).locator(".jp-OutputArea")
    assert "nan" in shown.inner_text(), "the NaN report is in the page"

    type_answer(page, answer, RIGHT_RELU)
    cells = by_grade_id(run_from(page, answer, 3))
    assert cells["relu"]["source"] == "\n".join(RIGHT_RELU)
    for grade_id in ("relu_core", "relu_edge"):
        assert text_of(cells[grade_id]).startswith("PASSED"), text_of(cells[grade_id])


@pytest.mark.slow
def test_notebook7_runs_a_typed_answer_and_its_check(page: Page, lab: JupyterServer) -> None:
    path = copy_release(lab.root, "notebook7", "ex02_relu")
    open_notebook(page, lab, f"notebooks/{path}")
    assert page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    cells = by_grade_id(run_from(page, by_grade_id(code_cells(page))["setup"]["index"], 1))
    answer = cells["relu"]["index"]
    type_answer(page, answer, RIGHT_RELU)
    cells = by_grade_id(run_from(page, answer, 2))
    assert cells["relu"]["source"] == "\n".join(RIGHT_RELU)
    assert cells["relu_core"]["index"] == answer + 1
    assert text_of(cells["relu_core"]).startswith("PASSED"), text_of(cells["relu_core"])
    shown = page.locator(".jp-Notebook .jp-Cell").nth(answer + 1).locator(".jp-OutputArea")
    assert shown.inner_text().startswith("PASSED")


@pytest.mark.slow
def test_validate_lists_each_failing_check_once(page: Page, lab: JupyterServer) -> None:
    path = copy_release(lab.root, "validate", "ex02_relu")
    expected = release_checks(lab.root / path)
    open_notebook(page, lab, f"lab/workspaces/validate/tree/{path}")
    page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-item", has_text="Validate").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.locator("button", has_text="Ok").wait_for(timeout=RUN_ALL_S * 1000)
    shown = ANSI.sub("", dialog.inner_text())

    failures = shown.split("The following cell failed:")[1:]
    listed = [re.match(r'\s*check\("(\w+)"', f) for f in failures]
    assert [m[1] if m else f[:200] for m, f in zip(listed, failures, strict=True)] == expected, (
        f"Validate should list every check of the blank release, in order:\n{shown}"
    )
    for grade_id, failure in zip(expected, failures, strict=True):
        assert failure.count(NOT_IMPLEMENTED) == 1, (
            f"Validate should show {grade_id}'s report once:\n{failure}"
        )
    frame = GRADER_FRAME.search(shown)
    assert frame is None, f"Validate shows a traceback frame of the grader ({frame[0]}):\n{shown}"
    dialog.locator("button", has_text="Ok").click()
