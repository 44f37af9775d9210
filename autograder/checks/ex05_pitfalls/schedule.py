"""What the three learning-rate schedules' checks share: a real PyTorch scheduler on a dummy
optimizer as the oracle, the probe of one call per epoch, and the comparison that names the
mistake from the schedule's alternatives.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe, format_error
from autograder.kit.tolerance import SCALAR_RTOL
from autograder.kit.values import is_float, kind
from autograder.report import Failure

SCHEDULER_FORBIDDEN = existing(
    tuple(
        f"torch.optim.lr_scheduler.{name}"
        for name in (
            "LRScheduler",
            "_LRScheduler",
            "LambdaLR",
            "MultiplicativeLR",
            "StepLR",
            "MultiStepLR",
            "ConstantLR",
            "LinearLR",
            "ExponentialLR",
            "SequentialLR",
            "PolynomialLR",
            "CosineAnnealingLR",
            "ChainedScheduler",
            "ReduceLROnPlateau",
            "CyclicLR",
            "CosineAnnealingWarmRestarts",
            "OneCycleLR",
        )
    )
)


class DummyOptimizer(torch.optim.Optimizer):
    """What a scheduler reads and writes: one param group with a learning rate.

    Optimizer.__init__ is skipped on purpose: it imports torch._dynamo, which takes over a
    second the first time and would make a student's first check slow.
    """

    def __init__(self, lr: float) -> None:  # no super().__init__(): see above
        self.param_groups = [{"lr": lr}]
        self.defaults = {"lr": lr}
        self.state = {}  # type: ignore[assignment]

    def step(self, closure: None = None) -> None:  # type: ignore[override]
        return None


def scheduled_lr(make: Callable, lr0: float, epoch: int) -> float:
    """The learning rate after ``epoch`` calls to step() of a real scheduler."""
    optimizer = DummyOptimizer(lr0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(optimizer)
        for _ in range(epoch):
            optimizer.step()
            scheduler.step()
    return float(optimizer.param_groups[0]["lr"])


def probe_schedule(case: Case, fn) -> Probe:
    """Call ``fn(lr0, epoch, *params, **options)`` for each epoch of the case, in order."""
    lr0, *params = case.args
    records: list[dict[str, object]] = []
    for epoch in case.kwargs["epochs"]:
        try:
            value = fn(lr0, epoch, *params, **case.kwargs.get("options", {}))
        except Exception as exc:  # noqa: BLE001 - reported to the student, with the epoch
            return {"records": records, "error": format_error(exc)}
        record: dict[str, object] = {"kind": kind(value)}
        if is_float(value):
            record["value"] = float(value)
        records.append(record)
    return {"records": records}


def schedule_call(name: str, arg_names: Sequence[str], case: Case, epoch: int) -> str:
    lr0, *params = case.args
    args = [f"lr0={lr0!r}", f"epoch={epoch}"]
    args += [f"{n}={v!r}" for n, v in zip(arg_names, params, strict=True)]
    args += [f"{n}={v!r}" for n, v in case.kwargs.get("options", {}).items()]
    return f"{name}({', '.join(args)})"


def compare_schedule(
    name: str,
    arg_names: Sequence[str],
    hint: str,
    alternatives: Callable[..., dict[str, float]],
    hints: dict[str, str],
    atol: Callable[..., float],
) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        lr0, *params = case.args
        options = case.kwargs.get("options", {})
        for epoch, g, e in zip(
            case.kwargs["epochs"], got["records"], expected["records"], strict=False
        ):
            call = schedule_call(name, arg_names, case, epoch)
            if "value" not in g:
                return Failure(
                    case.label,
                    f"returned a {g['kind']}, not a Python float",
                    call,
                    expected=repr(e["value"]),
                    hint="Compute with Python floats and the math module (or call "
                    "float(...) on the result).",
                )
            tol = atol(lr0, *params, **options)
            if not math.isclose(g["value"], e["value"], rel_tol=SCALAR_RTOL, abs_tol=tol):
                alts = alternatives(lr0, epoch, *params, **options)
                why = next(
                    (
                        hints[k]
                        for k, v in alts.items()
                        if not math.isclose(v, e["value"], rel_tol=SCALAR_RTOL, abs_tol=tol)
                        and math.isclose(g["value"], v, rel_tol=SCALAR_RTOL, abs_tol=tol)
                    ),
                    hint,
                )
                if why == hint and math.isclose(g["value"], e["value"], rel_tol=1e-5):
                    why = (
                        "Close, but not within a relative 1e-9: compute in float64 (Python "
                        "floats and math), not in float32 tensors or NumPy float32."
                    )
                return Failure(
                    case.label,
                    f"wrong learning rate at epoch {epoch}",
                    call,
                    expected=repr(e["value"]),
                    returned=repr(g["value"]),
                    hint=why,
                )
        if "error" in got:
            epoch = case.kwargs["epochs"][len(got["records"])]
            return Failure(
                case.label,
                f"raised {got['error']}",
                schedule_call(name, arg_names, case, epoch),
                hint=hint,
            )
        return None

    return compare


def no_atol(*args: object, **kwargs: object) -> float:
    return 0.0


def epochs_case(label: str, args: tuple, epochs: Sequence[int], **options: object) -> Case:
    kwargs: dict[str, object] = {"epochs": [int(e) for e in epochs]}
    if options:
        kwargs["options"] = dict(options)
    return Case(label, args, kwargs)


def random_lr0(rng: np.random.Generator) -> float:
    return float(np.round(10 ** rng.uniform(-3, 0), 6))


def schedule_item(grade_id: str, title: str, target: str, cases, oracle, compare) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=(target,),
        cases=cases,
        probe=probe_schedule,
        compare=compare,
        oracle=(oracle,),
        forbidden=SCHEDULER_FORBIDDEN,
    )
