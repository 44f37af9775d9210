"""The graded exercises: notebooks, items and checks agree, and the checks grade fairly."""

from __future__ import annotations

import dataclasses

import nbformat
import numpy as np
import pytest

from autograder import cells, policy
from autograder.catalog import ASSIGNMENTS, find
from autograder.items import run_item
from autograder.notebook import check
from autograder.report import CheckFailed

import catalog
from support.paths import ROOT

ALL_ITEMS = [(a, item) for a, items in ASSIGNMENTS.items() for item in items]
item_ids = [item.grade_id for _, item in ALL_ITEMS]


def solution(assignment: str):
    return cells.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")


def release(assignment: str):
    return cells.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")


def functions(namespace: dict, item) -> list:
    return [namespace[name] for name in item.targets]


def failing_items(assignment: str, overrides: dict[str, str]) -> dict[str, str]:
    """grade_id -> status of every item the solution with ``overrides`` does not pass."""
    namespace = cells.define(solution(assignment), overrides)
    reference = cells.define(solution(assignment))
    failed = {}
    for item in ASSIGNMENTS[assignment]:
        outcome = run_item(
            item, functions(namespace, item), reference=functions(reference, item), hidden=True
        )
        if not outcome.passed:
            failed[item.grade_id] = outcome.status
    return failed


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_test_cells_are_the_items_in_order(assignment):
    tests = cells.tests(solution(assignment))
    items = ASSIGNMENTS[assignment]
    assert [t.grade_id for t in tests] == [i.grade_id for i in items]
    for test, item in zip(tests, items, strict=True):
        assert test.points > 0, f"{test.grade_id}: no points in nbgrader's metadata"
        assert test.targets == item.targets, test.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_function_has_a_core_and_an_edge_item(assignment):
    answers = cells.answers(solution(assignment))
    for name in answers:
        checked_by = [i for i in ASSIGNMENTS[assignment] if i.targets[0] == name]
        assert len(checked_by) >= 2, f"{name} is checked by {len(checked_by)} item(s)"


@pytest.mark.parametrize(("assignment", "item"), ALL_ITEMS, ids=item_ids)
def test_reference_solution_passes_and_agrees_with_the_oracle(assignment, item):
    namespace = cells.define(solution(assignment))
    ours = functions(namespace, item)
    assert run_item(item, ours, hidden=True).passed, "solution vs oracle"
    values_only = dataclasses.replace(item, forbidden=())  # the oracle may use the library
    assert run_item(values_only, item.oracle, reference=ours, hidden=True).passed, "oracle vs ours"


@pytest.mark.parametrize(("assignment", "item"), ALL_ITEMS, ids=item_ids)
def test_released_notebook_fails_every_item_with_a_readable_report(assignment, item, capsys):
    namespace = cells.define(release(assignment))
    with pytest.raises(CheckFailed) as failed:
        check(item.grade_id, *functions(namespace, item))
    report = str(failed.value)
    assert report.startswith(f"FAILED {item.title}")
    assert "not implemented yet" in report and "hint:" in report
    # the notebook shows the report once, as the error, and nothing else
    assert failed.value._render_traceback_() == report.splitlines()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_hides_solutions_and_hidden_tests(assignment):
    nb = release(assignment)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    for source in cells.answers(nb).values():
        assert "raise NotImplementedError()" in source


WRONG = [(a, w) for a in ASSIGNMENTS for w in catalog.load(a)[0]]
RIGHT = [(a, r) for a in ASSIGNMENTS for r in catalog.load(a)[1]]


@pytest.mark.parametrize(("assignment", "wrong"), WRONG, ids=[w.name for _, w in WRONG])
def test_wrong_answer_loses_exactly_its_items(assignment, wrong):
    failed = failing_items(assignment, wrong.answers)
    assert set(failed) == wrong.loses
    assert set(failed.values()) == {wrong.status}


@pytest.mark.parametrize(("assignment", "right"), RIGHT, ids=[r.name for _, r in RIGHT])
def test_correct_alternative_gets_full_marks(assignment, right):
    assert failing_items(assignment, right.answers) == {}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_catalog_has_three_mistakes_per_function(assignment):
    wrong, _ = catalog.load(assignment)
    for name in cells.answers(solution(assignment)):
        mistakes = [w for w in wrong if name in w.answers]
        assert len(mistakes) >= 3, f"{name}: {len(mistakes)} wrong implementations"


def test_catalogs_hold_sixty_mistakes_and_twenty_correct_alternatives():
    wrong = [w for a in ASSIGNMENTS for w in catalog.load(a)[0]]
    right = [r for a in ASSIGNMENTS for r in catalog.load(a)[1]]
    assert len(wrong) >= 60, f"{len(wrong)} wrong implementations"
    assert len(right) >= 20, f"{len(right)} correct alternatives"
    assert len({w.name for w in wrong}) == len(wrong), "two wrong answers share a name"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_honest_answers_stay_within_what_answers_may_use(assignment):
    """The grader's policy (no os, sys, open, ...) never touches an honest answer."""
    wrong, right = catalog.load(assignment)
    sources = list(cells.answers(solution(assignment)).values())
    sources += [s for entry in [*wrong, *right] for s in entry.answers.values()]
    flagged = {s[:60]: policy.violations(s) for s in sources if policy.violations(s)}
    assert not flagged


def test_policy_names_what_an_answer_may_not_use():
    assert set(policy.violations("import os\nos.kill(1, 9)")) == {"import os", "os", ".kill"}
    assert policy.violations("import numpy as np\nfrom math import exp\nimport torch.nn") == []
    assert policy.violations("x = get_ipython()") == ["get_ipython"]
    assert policy.violations("f.__globals__['g'] = 1") == [".__globals__"]
    assert policy.violations("%matplotlib inline\nimport numpy") == []
    assert policy.violations("def f(:") == []  # a syntax error is reported when the cell runs


def test_check_reports_the_simplest_failing_input():
    def relu(x):
        return np.where(x > 0, x, 0.0).astype(x.dtype)

    with pytest.raises(CheckFailed) as failed:
        check("relu_edge", relu)
    report = str(failed.value)
    assert "x = nan (float64)" in report
    assert "expected: nan" in report and "returned: 0.0" in report
    assert "np.where(x > 0, x, 0)" in report


def test_check_names_a_forbidden_call():
    import torch

    def relu(x):
        return torch.relu(torch.from_numpy(x)).numpy()

    with pytest.raises(CheckFailed, match="uses torch.relu"):
        check("relu_core", relu)


def test_check_rejects_an_unknown_grade_id_or_wrong_arity():
    with pytest.raises(KeyError, match="no graded item 'relu_cor'"):
        find("relu_cor")
    with pytest.raises(TypeError, match="takes 2 argument"):
        check("relu_module_core", object())


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_run_all_goes_past_check_and_explore_cells(folder, assignment):
    """JupyterLab and Notebook 7 go on past a cell tagged ``raises-exception``: every check
    cell and every ungraded code cell (the Explore cells) carries the tag, so one Run All shows
    every check's report; answer and setup cells do not, so a real error there still stops."""
    nb = nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        goes_on = bool(meta.get("grade") and not meta.get("solution")) or not meta
        assert tagged == goes_on, (meta.get("grade_id"), cell.source[:60])
