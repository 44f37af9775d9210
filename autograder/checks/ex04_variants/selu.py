"""selu: checked against ``torch.nn.functional.selu``."""

from __future__ import annotations

from torch.nn import functional as F

from autograder.checks.ex04_variants.functions import (
    at_zero_grad,
    core_cases,
    edge_cases,
    function_item,
)
from autograder.forbidden import existing
from autograder.kit.rules import Mismatch, Rules

FORBIDDEN = existing(
    (
        "torch.nn.functional.selu",
        "torch.nn.functional.selu_",
        "torch.selu",
        "torch.selu_",
        "torch.nn.SELU",
    )
)

ORACLE = F.selu


def selu_constants(m: Mismatch) -> str | None:
    if m.expected != 0 and abs(m.got / m.expected - 1) < 1e-3:
        return (
            "Close but not equal: use SELU's two constants to full precision, as given in "
            "the notebook (alpha = 1.6732632423543772..., scale = 1.0507009873554804...)."
        )
    return None


SELU = Rules(
    "selu",
    "selu(x) = scale * (x for x > 0, alpha * (exp(x) - 1) for x <= 0), with "
    "the constants given in the notebook; its gradient at 0 is scale * alpha.",
    (
        at_zero_grad(
            "PyTorch's selu'(0) = scale * alpha: x = 0 belongs to the exponential branch."
        ),
        selu_constants,
    ),
)


selu_core = function_item(
    "selu_core",
    "selu: values and gradients on random tensors",
    "selu",
    SELU,
    core_cases([{}, {}, {}]),
    ORACLE,
    FORBIDDEN,
)


selu_edge = function_item(
    "selu_edge",
    "selu: x = 0, NaN, infinities, |x| up to 1000",
    "selu",
    SELU,
    edge_cases({}, relu_family=True),
    ORACLE,
    FORBIDDEN,
)
