"""leaky_relu: checked against ``torch.nn.functional.leaky_relu``."""

from __future__ import annotations

import numpy as np
from torch.nn import functional as F

from autograder.checks.ex04_variants.functions import (
    ZEROS,
    at_zero_grad,
    core_cases,
    edge_cases,
    function_item,
)
from autograder.forbidden import existing
from autograder.items import Case
from autograder.kit.rules import Mismatch, Rules

FORBIDDEN = existing(
    (
        "torch.nn.functional.leaky_relu",
        "torch.nn.functional.leaky_relu_",
        "torch._C._nn.leaky_relu",
        "torch._C._nn.leaky_relu_",
        "torch.nn.LeakyReLU",
        "torch.nn.functional.rrelu",
        "torch.rrelu",
        "torch.rrelu_",
        "torch.nn.RReLU",
    )
)

ORACLE = F.leaky_relu


def leaky_slope(m: Mismatch) -> str | None:
    if m.what == "output" and m.x < 0:
        return (
            "Negative inputs are multiplied by negative_slope: use the argument (default "
            "0.01), not a constant."
        )
    return None


LEAKY = Rules(
    "leaky_relu",
    "leaky_relu(x) = x where x > 0 and negative_slope * x elsewhere, "
    "with gradient negative_slope at x = 0 (PyTorch's convention).",
    (
        at_zero_grad(
            "PyTorch's leaky_relu'(0) = negative_slope: x = 0 belongs to the "
            "negative branch. torch.where(x > 0, ...) does that; x >= 0 gives "
            "1, and torch.maximum splits a tie, giving the average of the two "
            "slopes."
        ),
        leaky_slope,
    ),
)


leaky_relu_core = function_item(
    "leaky_relu_core",
    "leaky_relu: values and gradients on random tensors",
    "leaky_relu",
    LEAKY,
    core_cases([{}, {"negative_slope": 0.2}, {"negative_slope": 0.05}]),
    ORACLE,
    FORBIDDEN,
)


leaky_relu_edge = function_item(
    "leaky_relu_edge",
    "leaky_relu: x = 0, NaN, infinities, other slopes",
    "leaky_relu",
    LEAKY,
    edge_cases(
        {},
        relu_family=True,
        extra=[
            Case("x = 0 with negative_slope=0.3", (ZEROS, {"negative_slope": 0.3})),
            Case(
                "a slope above 1 (negative_slope=1.5)",
                (np.array([-2.0, 0.0, 2.0]), {"negative_slope": 1.5}),
            ),
        ],
    ),
    ORACLE,
    FORBIDDEN,
)
