"""silu: checked against ``torch.nn.functional.silu``."""

from __future__ import annotations

from torch.nn import functional as F

from autograder.checks.ex04_variants.functions import core_cases, edge_cases, function_item
from autograder.forbidden import existing
from autograder.kit.rules import Rules

FORBIDDEN = existing(("torch.nn.functional.silu", "torch._C._nn.silu", "torch.nn.SiLU"))

ORACLE = F.silu


SILU = Rules("silu", "silu(x) = x * sigmoid(x); torch.sigmoid is allowed and stable.")


silu_core = function_item(
    "silu_core",
    "silu: values and gradients on random tensors",
    "silu",
    SILU,
    core_cases([{}, {}, {}]),
    ORACLE,
    FORBIDDEN,
)


silu_edge = function_item(
    "silu_edge",
    "silu: x = 0 and |x| up to 1000",
    "silu",
    SILU,
    edge_cases({}, relu_family=False),
    ORACLE,
    FORBIDDEN,
)
