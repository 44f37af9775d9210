"""cosine_lr: the learning rate of ``torch.optim.lr_scheduler.CosineAnnealingLR`` at an epoch."""

from __future__ import annotations

import math

import numpy as np
import torch

from autograder.checks.ex05_pitfalls.schedule import (
    compare_schedule,
    epochs_case,
    random_lr0,
    schedule_item,
    scheduled_lr,
)
from autograder.items import Case
from autograder.kit.cases import Cases


def cosine_oracle(lr0, epoch, t_max, eta_min=0.0):
    return scheduled_lr(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, t_max, eta_min=eta_min),
        lr0,
        epoch,
    )


def cosine_alternatives(lr0, epoch, t_max, eta_min=0.0) -> dict[str, float]:
    def closed(e: float, t: float, low: float) -> float:
        return low + (lr0 - low) * (1 + math.cos(math.pi * e / t)) / 2

    return {
        "t_max_minus_one": closed(epoch, t_max - 1, eta_min) if t_max > 1 else math.nan,
        "sin": eta_min + (lr0 - eta_min) * (1 + math.sin(math.pi * epoch / t_max)) / 2,
        "minus": eta_min + (lr0 - eta_min) * (1 - math.cos(math.pi * epoch / t_max)) / 2,
        "no_eta_min": closed(epoch, t_max, 0.0),
        "lr0_only": eta_min + lr0 * (1 + math.cos(math.pi * epoch / t_max)) / 2,
        "clamped": closed(min(epoch, t_max), t_max, eta_min),
    }


COSINE_HINTS = {
    "t_max_minus_one": "The rate reaches eta_min at epoch == t_max: divide by t_max, not "
    "t_max - 1.",
    "sin": "It is a cosine: (1 + cos(pi * epoch / t_max)) / 2 is 1 at epoch 0 and 0 at t_max.",
    "minus": "At epoch 0 the rate is lr0: use (1 + cos(...)), not (1 - cos(...)).",
    "no_eta_min": "The rate goes from lr0 down to eta_min: eta_min + (lr0 - eta_min) * ...",
    "lr0_only": "Scale the cosine by (lr0 - eta_min), not by lr0.",
    "clamped": "PyTorch does not hold the rate at eta_min after t_max: the same cosine formula "
    "goes on, and the rate rises again towards lr0 until epoch 2 * t_max.",
}


def _cosine_atol(lr0, t_max, eta_min=0.0) -> float:
    return 1e-12 * abs(lr0 - eta_min)  # torch's recursion near eta_min is accurate to ~1e-16


def random_cosines(rng: np.random.Generator) -> list[Case]:
    """Three random schedules, from epoch 0 to t_max each."""
    cases = []
    for _ in range(3):
        lr0, t_max = random_lr0(rng), int(rng.integers(5, 21))
        cases.append(
            epochs_case(
                f"lr0 = {lr0}, t_max = {t_max}, epochs 0 to t_max", (lr0, t_max), range(t_max + 1)
            )
        )
    return cases


def cosine_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case("lr0 = 0.1, t_max = 10, epochs 0 to 10", (0.1, 10), range(11)),
        *random_cosines(rng),
    ]


cosine_core_cases = Cases(cosine_core_visible, random_cosines)


COSINE_EDGE_VISIBLE: list[Case] = [
    epochs_case("epoch 0 and epoch = t_max", (0.1, 10), [0, 10]),
    epochs_case("eta_min > 0", (0.1, 8), range(9), eta_min=0.01),
    epochs_case("epochs beyond t_max (the cosine goes on)", (0.1, 6), range(25)),
    epochs_case("eta_min > 0 beyond t_max", (0.5, 5), range(16), eta_min=0.05),
    epochs_case("t_max = 1", (0.2, 1), range(4)),
    epochs_case("a long schedule", (0.05, 100), [0, 1, 50, 99, 100, 101, 199, 200]),
]


def cosine_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    lr0, t_max = random_lr0(rng), int(rng.integers(3, 12))
    eta = float(np.round(lr0 * rng.uniform(0.01, 0.5), 8))
    cases.append(
        epochs_case(
            "random eta_min, well beyond t_max", (lr0, t_max), range(4 * t_max + 2), eta_min=eta
        )
    )
    return cases


cosine_edge_cases = Cases(COSINE_EDGE_VISIBLE, cosine_edge_hidden)


COSINE_COMPARE = compare_schedule(
    "cosine_lr",
    ("t_max",),
    "CosineAnnealingLR's rate during epoch `epoch` is "
    "eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / t_max)) / 2, for every epoch.",
    cosine_alternatives,
    COSINE_HINTS,
    _cosine_atol,
)


cosine_lr_core = schedule_item(
    "cosine_lr_core",
    "cosine_lr: random schedules from epoch 0 to t_max",
    "cosine_lr",
    cosine_core_cases,
    cosine_oracle,
    COSINE_COMPARE,
)


cosine_lr_edge = schedule_item(
    "cosine_lr_edge",
    "cosine_lr: eta_min > 0, beyond t_max, t_max = 1",
    "cosine_lr",
    cosine_edge_cases,
    cosine_oracle,
    COSINE_COMPARE,
)
