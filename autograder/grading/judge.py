"""Stage 4, judge: the score of each item from what the child reported, in the trusted parent.

The comparison itself is :func:`autograder.items.judge`, the one the notebook's check cell
uses too (through :func:`autograder.items.run_item`), so the grader and the check cell cannot
disagree on an answer's probes. Around it, this module adds what only grading knows: answer
cells missing from the notebook, the notebook's rules (:mod:`autograder.policy`), a child that
stopped or sent no valid message, and hidden cases, whose inputs the student's feedback does
not show.
"""

from __future__ import annotations

import time

from autograder import policy
from autograder.grading.load import Assignment, Plan, grader_version
from autograder.grading.messages import (
    Crashed,
    ItemMessage,
    ItemProbed,
    Malformed,
    Undefined,
    Unreadable,
)
from autograder.grading.results import ItemResult, Status, StudentResult
from autograder.grading.run import Report
from autograder.items import ItemProbe, judge
from autograder.report import Failure
from autograder.submission import Submission

MALFORMED = "the grading process returned malformed data ({})"


def judge_item(
    plan: Plan,
    message: ItemMessage | None,
    cell_errors: dict[str, str],
    stopped: str | None,
    sub: Submission,
    violations: dict[str, list[str]],
) -> ItemResult:
    """The score of one item from the child's ``message`` about it (None if none came)."""
    item = plan.item

    def result(status: Status, message: str, feedback: str | None = None) -> ItemResult:
        return ItemResult(
            item.grade_id,
            plan.points if status == "passed" else 0.0,
            plan.points,
            status,
            message,
            message if feedback is None else feedback,
            feedback is not None,
        )

    missing = [g for g in plan.answer_ids if g in sub.missing]
    if missing:
        return result(
            "missing", f"the answer cell {', '.join(missing)} is not in the submitted notebook"
        )
    used = [v for found in violations.values() for v in found]
    if used:  # such code could change how every other answer is checked: nothing counts
        where = ", ".join(g for g, found in violations.items() if found)
        return result(
            "forbidden",
            f"answer cell {where} "
            f"{policy.explain(list(dict.fromkeys(used)))}; see the rules at the top "
            "of the notebook",
        )
    if message is None:
        why = stopped or "it returned no result"
        timeout = "time limit" in why or "CPU time" in why
        return result(
            "timeout" if timeout else "error", f"not graded: the grading process stopped ({why})"
        )
    if isinstance(message, Unreadable):
        return result("error", "the grading process returned no readable result")
    if isinstance(message, Undefined):
        why = (
            "; ".join(
                f"answer cell {g} raised {e}"
                for g, e in cell_errors.items()
                if g in plan.answer_ids
            )
            or "the answer cell does not define it"
        )
        return result("error", f"{', '.join(message.names)} is not defined: {why}")
    if isinstance(message, Crashed):
        return result("error", f"the check stopped: {message.error}")
    if isinstance(message, Malformed):
        return result("error", MALFORMED.format(message.problem))
    assert isinstance(message, ItemProbed)
    try:
        if len(message.probes) != len(plan.cases):
            raise ValueError("wrong number of probes")
        got = ItemProbe(message.probes, message.forbidden)
        outcome, index = judge(item, plan.cases, got, plan.expected)
    except Exception as exc:  # noqa: BLE001 - malformed data from the child
        return result("error", MALFORMED.format(exc))
    if outcome.forbidden_calls:
        return result(
            "forbidden",
            f"uses {', '.join(outcome.forbidden_calls)}, which this "
            "exercise asks you to implement yourself",
        )
    if outcome.failure is None:
        return result("passed", "")
    text = outcome.failure.render(item.title)
    if index is not None and index >= plan.visible:
        hidden = Failure(
            "a hidden check",
            "failed a hidden case (hidden checks do not show their inputs)",
            hint=outcome.failure.hint,
        )
        return result("failed", text, hidden.render(item.title))
    return result("failed", text)


def judge_student(
    assignment: Assignment,
    student: str,
    sub: Submission,
    violations: dict[str, list[str]],
    report: Report,
) -> StudentResult:
    """Every item of one submission whose program ran, from its children's report."""
    items = [
        judge_item(
            plan,
            report.items.get(n),
            report.cell_errors,
            report.stopped.get(n),
            sub,
            violations,
        )
        for n, plan in enumerate(assignment.plans)
    ]
    return StudentResult(
        student,
        assignment.name,
        sub.digest,
        items,
        list(sub.notes) + report.notes,
        round(time.monotonic() - report.started, 3),
        assignment.inputs(sub),
        assignment.seed,
        grader_version(),
    )


def unreadable(assignment: Assignment, student: str, sub: Submission) -> StudentResult:
    """Every item of a submission with no notebook to run: the notebook's problem, for each."""
    items = [
        ItemResult(p.item.grade_id, 0.0, p.points, sub.status, sub.problem or "", sub.problem or "")
        for p in assignment.plans
    ]
    return StudentResult(
        student,
        assignment.name,
        sub.digest,
        items,
        list(sub.notes),
        0.0,
        assignment.inputs(sub),
        assignment.seed,
        grader_version(),
    )
