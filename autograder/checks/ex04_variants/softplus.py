"""softplus, with beta and threshold: checked against ``torch.nn.functional.softplus``."""

from __future__ import annotations

import math

import numpy as np
from torch.nn import functional as F

from autograder.checks.ex04_variants.functions import core_cases, edge_cases, function_item
from autograder.forbidden import existing
from autograder.items import Case
from autograder.kit.rules import Mismatch, Rules

FORBIDDEN = existing(("torch.nn.functional.softplus", "torch._C._nn.softplus", "torch.nn.Softplus"))

ORACLE = F.softplus


def softplus_rules(m: Mismatch) -> str | None:
    what, x, e, g = m.what, m.x, m.expected, m.got
    beta, threshold = m.params.get("beta", 1.0), m.params.get("threshold", 20.0)
    if what == "gradient" and x == 0 and g == 0 and e != 0:
        return (
            "softplus'(0) = 1/2, but autograd returned 0: relu(x) and abs(x) have slope 0 "
            "at x = 0, so relu(x) + log1p(exp(-abs(x))) differentiates to 0 + 0 there. "
            "Use torch.maximum(x, zeros) (slope 1/2 at a tie) or torch.logaddexp."
        )
    if what == "output" and beta * x == threshold:
        return (
            "At beta * x == threshold exactly PyTorch still uses the log formula: the "
            "linear branch is for beta * x > threshold (strictly greater)."
        )
    if what == "output" and beta * x > threshold:
        return (
            "Where beta * x > threshold PyTorch returns x itself (the linear branch); use "
            "the threshold argument."
        )
    if what == "output" and math.isinf(g):
        return (
            "exp(beta * x) overflowed: use the stable form max(z, 0) + log1p(exp(-|z|)) "
            "with z = beta * x, divided by beta."
        )
    return None


SOFTPLUS = Rules(
    "softplus",
    "softplus(x) = log(1 + exp(beta * x)) / beta, computed stably, and "
    "x itself where beta * x > threshold.",
    (softplus_rules,),
)


softplus_core = function_item(
    "softplus_core",
    "softplus: values and gradients, beta and threshold",
    "softplus",
    SOFTPLUS,
    core_cases([{}, {"beta": 2.0}, {"beta": 0.5, "threshold": 5.0}]),
    ORACLE,
    FORBIDDEN,
)


softplus_edge = function_item(
    "softplus_edge",
    "softplus: x = 0, |x| up to 1000, at and above the threshold",
    "softplus",
    SOFTPLUS,
    edge_cases(
        {},
        relu_family=False,
        extra=[
            Case(
                "around a small threshold (beta=1, threshold=1)",
                (np.array([0.5, 1.0, 1.5, 2.0]), {"beta": 1.0, "threshold": 1.0}),
            ),
            Case(
                "beta=2, threshold=4: beta * x crosses the threshold at x = 2",
                (np.array([1.0, 2.0, 2.5, 3.0, -3.0]), {"beta": 2.0, "threshold": 4.0}),
            ),
        ],
    ),
    ORACLE,
    FORBIDDEN,
)
