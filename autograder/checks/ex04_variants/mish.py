"""mish: checked against ``torch.nn.functional.mish``."""

from __future__ import annotations

from torch.nn import functional as F

from autograder.checks.ex04_variants.functions import core_cases, edge_cases, function_item
from autograder.forbidden import existing
from autograder.kit.rules import Rules

FORBIDDEN = existing(("torch.nn.functional.mish", "torch._C._nn.mish", "torch.nn.Mish"))

ORACLE = F.mish


MISH = Rules("mish", "mish(x) = x * tanh(softplus(x)), with a stable softplus.")


mish_core = function_item(
    "mish_core",
    "mish: values and gradients on random tensors",
    "mish",
    MISH,
    core_cases([{}, {}, {}]),
    ORACLE,
    FORBIDDEN,
)


mish_edge = function_item(
    "mish_edge",
    "mish: x = 0 and |x| up to 1000",
    "mish",
    MISH,
    edge_cases({}, relu_family=False),
    ORACLE,
    FORBIDDEN,
)
