"""step_lr: the learning rate of ``torch.optim.lr_scheduler.StepLR`` at an epoch."""

from __future__ import annotations

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


def step_oracle(lr0, epoch, step_size, gamma):
    return scheduled_lr(
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size, gamma), lr0, epoch
    )


def step_alternatives(lr0, epoch, step_size, gamma) -> dict[str, float]:
    return {
        "plus_one": lr0 * gamma ** ((epoch + 1) // step_size),
        "no_floor": lr0 * gamma ** (epoch / step_size),
        "every_epoch": lr0 * gamma**epoch,
        "linear": lr0 * gamma * (epoch // step_size),
    }


STEP_HINTS = {
    "plus_one": "Off by one: during epoch `epoch` the rate has decayed epoch // step_size times "
    "(epoch 0 uses lr0; the first decay happens at epoch == step_size).",
    "no_floor": "Use integer division: the rate is constant within each block of step_size "
    "epochs, gamma ** (epoch // step_size), not gamma ** (epoch / step_size).",
    "every_epoch": "StepLR decays once every step_size epochs, not every epoch.",
    "linear": "The decays multiply: gamma ** (epoch // step_size), not gamma * (...).",
}


def random_steps(rng: np.random.Generator) -> list[Case]:
    """Three random schedules, over four decays each."""
    cases = []
    for _ in range(3):
        lr0, step, gamma = (
            random_lr0(rng),
            int(rng.integers(2, 7)),
            float(np.round(rng.uniform(0.1, 0.9), 4)),
        )
        cases.append(
            epochs_case(
                f"lr0 = {lr0}, step_size = {step}, gamma = {gamma}, epochs 0 to {4 * step + 1}",
                (lr0, step, gamma),
                range(4 * step + 2),
            )
        )
    return cases


def step_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case(
            "lr0 = 0.1, step_size = 3, gamma = 0.5, epochs 0 to 10", (0.1, 3, 0.5), range(11)
        ),
        *random_steps(rng),
    ]


step_core_cases = Cases(step_core_visible, random_steps)


STEP_EDGE_VISIBLE: list[Case] = [
    epochs_case("epoch 0", (0.5, 10, 0.1), [0]),
    epochs_case(
        "the boundaries epoch = step_size - 1, step_size, step_size + 1, ...",
        (0.1, 30, 0.1),
        [29, 30, 31, 59, 60, 61, 89, 90],
    ),
    epochs_case("step_size = 1 (decay every epoch)", (1.0, 1, 0.5), range(6)),
    epochs_case("gamma = 1 (constant rate)", (0.01, 2, 1.0), [0, 1, 2, 5, 100]),
    epochs_case("many epochs", (0.3, 7, 0.9), [699, 700, 701]),
    epochs_case("gamma > 1", (0.001, 2, 2.0), range(7)),
]


def step_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    lr0, step = random_lr0(rng), int(rng.integers(10, 50))
    cases.append(
        epochs_case(
            "random boundaries",
            (lr0, step, 0.25),
            [step - 1, step, 2 * step - 1, 2 * step, 5 * step],
        )
    )
    return cases


step_edge_cases = Cases(STEP_EDGE_VISIBLE, step_edge_hidden)


STEP_COMPARE = compare_schedule(
    "step_lr",
    ("step_size", "gamma"),
    "StepLR's rate during epoch `epoch` is lr0 * gamma ** (epoch // step_size).",
    step_alternatives,
    STEP_HINTS,
    no_atol,
)


step_lr_core = schedule_item(
    "step_lr_core",
    "step_lr: random schedules, epoch by epoch",
    "step_lr",
    step_core_cases,
    step_oracle,
    STEP_COMPARE,
)


step_lr_edge = schedule_item(
    "step_lr_edge",
    "step_lr: epoch 0, boundaries, step_size 1, gamma 1, many epochs",
    "step_lr",
    step_edge_cases,
    step_oracle,
    STEP_COMPARE,
)
