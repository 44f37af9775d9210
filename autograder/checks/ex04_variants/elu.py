"""elu: checked against ``torch.nn.functional.elu``."""

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
        "torch.nn.functional.elu",
        "torch.nn.functional.elu_",
        "torch._C._nn.elu",
        "torch._C._nn.elu_",
        "torch.nn.ELU",
        "torch.nn.functional.celu",
        "torch.celu",
        "torch.celu_",
        "torch.nn.CELU",
    )
)

ORACLE = F.elu


def elu_alpha(m: Mismatch) -> str | None:
    if m.what == "output" and m.x < 0:
        return "For x <= 0, elu(x) = alpha * (exp(x) - 1): use the alpha argument."
    return None


ELU = Rules(
    "elu",
    "elu(x) = x for x > 0 and alpha * (exp(x) - 1) for x <= 0; its gradient at "
    "0 is alpha (PyTorch's convention).",
    (
        at_zero_grad(
            "PyTorch's elu'(0) = alpha: x = 0 belongs to the exponential branch, "
            "so use x > 0 for the linear one."
        ),
        elu_alpha,
    ),
)


elu_core = function_item(
    "elu_core",
    "elu: values and gradients on random tensors",
    "elu",
    ELU,
    core_cases([{}, {"alpha": 0.5}, {"alpha": 2.0}]),
    ORACLE,
    FORBIDDEN,
)


elu_edge = function_item(
    "elu_edge",
    "elu: x = 0, NaN, infinities, |x| up to 1000",
    "elu",
    ELU,
    edge_cases({"alpha": 2.0}, relu_family=True),
    ORACLE,
    FORBIDDEN,
)
