"""should_stop: early stopping, True when the last ``patience`` losses did not improve on the best
earlier one by more than ``min_delta``.

The oracle is the stated definition, written independently of the solution.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from autograder.items import Case, Item, Probe, format_error
from autograder.kit.cases import Cases
from autograder.kit.values import kind
from autograder.report import Failure


def should_stop_oracle(val_losses, patience, min_delta=0.0) -> bool:
    """Stop when none of the last ``patience`` losses is below the best earlier loss minus
    ``min_delta``; never before ``patience`` epochs after the first."""
    split = len(val_losses) - patience
    if split < 1:
        return False
    best_earlier = min(val_losses[:split])
    return all(loss >= best_earlier - min_delta for loss in val_losses[split:])


def probe_should_stop(case: Case, fn) -> Probe:
    losses, patience = case.args
    options = case.kwargs.get("options", {})
    lengths = range(len(losses) + 1) if case.kwargs.get("prefixes") else [len(losses)]
    records: list[dict[str, object]] = []
    for n in lengths:
        history = [float(v) for v in losses[:n]]
        try:
            result = fn(history, patience, **options)
        except Exception as exc:  # noqa: BLE001 - reported to the student, with the history
            return {"records": records, "error": format_error(exc), "failed_at": n}
        record = {
            "n": n,
            "kind": kind(result),
            "mutated": history != [float(v) for v in losses[:n]],
        }
        if isinstance(result, bool | np.bool_):
            record["value"] = bool(result)
        records.append(record)
    return {"records": records}


def _stop_call(history: Sequence[float], patience: int, options: dict) -> str:
    text = ", ".join(repr(float(v)) for v in history)
    if len(text) > 400:
        text = text[:200] + ", ..., " + text[-190:]
    extra = "".join(f", {k}={v!r}" for k, v in options.items())
    return f"should_stop([{text}], patience={patience}{extra}) ({len(history)} losses)"


def _counter_rule(history: Sequence[float], patience: int, min_delta: float) -> bool:
    """Keras-style early stopping with a counter (not this course's rule when min_delta > 0)."""
    best, wait = math.inf, 0
    for loss in history:
        if loss < best - min_delta:
            best, wait = loss, 0
        else:
            wait += 1
    return wait >= patience


def stop_hint(history: Sequence[float], patience: int, min_delta: float, returned: bool) -> str:
    """Which misreading of the rule gives what the student returned on this history."""
    n = len(history)
    if n <= patience:
        return (
            f"With {n} losses and patience={patience} there is nothing to compare yet: "
            "return False while len(val_losses) <= patience."
        )
    recent, earlier = history[-patience:], history[:-patience]
    if min(recent) == min(earlier) - min_delta:
        return "At exactly the threshold training stops: the rule uses >=, not >."
    if returned == (recent[-1] >= min(earlier) - min_delta):
        return "Look at the best (minimum) of the last patience losses, not only the last one."
    if returned == (min(recent) >= history[-patience - 1] - min_delta):
        return (
            "Compare with the best loss of ALL earlier epochs, min(val_losses[:-patience]), "
            "not only the epoch just before the window."
        )
    if min_delta and returned == _counter_rule(history, patience, min_delta):
        return (
            "A patience counter that keeps the best loss only when it improves by more than "
            "min_delta follows another rule: compare the two minima, min(last patience) >= "
            "min(earlier) - min_delta."
        )
    if min_delta and returned == (min(recent) >= min(earlier)):
        return "Subtract min_delta: stop when min(last patience) >= min(earlier) - min_delta."
    return (
        "Stop exactly when min(val_losses[-patience:]) >= min(val_losses[:-patience]) - min_delta."
    )


def compare_should_stop(strict_type: bool) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        losses, patience = case.args
        options = case.kwargs.get("options", {})
        for g, e in zip(got["records"], expected["records"], strict=False):
            history = [float(v) for v in losses[: g["n"]]]
            call = _stop_call(history, patience, options)
            if g["mutated"]:
                return Failure(
                    case.label,
                    "changed the list of losses",
                    call,
                    hint="Do not sort, pop or append: use slices and min().",
                )
            if "value" not in g or (strict_type and g["kind"] != "bool"):
                return Failure(
                    case.label,
                    f"returned a {g['kind']}, not a bool",
                    call,
                    expected=repr(e["value"]),
                    hint="Return a real Python bool: NumPy comparisons give "
                    "numpy.bool_; wrap the result in bool(...).",
                )
            if g["value"] != e["value"]:
                return Failure(
                    case.label,
                    "wrong decision",
                    call,
                    expected=repr(e["value"]),
                    returned=repr(g["value"]),
                    hint=stop_hint(history, patience, options.get("min_delta", 0.0), g["value"]),
                )
        if "error" in got:
            call = _stop_call([float(v) for v in losses[: got["failed_at"]]], patience, options)
            return Failure(
                case.label,
                f"raised {got['error']}",
                call,
                hint="Return False while len(val_losses) <= patience; min() of an "
                "empty list raises.",
            )
        return None

    return compare


def _curve(rng: np.random.Generator, n: int) -> list[float]:
    """A noisy validation curve: fast decrease, plateau, slow overfitting; distinct values."""
    while True:
        t = np.arange(n)
        turn = rng.uniform(0.4, 0.8) * n
        curve = (
            1.5 * np.exp(-t / rng.uniform(2, 6))
            + 0.3
            + 0.01 * np.maximum(t - turn, 0)
            + rng.normal(0, 0.03, n)
        )
        values = np.round(curve, 3)
        if len(set(values.tolist())) == n:  # no ties: > and >= agree on these curves
            return values.tolist()


FIXED_CURVE = [1.0, 0.8, 0.85, 0.6, 0.9, 0.95, 0.62, 0.61, 0.7, 0.75, 0.81, 0.58, 0.92, 0.91]


def random_curves(rng: np.random.Generator) -> list[Case]:
    """Every prefix of three random training curves."""
    cases = []
    for _ in range(3):
        patience = int(rng.integers(2, 6))
        cases.append(
            Case(
                f"every prefix of a random training curve, patience = {patience}",
                (_curve(rng, 25), patience),
                {"prefixes": True},
            )
        )
    return cases


def stop_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("every prefix of a fixed curve, patience = 2", (FIXED_CURVE, 2), {"prefixes": True}),
        Case("every prefix of a fixed curve, patience = 3", (FIXED_CURVE, 3), {"prefixes": True}),
        *random_curves(rng),
    ]


