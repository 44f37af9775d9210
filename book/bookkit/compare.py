"""Comparing candidates honestly: paired seeds, a table, and selection on a validation split.

Two helpers every chapter uses when its prose ranks candidates (activations, initializations,
learning rates, remedies):

- :func:`paired_summary` turns per-seed scores into a table of mean, spread and a verdict
  against a baseline. A candidate is called "better" or "worse" only when its paired
  difference to the baseline has the same sign on every seed and there are at least
  ``min_seeds`` seeds; otherwise the verdict is "no difference established".
- :func:`select_on_validation` picks the best candidate by a *validation* score. While the
  score function runs, any use of a test split's tensors (those of every live
  :class:`bookkit.data.Split`) raises :class:`TestSetLeak`, so a hyper-parameter can never be
  chosen on the test set by accident.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import torch
from torch.overrides import TorchFunctionMode

__all__ = [
    "VERDICTS",
    "PairedRow",
    "PairedSummary",
    "Selection",
    "TestSetLeak",
    "forbid_tensors",
    "paired_summary",
    "select_on_validation",
]

T = TypeVar("T", bound=Hashable)

#: The possible verdicts of a :class:`PairedRow`.
VERDICTS = ("baseline", "better", "worse", "no difference established")


@dataclass(frozen=True)
class PairedRow:
    """One candidate's line of a :class:`PairedSummary`.

    ``n`` is the number of seeds; ``mean`` and ``std`` (sample standard deviation, ``ddof=1``;
    0 when ``n == 1``), ``lo`` (minimum) and ``hi`` (maximum) describe the candidate's own
    scores; ``diff_mean`` is the mean over seeds of ``score[i] - baseline[i]`` (0 for the
    baseline); ``verdict`` is one of :data:`VERDICTS`.
    """

    name: str
    n: int
    mean: float
    std: float
    lo: float
    hi: float
    diff_mean: float
    verdict: str


@dataclass(frozen=True)
class PairedSummary:
    """Result of :func:`paired_summary`: one :class:`PairedRow` per candidate."""

    rows: list[PairedRow]
    baseline: str
    higher_is_better: bool = True
    min_seeds: int = 5

    def row(self, name: str) -> PairedRow:
        """The row of candidate ``name`` (``KeyError`` if there is none)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def verdict(self, name: str) -> str:
        """The verdict of candidate ``name`` against the baseline, one of :data:`VERDICTS`."""
        return self.row(name).verdict

    def markdown(self, digits: int = 3, label: str = "candidate") -> str:
        """A Markdown table: candidate, seeds, mean, std, min, max, mean paired difference, verdict.

        Numbers are printed with ``digits`` significant digits (``:.{digits}g``); ``label`` heads
        the first column.
        """

        def fmt(x: float) -> str:
            return f"{x:.{digits}g}"

        diff = "mean paired difference vs " + self.baseline
        lines = [
            f"| {label} | seeds | mean | std | min | max | {diff} | verdict |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in self.rows:
            d = "—" if r.verdict == "baseline" else f"{r.diff_mean:+.{digits}g}"
            lines.append(
                f"| {r.name} | {r.n} | {fmt(r.mean)} | {fmt(r.std)} | {fmt(r.lo)} | {fmt(r.hi)} "
                f"| {d} | {r.verdict} |"
            )
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.markdown()


def _check_scores(name: str, values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    if any(math.isnan(v) for v in out):
        raise ValueError(f"candidate {name!r} has a NaN score; decide what a failed run scores")
    return out


def paired_summary(
    scores: Mapping[str, Sequence[float]],
    baseline: str,
    *,
    higher_is_better: bool = True,
    min_seeds: int = 5,
) -> PairedSummary:
    """Summarize per-seed scores of several candidates against a baseline, seed by seed.

    Contract:

    - ``scores[name][i]`` is candidate ``name``'s score on paired seed ``i``: the same seed
      (same initial weights and mini-batches, as far as the candidates allow) and the same order
      for every candidate. All sequences must have the same length ``n >= 1``; ``baseline`` must
      be a key of ``scores``. NaN scores raise ``ValueError`` (map a failed run to a score such as
      chance accuracy or ``inf`` loss yourself); infinite scores are allowed.
    - For every other candidate the paired differences ``d[i] = scores[name][i] -
      scores[baseline][i]`` are formed. The verdict is ``"better"`` if ``n >= min_seeds`` and
      every ``d[i]`` is strictly on the good side (``> 0`` when ``higher_is_better``, ``< 0``
      otherwise), ``"worse"`` if every ``d[i]`` is strictly on the bad side, and
      ``"no difference established"`` in every other case (fewer seeds, a tie, mixed signs, or an
      undefined difference such as ``inf - inf``). The baseline's verdict is ``"baseline"``.
    - Rows keep the order of ``scores``. Nothing is printed; call :meth:`PairedSummary.markdown`.
    """
    if baseline not in scores:
        raise KeyError(f"baseline {baseline!r} is not among the candidates {list(scores)}")
    if min_seeds < 1:
        raise ValueError("min_seeds must be at least 1")
    values = {str(k): _check_scores(str(k), v) for k, v in scores.items()}
    lengths = {len(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"every candidate needs the same number of paired seeds, got {lengths}")
    n = lengths.pop()
    if n == 0:
        raise ValueError("no scores")
    base = values[str(baseline)]
    rows = []
    for name, v in values.items():
        mean = math.fsum(v) / n
        std = math.sqrt(math.fsum((x - mean) ** 2 for x in v) / (n - 1)) if n > 1 else 0.0
        if not math.isfinite(mean):
            std = math.nan
        if name == str(baseline):
            verdict, diff_mean = "baseline", 0.0
        else:
            d = [a - b for a, b in zip(v, base, strict=True)]
            diff_mean = math.fsum(d) / n if all(not math.isnan(x) for x in d) else math.nan
            good = [x > 0 if higher_is_better else x < 0 for x in d]
            bad = [x < 0 if higher_is_better else x > 0 for x in d]
            if n >= min_seeds and all(good):
                verdict = "better"
            elif n >= min_seeds and all(bad):
                verdict = "worse"
            else:
                verdict = "no difference established"
        rows.append(PairedRow(name, n, mean, std, min(v), max(v), diff_mean, verdict))
    return PairedSummary(rows, str(baseline), higher_is_better, min_seeds)


class TestSetLeak(RuntimeError):
    """A score function given to :func:`select_on_validation` used a test split's tensor."""

    __test__ = False  # not a pytest test class


def _hits(obj: Any, ids: frozenset[int], depth: int = 0) -> bool:
    """Whether ``obj`` is, holds (list, tuple, dict) or views a tensor whose id is in ``ids``."""
    if isinstance(obj, torch.Tensor):
        return id(obj) in ids or (obj._base is not None and id(obj._base) in ids)
    if depth < 2 and isinstance(obj, list | tuple):
        return any(_hits(x, ids, depth + 1) for x in obj)
    if depth < 2 and isinstance(obj, dict):
        return any(_hits(x, ids, depth + 1) for x in obj.values())
    return False


class forbid_tensors(TorchFunctionMode):  # noqa: N801 - used like a function: `with forbid_tensors(...)`
    """Context manager: a torch operation taking one of ``tensors`` raises :class:`TestSetLeak`.

    Every operation's tensor arguments are checked, so indexing, slicing, ``detach()``, a forward
    pass or a loss on a forbidden tensor is caught at that first operation; so is a view of it
    made earlier (its ``_base`` is the forbidden tensor). A copy made *before* entering the
    context is a different tensor and is not caught.
    """

    def __init__(self, tensors: Iterable[torch.Tensor], what: str = "a test-split tensor") -> None:
        super().__init__()
        keep = list(tensors)
        self._tensors = keep  # keep them alive so their ids stay unique
        self._ids = frozenset(id(t) for t in keep) | frozenset(
            id(t._base) for t in keep if t._base is not None
        )
        self._what = what

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        ids = self._ids
        if ids and (_hits(args, ids) or _hits(kwargs, ids)):
            name = getattr(func, "__name__", str(func))
            raise TestSetLeak(
                f"the score function used {self._what} (in {name}); a selection must "
                "be scored on a validation split taken from the training data"
            )
        return func(*args, **kwargs)


@dataclass(frozen=True)
class Selection(Generic[T]):
    """The result of :func:`select_on_validation`.

    ``best`` is the chosen candidate; ``scores`` maps every candidate, in input order, to its
    validation score; ``higher_is_better`` records the direction used.
    """

    best: T
    scores: dict[T, float] = field(default_factory=dict)
    higher_is_better: bool = True


def select_on_validation(
    candidates: Sequence[T],
    score: Callable[[T], float],
    *,
    higher_is_better: bool = True,
    forbid: Iterable[torch.Tensor] | None = None,
) -> Selection[T]:
    """Choose the candidate with the best validation score, guarding against the test split.

    Contract:

    - ``score(c)`` must return a VALIDATION score of candidate ``c`` (for example the accuracy on
      a validation split carved from the training data with :func:`bookkit.data.validation`);
      it is called once per candidate, in order. Candidates must be hashable and distinct.
    - While ``score`` runs, every torch operation on a test tensor raises :class:`TestSetLeak`.
      The test tensors are ``forbid`` if given, else ``x_test`` and ``y_test`` of every
      :class:`bookkit.data.Split` still alive (see :func:`bookkit.data.test_tensors`).
    - The best candidate is the one with the highest score (lowest if ``higher_is_better`` is
      False); a tie goes to the earliest candidate. A NaN score raises ``ValueError``: map a
      diverged run to a number (chance accuracy, ``inf`` loss) yourself.
    - Report the test score of ``Selection.best`` afterwards, once, outside this function.
    """
    from bookkit.data import test_tensors

    candidates = list(candidates)
    if not candidates:
        raise ValueError("no candidates")
    if len(set(candidates)) != len(candidates):
        raise ValueError("candidates must be distinct")
    guarded = list(test_tensors() if forbid is None else forbid)
    scores: dict[T, float] = {}
    for c in candidates:
        with forbid_tensors(guarded):
            s = float(score(c))
        if math.isnan(s):
            raise ValueError(f"score({c!r}) is NaN")
        scores[c] = s
    best = candidates[0]
    for c in candidates[1:]:
        if (scores[c] > scores[best]) if higher_is_better else (scores[c] < scores[best]):
            best = c
    return Selection(best, scores, higher_is_better)
