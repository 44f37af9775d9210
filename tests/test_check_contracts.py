"""Every check tests only what its notebook's contract states (NaN, dtypes, overflow warnings).

For each graded item, the cases the check runs (visible and hidden) are read next to the
contract of the function it checks (the markdown "**Contract of `name`**" of the solution
notebook) and the notebook's rules cell ("How this notebook is graded"):

* a function whose contract excludes NaN ("no NaN", "without NaN", "not tested at NaN") is
  never called on an input holding NaN;
* an input array's dtype is one its contract names (``float32``, ``int8`` ...), or of a kind
  it names ("float" array or tensor, "any real dtype");
* an overflow warning fails an item only in the dtypes its contract's "no overflow warning"
  sentence names (or in any dtype, when that sentence names none).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograder import cells
from autograder.catalog import ASSIGNMENTS
from autograder.items import Item
from autograder.kit.rules import Rules

from support.paths import ROOT

DTYPE = re.compile(r"\b(float16|float32|float64|u?int(?:8|16|32|64)|bool)\b")
NO_NAN = re.compile(r"(contains? no NaN|without NaN|not tested at NaN)", re.IGNORECASE)


def contracts(assignment: str) -> dict[str, str]:
    """Function name -> its contract text, from the solution notebook's markdown."""
    notebook = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    found: dict[str, str] = {}
    for cell in cells.read(notebook).cells:
        if cell.cell_type != "markdown":
            continue
        heads = list(re.finditer(r"\*\*Contract of (.*?)\*\*", cell.source, re.DOTALL))
        for head, after in zip(heads, [*heads[1:], None], strict=False):
            text = cell.source[head.start() : after.start() if after else None]
            for name in re.findall(r"`(?:class )?(\w+)", head.group(1)):
                found[name] = text
    return found


def contract_of(assignment: str, item: Item) -> str:
    texts = contracts(assignment)
    assert item.targets[0] in texts, f"{item.grade_id}: no contract for {item.targets[0]}"
    return texts[item.targets[0]]


def notebook_rules(assignment: str) -> str:
    """The notebook's "How this notebook is graded" cell, which holds the rules of every check."""
    notebook = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return next(
        cell.source
        for cell in cells.read(notebook).cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "rules"
    )


def arrays(value: object) -> list[np.ndarray]:
    """Every NumPy array among a case's arguments (lists and tuples searched too)."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, list | tuple):
        return [a for v in value for a in arrays(v)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays(v)]
    return []


def case_inputs(item: Item) -> list[tuple[str, np.ndarray]]:
    """(case label, input array) of the first argument of every visible and hidden case."""
    inputs = []
    for hidden in (False, True):
        for case in item.cases(np.random.default_rng(0), hidden):
            if case.args:
                inputs += [(case.label, a) for a in arrays(case.args[0])]
    return inputs


def array_rules(item: Item) -> Rules | None:
    """The :class:`Rules` an item compares with, if it has one."""
    for cell in item.compare.__closure__ or ():
        if isinstance(cell.cell_contents, Rules):
            return cell.cell_contents
    return None


def allowed_dtype(text: str, dtype: np.dtype) -> bool:
    """Whether ``text`` (a contract and its notebook's rules) admits inputs of ``dtype``: it names
    the dtype, says "any real dtype", or says "float tensor/array" without a list of dtypes in
    parentheses after it."""
    if "any real dtype" in text or dtype.name in DTYPE.findall(text):
        return True
    return dtype.kind == "f" and bool(re.search(r"\bfloat (tensor|array)s?\b(?!\s*\()", text))


ITEMS = [(a, item) for a, items in ASSIGNMENTS.items() for item in items]
IDS = [item.grade_id for _, item in ITEMS]


@pytest.mark.parametrize(("assignment", "item"), ITEMS, ids=IDS)
def test_no_nan_where_the_contract_excludes_it(assignment: str, item: Item):
    contract = contract_of(assignment, item)
    if not NO_NAN.search(contract):
        return
    with_nan = [
        label for label, x in case_inputs(item) if x.dtype.kind == "f" and np.isnan(x).any()
    ]
    assert not with_nan, f"{item.grade_id}: the contract excludes NaN, cases {with_nan} hold it"


@pytest.mark.parametrize(("assignment", "item"), ITEMS, ids=IDS)
def test_input_dtypes_are_the_contracts(assignment: str, item: Item):
    text = contract_of(assignment, item) + "\n" + notebook_rules(assignment)
    outside = {
        f"{label}: {x.dtype}"
        for label, x in case_inputs(item)
        if x.dtype.kind in "fiub" and not allowed_dtype(text, x.dtype)
    }
    assert not outside, f"{item.grade_id}: dtypes the contract does not name: {sorted(outside)}"


@pytest.mark.parametrize(("assignment", "item"), ITEMS, ids=IDS)
def test_overflow_rule_only_in_the_dtypes_the_contract_names(assignment: str, item: Item):
    rules = array_rules(item)
    if rules is None or not rules.no_overflow:
        return
    contract = contract_of(assignment, item)
    sentence = next((line for line in contract.splitlines() if "overflow warning" in line), None)
    assert sentence, f"{item.grade_id}: checks overflow warnings the contract does not mention"
    named = set(DTYPE.findall(sentence))
    assert not named or set(rules.no_overflow) <= named, (
        f"{item.grade_id}: overflow checked in {rules.no_overflow}, the contract says {sentence!r}"
    )


def test_the_scanner_finds_a_stricter_check():
    """The three rules fail on a contract that a check goes beyond."""
    strict = "- Stable: no overflow warning for |x| up to 1000 in float64."
    assert not allowed_dtype("a float64 array; it contains no NaN", np.dtype("float32"))
    assert not allowed_dtype("a NumPy float array (float32 or float64)", np.dtype("float16"))
    assert allowed_dtype("a NumPy float array of any shape", np.dtype("float32"))
    assert NO_NAN.search("x is a NumPy float array (float32 or float64); it contains no NaN.")
    assert set(DTYPE.findall(strict)) == {"float64"}
    assert not {"float64", "float32"} <= set(DTYPE.findall(strict))
