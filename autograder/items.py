"""Graded items: what one nbgrader test cell checks, as data the grader and notebooks share.

An item is split in two so that untrusted code never judges itself:

* ``probe(case, *functions)`` calls the functions under test on one case and returns
  *plain data* (arrays, numbers, strings) describing what they did. In a student's notebook
  it runs in the student's kernel; the grader runs it in a sandboxed child process.
* ``compare(case, got, expected)`` is trusted: it compares the probe of the student's
  functions with the probe of a reference and returns a :class:`~autograder.report.Failure`
  or ``None``.

The reference is the item's ``oracle`` (PyTorch's built-ins or values the checks compute,
so a notebook reveals nothing of ``solutions/``) or, at grading time, the instructor's
solution. Cases come smallest first, so the first failing case is the simplest one.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from autograder.forbidden import static_references, watch
from autograder.report import Failure

Probe = dict[str, Any]
NOT_IMPLEMENTED = Failure(
    "the function is implemented",
    "not implemented yet: the answer cell still raises NotImplementedError",
    hint="Replace '# YOUR CODE HERE' and 'raise NotImplementedError()' "
    "with your code, run the answer cell, then this check again.",
)


@dataclass(frozen=True)
class Case:
    """One call of the functions under test: its inputs and a description a student can read."""

    label: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One graded test cell: its ``grade_id``, cases, probe, comparison and oracle.

    Its points are not here: they are the nbgrader metadata of the notebook's test cell,
    the one place they are written (nbgrader, formgrader and our grader all read them there).
    """

    grade_id: str
    title: str
    targets: tuple[str, ...]
    cases: Callable[[np.random.Generator, bool], Sequence[Case]]
    probe: Callable[..., Probe]
    compare: Callable[[Case, Probe, Probe], Failure | None]
    oracle: tuple[Callable[..., Any], ...]
    forbidden: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Outcome:
    """The result of running one item on one set of functions."""

    item: Item
    failure: Failure | None
    forbidden_calls: tuple[str, ...] = ()
    cases_run: int = 0

    @property
    def passed(self) -> bool:
        return self.failure is None and not self.forbidden_calls

    @property
    def status(self) -> Literal["passed", "failed", "forbidden"]:
        if self.forbidden_calls:
            return "forbidden"
        return "passed" if self.failure is None else "failed"


def safe_probe(item: Item, case: Case, functions: Sequence[Any]) -> Probe:
    """Run the probe; an exception escaping the student's code becomes data, not a crash."""
    try:
        return item.probe(case, *functions)
    except Exception as exc:  # noqa: BLE001 - any error of the student's code is reported
        return {"error": format_error(exc)}


def format_error(exc: BaseException) -> str:
    """``"ZeroDivisionError: division by zero"``, plus the student's line when there is one."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


@dataclass(frozen=True)
class ItemProbe:
    """What the functions under test did on each case of one item: plain data only.

    ``probes`` has one entry per case, in order; ``forbidden_calls`` lists the forbidden
    callables seen while the functions ran or named in their code.
    """

    probes: list[Probe]
    forbidden_calls: tuple[str, ...] = ()


def probe_item(item: Item, functions: Sequence[Any], cases: Sequence[Case]) -> ItemProbe:
    """Run the functions on every case (the untrusted half of an item, no comparison)."""
    static = tuple(name for fn in functions for name in static_references(fn, item.forbidden))
    probes, seen = [], list(static)
    for case in cases:
        with watch(item.forbidden) as calls:
            probes.append(safe_probe(item, case, functions))
        seen += calls
    return ItemProbe(probes, tuple(dict.fromkeys(seen)))


def judge(
    item: Item, cases: Sequence[Case], got: ItemProbe, expected: Iterable[Probe]
) -> tuple[Outcome, int | None]:
    """Compare probes with the reference's (the trusted half): the outcome and the index of
    the first failing case (``None`` when every case passed or a forbidden call was seen).

    The one comparison of an item: the grader judges a sandboxed child's probes with it, the
    notebook's check cell (:func:`run_item`) its own. ``expected`` is consumed case by case,
    only as far as the first failure, so it may be a generator probing the reference lazily.
    """
    if got.forbidden_calls:
        return Outcome(item, None, got.forbidden_calls, len(got.probes)), None
    for n, (case, probe, reference) in enumerate(zip(cases, got.probes, expected, strict=True)):
        if str(probe.get("error", "")).startswith("NotImplementedError"):
            return Outcome(item, NOT_IMPLEMENTED, (), n + 1), n
        failure = item.compare(case, probe, reference)
        if failure is not None:
            return Outcome(item, failure, (), n + 1), n
    return Outcome(item, None, (), len(cases)), None


def run_item(
    item: Item,
    functions: Sequence[Any],
    *,
    reference: Sequence[Any] | None = None,
    hidden: bool = False,
    rng: np.random.Generator | None = None,
) -> Outcome:
    """Run every case of ``item`` on ``functions`` and compare with ``reference`` (the oracle):
    what the notebook's check cell does, by the grader's own two halves, :func:`probe_item`
    then :func:`judge`. So the check cell and the grader cannot disagree on the same probes:
    a forbidden call, seen while the functions run on any case or named in their code, fails
    the item whatever the values; otherwise the first failing case, in order, is reported.
    """
    reference = item.oracle if reference is None else reference
    rng = rng if rng is not None else np.random.default_rng()
    cases = list(item.cases(rng, hidden))
    got = probe_item(item, functions, cases)
    outcome, _ = judge(item, cases, got, (safe_probe(item, case, reference) for case in cases))
    return outcome
