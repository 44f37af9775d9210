"""Every check tests only what its notebook's contract states (NaN, dtypes, overflow warnings).

For each graded item, the cases the check runs (visible and hidden, from a fixed generator) are
read next to the contract of the function it checks (the markdown "**Contract of `name`**" of the
solution notebook, with the contracts it refers to by name) and the notebook's rules cell ("How
this notebook is graded"):

* an input holding NaN (in any argument: arrays, tensors, Python floats and lists of them) is
  given only to a function whose contract says what NaN does, and never to one whose contract
  excludes it ("no NaN", "without NaN", "not tested at NaN");
* an input array's or tensor's dtype is one its contract names (``float32``, ``int8`` ...), or of
  a kind it names ("float" array or tensor, "any real dtype");
* an overflow warning fails an item only in the dtypes its contract's "no overflow warning"
  sentence names (or in any dtype, when that sentence names none).

Each rule is a function returning its violations; ``test_the_rules_catch_planted_violations``
shows each one failing on a check planted to break it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from autograder import cells
from autograder.catalog import ASSIGNMENTS
from autograder.items import Case, Item
from autograder.kit.cases import Cases
from autograder.kit.elementwise import array_item
from autograder.kit.rules import Rules

from support.paths import ROOT

DTYPE = re.compile(r"\b(float16|float32|float64|u?int(?:8|16|32|64)|bool)\b")
NO_NAN = re.compile(r"(contains? no NaN|without NaN|not tested at NaN)", re.IGNORECASE)
NAN = re.compile(r"\bNaN\b|`nan`|\(nan\)", re.IGNORECASE)
# Functions whose contract leaves the inputs' dtypes to something else, and what: their cases'
# dtypes are not read against the contract (which must then name no dtype at all).
DTYPES_LEFT_TO = {"layer_grad_norms": "the model and loss_fn the case passes (float32 x, int64 y)"}


@functools.cache
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


def contract_text(texts: dict[str, str], names: tuple[str, ...]) -> str:
    """The contracts of ``names``, with the contracts they name in backticks (``ReLU()(x)``
    returns ```ReLUFunction.apply(x)```: ReLU's contract includes ReLUFunction's)."""
    own = [texts[n] for n in names]
    cited = {
        name
        for text in own
        for name in re.findall(r"`(\w+)", text)
        if name in texts and name not in names
    }
    return "\n".join(own + [texts[n] for n in sorted(cited)])


def contract_of(assignment: str, item: Item) -> str:
    texts = contracts(assignment)
    missing = [t for t in item.targets if t not in texts]
    assert not missing, f"{item.grade_id}: no contract for {missing}"
    return contract_text(texts, item.targets)


@functools.cache
def notebook_rules(assignment: str) -> str:
    """The notebook's "How this notebook is graded" cell, which holds the rules of every check."""
    notebook = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return next(
        cell.source
        for cell in cells.read(notebook).cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "rules"
    )


