"""Stage 6, report: the student's feedback page, one self-contained HTML file per submission.

Each check, its status, its points and its report, which names the mistake (hidden cases'
inputs are not shown); scores an instructor set by hand in formgrader (:class:`Adjustment`)
replace the check's, as nbgrader counts them, with a note saying so.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.record import write_atomically
from autograder.grading.results import StudentResult
from autograder.items import Item


@dataclass(frozen=True)
class Adjustment:
    """What an instructor set by hand on one grade (in formgrader): a score that replaces the
    check's, extra credit added to it, or both (None: not set)."""

    manual_score: float | None
    extra_credit: float | None

    def points(self, auto: float) -> float:
        """The grade's points as nbgrader counts them, given the check's ``auto`` points."""
        base = auto if self.manual_score is None else self.manual_score
        return base + (self.extra_credit or 0.0)

    def describe(self, auto: float) -> str:
        """How the points differ from the check's, for the student."""
        parts = []
        if self.manual_score is not None:
            parts.append(f"set by your instructor; the check gave {auto:g}")
        if self.extra_credit:
            parts.append(f"including {self.extra_credit:g} extra credit")
        return "; ".join(parts)


def write_feedback(
    path: Path,
    result: StudentResult,
    items: Sequence[Item],
    submitted: datetime.datetime | None = None,
    adjusted: Mapping[str, Adjustment] | None = None,
) -> None:
    """A self-contained HTML page for the student: each check, its points and its report,
    when the notebook was submitted (UTC) if that is known, and the version of the grader and
    the seed of the hidden cases that gave the points. ``adjusted`` (grade_id ->
    :class:`Adjustment`, from :func:`autograder.grading.gradebook.adjustments`) overrides the
    check's points as nbgrader does, with a note saying so; the total counts the final
    points."""
    titles = {i.grade_id: i.title for i in items}
    adjusted = adjusted or {}
    total = sum(i.max_points for i in result.items)
    score = 0.0
    rows = []
    for item in result.items:
        report = html.escape(item.feedback) if item.status != "passed" else ""
        change = adjusted.get(item.grade_id)
        points = change.points(item.points) if change else item.points
        score += points
        note = f"<br>({html.escape(change.describe(item.points))})" if change else ""
        rows.append(
            f"<tr class='{item.status}'><td>{html.escape(titles.get(item.grade_id, ''))}"
            f"<br><code>{html.escape(item.grade_id)}</code></td><td>{item.status}</td>"
            f"<td>{points:g} / {item.max_points:g}{note}</td><td><pre>{report}</pre></td></tr>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: {html.escape(result.assignment)}, {html.escape(result.student)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #999; padding: .4rem; vertical-align: top; text-align: left; }}
tr.passed td:nth-child(2) {{ color: #1a6b1a; }}
tr:not(.passed) td:nth-child(2) {{ color: #a01010; font-weight: bold; }}
pre {{ white-space: pre-wrap; margin: 0; }}
</style></head><body>
<h1>{html.escape(result.assignment)}: {score:g} / {total:g} points</h1>
<p>Student: {html.escape(result.student)}{
        f"; submitted {submitted:%Y-%m-%d %H:%M:%S} UTC" if submitted else ""
    }</p>
{f"<ul>{notes}</ul>" if notes else ""}
<table><thead><tr><th scope="col">check</th><th scope="col">status</th>
<th scope="col">points</th><th scope="col">report</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<footer><p>Graded by activation-functions-course {html.escape(result.grader or "unknown")}{
        f", hidden cases from seed {result.seed}" if result.seed is not None else ""
    }.</p></footer>
</body></html>
"""
    write_atomically(path, page)
