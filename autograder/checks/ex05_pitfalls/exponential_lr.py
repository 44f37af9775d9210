"""exponential_lr: the learning rate of ``torch.optim.lr_scheduler.ExponentialLR`` at an epoch."""

from __future__ import annotations

import math

import numpy as np
import torch

from autograder.checks.ex05_pitfalls.schedule import (
    compare_schedule,
    epochs_case,
    no_atol,
    random_lr0,
    schedule_item,
    scheduled_lr,
)
from autograder.items import Case
from autograder.kit.cases import Cases


def exponential_oracle(lr0, epoch, gamma):
    return scheduled_lr(lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma), lr0, epoch)


def exponential_alternatives(lr0, epoch, gamma) -> dict[str, float]:
    return {
        "plus_one": lr0 * gamma ** (epoch + 1),
        "exp": lr0 * math.exp(-gamma * epoch),
        "linear": lr0 * gamma * epoch,
    }


EXPONENTIAL_HINTS = {
    "plus_one": "Off by one: epoch 0 uses lr0 itself, so the rate is lr0 * gamma ** epoch.",
    "exp": "ExponentialLR multiplies by gamma each epoch: lr0 * gamma ** epoch, not exp(-gamma*t).",
    "linear": "The decays multiply: lr0 * gamma ** epoch.",
}


def random_exponentials(rng: np.random.Generator) -> list[Case]:
    """Three random schedules, over 30 epochs each."""
    cases = []
    for _ in range(3):
        lr0, gamma = random_lr0(rng), float(np.round(rng.uniform(0.8, 0.99), 4))
        cases.append(
            epochs_case(f"lr0 = {lr0}, gamma = {gamma}, epochs 0 to 30", (lr0, gamma), range(31))
        )
    return cases


def exponential_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case("lr0 = 0.1, gamma = 0.5, epochs 0 to 10", (0.1, 0.5), range(11)),
        *random_exponentials(rng),
    ]


exponential_core_cases = Cases(exponential_core_visible, random_exponentials)


EXPONENTIAL_EDGE_VISIBLE: list[Case] = [
    epochs_case("epoch 0", (0.25, 0.9), [0]),
    epochs_case("gamma = 1 (constant rate)", (0.01, 1.0), [0, 1, 7, 100]),
    epochs_case("many epochs", (0.1, 0.99), [499, 500, 501]),
    epochs_case("a strong decay, gamma = 0.1", (1.0, 0.1), range(0, 101, 25)),
    epochs_case("gamma > 1", (1e-4, 1.05), range(0, 61, 20)),
]


def exponential_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case(
            "random gamma, many epochs",
            (random_lr0(rng), float(rng.uniform(0.95, 0.999))),
            [0, 1, 250, 600],
        )
    ]


exponential_edge_cases = Cases(EXPONENTIAL_EDGE_VISIBLE, exponential_edge_hidden)


EXPONENTIAL_COMPARE = compare_schedule(
    "exponential_lr",
    ("gamma",),
    "ExponentialLR's rate during epoch `epoch` is lr0 * gamma ** epoch.",
    exponential_alternatives,
    EXPONENTIAL_HINTS,
    no_atol,
)


exponential_lr_core = schedule_item(
    "exponential_lr_core",
    "exponential_lr: random schedules, epoch by epoch",
    "exponential_lr",
    exponential_core_cases,
    exponential_oracle,
    EXPONENTIAL_COMPARE,
)


exponential_lr_edge = schedule_item(
    "exponential_lr_edge",
    "exponential_lr: epoch 0, gamma 1, many epochs, gamma > 1",
    "exponential_lr",
    exponential_edge_cases,
    exponential_oracle,
    EXPONENTIAL_COMPARE,
)