def values(value: object) -> Iterator[np.ndarray | float]:
    """Every array (tensors as arrays) and Python float among a case's arguments, searched through
    lists, tuples and dicts."""
    if isinstance(value, torch.Tensor):
        yield value.detach().cpu().numpy()
    elif isinstance(value, np.ndarray | np.generic):
        yield np.asarray(value)
    elif isinstance(value, float):
        yield value
    elif isinstance(value, list | tuple | range):
        for v in value:
            yield from values(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from values(v)


def all_cases(item: Item) -> list[Case]:
    """The visible cases, then the visible and hidden ones, each from a fixed generator."""
    return [c for hidden in (False, True) for c in item.cases(np.random.default_rng(0), hidden)]


def has_nan(value: np.ndarray | float) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value.dtype.kind in "fc" and bool(np.isnan(value).any())


def nan_violations(contract: str, cases: list[Case]) -> list[str]:
    """Cases giving NaN to a function whose contract excludes NaN or says nothing about it."""
    with_nan = sorted(
        {c.label for c in cases if any(has_nan(v) for v in values((c.args, c.kwargs)))}
    )
    if not with_nan:
        return []
    if NO_NAN.search(contract):
        return [f"the contract excludes NaN, cases {with_nan} hold it"]
    if not NAN.search(contract):
        return [f"the contract says nothing of NaN, cases {with_nan} hold it"]
    return []


def allowed_dtype(text: str, dtype: np.dtype) -> bool:
    """Whether ``text`` (a contract and its notebook's rules) admits inputs of ``dtype``: it names
    the dtype, says "any real dtype", or says "float tensor/array" without a list of dtypes in
    parentheses after it."""
    if "any real dtype" in text or dtype.name in DTYPE.findall(text):
        return True
    return dtype.kind == "f" and bool(re.search(r"\bfloat (tensor|array)s?\b(?!\s*\()", text))


def dtype_violations(text: str, cases: list[Case]) -> list[str]:
    """Input arrays and tensors (in any argument) of a dtype the contract does not admit."""
    return sorted(
        {
            f"{c.label}: {v.dtype}"
            for c in cases
            for v in values((c.args, c.kwargs))
            if isinstance(v, np.ndarray) and v.dtype.kind in "fiub"
            if not allowed_dtype(text, v.dtype)
        }
    )


def rules_of(item: Item) -> Rules | None:
    """The :class:`Rules` an item compares with, if it has one."""
    for cell in getattr(item.compare, "__closure__", None) or ():
        if isinstance(cell.cell_contents, Rules):
            return cell.cell_contents
    return None


def overflow_violations(contract: str, item: Item) -> list[str]:
    """Overflow warnings checked in dtypes the contract's "no overflow warning" does not name."""
    rules = rules_of(item)
    if rules is None or not rules.no_overflow:
        return []
    sentence = next((line for line in contract.splitlines() if "overflow warning" in line), None)
    if sentence is None:
        return ["checks overflow warnings the contract does not mention"]
    named = set(DTYPE.findall(sentence))
    if named and not set(rules.no_overflow) <= named:
        return [f"overflow checked in {rules.no_overflow}, the contract says {sentence!r}"]
    return []


ITEMS = [(a, item) for a, items in ASSIGNMENTS.items() for item in items]
IDS = [item.grade_id for _, item in ITEMS]


@pytest.mark.parametrize(("assignment", "item"), ITEMS, ids=IDS)
def test_nan_only_where_the_contract_says_what_it_does(assignment: str, item: Item):
    problems = nan_violations(contract_of(assignment, item), all_cases(item))
    assert not problems, f"{item.grade_id}: {problems}"


@pytest.mark.parametrize(("assignment", "item"), ITEMS, ids=IDS)
def test_input_dtypes_are_the_contracts(assignment: str, item: Item):
    contract = contract_of(assignment, item)
    if set(item.targets) <= set(DTYPES_LEFT_TO):
        assert not DTYPE.search(contract), f"{item.grade_id}: its contract names dtypes"
        return
    text = contract + "\n" + notebook_rules(assignment)
    outside = dtype_violations(text, all_cases(item))
    assert not outside, f"{item.grade_id}: dtypes the contract does not name: {outside}"


@pytest.mark.parametrize(("assignment", "item"), ITEMS, ids=IDS)
def test_overflow_rule_only_in_the_dtypes_the_contract_names(assignment: str, item: Item):
    problems = overflow_violations(contract_of(assignment, item), item)
    assert not problems, f"{item.grade_id}: {problems}"


def test_the_rules_catch_planted_violations():
    """Each rule fails on a check planted to go beyond its contract."""
    no_nan = "- `x` is a NumPy float array (float32 or float64) of any shape; it contains no NaN."
    silent = "- `x` is a NumPy float array (float32 or float64) of any shape."
    says = silent + "\n- NaN gives NaN."
    nan_case = Case("NaN", (np.array([1.0, np.nan]),))
    hidden_nan = Cases([Case("finite", (np.array([1.0, 2.0]),))], [nan_case])
    planted = all_cases(
        array_item(
            grade_id="planted",
            title="planted",
            target="f",
            oracle=np.abs,
            cases=hidden_nan,
            rules=Rules("f", no_overflow=("float32", "float64")),
        )
    )
    assert nan_violations(no_nan, planted) and nan_violations(silent, planted)
    assert not nan_violations(says, planted)
    assert nan_violations(silent, [Case("a Python NaN in a list", ([1.0, math.nan], 2))])
    assert nan_violations(silent, [Case("a NaN tensor", (), {"x": torch.tensor([math.nan])})])

    float16 = [Case("float16", (np.zeros(2, np.float16),), {"w": np.zeros(1, np.int8)})]
    assert dtype_violations(silent, float16) == ["float16: float16", "float16: int8"]
    assert not dtype_violations("a NumPy float array of any shape, any real dtype", float16)
    assert not allowed_dtype("a NumPy float array (float32 or float64)", np.dtype("float16"))
    assert allowed_dtype("a NumPy float array of any shape", np.dtype("float32"))

    overflowing = array_item(
        grade_id="planted",
        title="planted",
        target="f",
        oracle=np.abs,
        cases=hidden_nan,
        rules=Rules("f", no_overflow=("float32", "float64")),
    )
    assert overflow_violations(silent, overflowing)
    assert overflow_violations(
        "- Stable: no overflow warning for |x| up to 1000 in float64.", overflowing
    )
    assert not overflow_violations(
        "- Stable: no overflow warning in float32 or float64.", overflowing
    )
    assert not overflow_violations("- Stable: no overflow warning.", overflowing)