stop_core_cases = Cases(stop_core_visible, random_curves)


STOP_EDGE_VISIBLE: list[Case] = [
    Case("fewer losses than patience", ([1.0, 2.0], 3)),
    Case("exactly patience losses", ([1.0, 2.0, 3.0], 3)),
    Case("an empty history", ([], 2)),
    Case("equality at the threshold (a tie with the best earlier loss)", ([1.0, 0.5, 0.5], 1)),
    Case("patience = 1, improvement", ([1.0, 0.75, 0.5], 1)),
    Case("patience = 1, no improvement", ([1.0, 0.5, 0.75], 1)),
    Case(
        "min_delta > 0: an improvement smaller than min_delta does not count",
        ([1.0, 0.875], 1),
        {"options": {"min_delta": 0.25}},
    ),
    Case(
        "min_delta > 0: the last loss beats the best earlier one (0.875) by less than min_delta",
        ([1.0, 0.875, 0.75], 1),
        {"options": {"min_delta": 0.1875}},
    ),
    Case(
        "min_delta > 0: an improvement larger than min_delta counts",
        ([1.0, 0.875, 0.5], 1),
        {"options": {"min_delta": 0.25}},
    ),
    Case(
        "an improvement of exactly min_delta still stops",
        ([1.0, 0.5, 0.625, 0.25], 2),
        {"options": {"min_delta": 0.25}},
    ),
    Case(
        "min_delta > 0 with a longer window",
        ([2.0, 1.0, 1.5, 0.96875, 0.9921875], 2),
        {"options": {"min_delta": 0.0625}},
    ),
    Case(
        "every prefix, min_delta = 0.055",
        (FIXED_CURVE, 2),
        {"prefixes": True, "options": {"min_delta": 0.055}},
    ),
]


def stop_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    patience = int(rng.integers(1, 5))
    cases += [
        # losses on a 0.001 grid and min_delta off it: no tie at the threshold
        Case(
            f"every prefix of a random curve, patience = {patience}, min_delta = 0.0205",
            (_curve(rng, 30), patience),
            {"prefixes": True, "options": {"min_delta": 0.0205}},
        ),
        Case("a plateau of equal losses", ([0.5, 0.5, 0.5, 0.5], 2), {"prefixes": True}),
    ]
    return cases


stop_edge_cases = Cases(STOP_EDGE_VISIBLE, stop_edge_hidden)


should_stop_core = Item(
    grade_id="should_stop_core",
    title="should_stop: every prefix of training curves",
    targets=("should_stop",),
    cases=stop_core_cases,
    probe=probe_should_stop,
    compare=compare_should_stop(strict_type=False),
    oracle=(should_stop_oracle,),
)


should_stop_edge = Item(
    grade_id="should_stop_edge",
    title="should_stop: short histories, ties, patience 1, min_delta, a real bool",
    targets=("should_stop",),
    cases=stop_edge_cases,
    probe=probe_should_stop,
    compare=compare_should_stop(strict_type=True),
    oracle=(should_stop_oracle,),
)
