"""``geglu(x, dim=-1, approximate="none")``: ``a * gelu(b)``, checked against ``F.gelu`` on
``F.glu``'s halves, in GELU's exact form (the default) and its tanh approximation."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from autograder.checks.ex06_gated._common import (
    LARGE,
    Gate,
    gated_items,
    gated_oracle,
    random_x,
    tensor_case,
)
from autograder.items import Case


def _phi(params: dict[str, Any]) -> str:
    if params.get("approximate", "none") == "tanh":
        return "gelu(b) (tanh approximation)"
    return "gelu(b) (exact)"


def _gelu(b: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    return F.gelu(b, approximate=approximate)


GATE = Gate(
    "geglu",
    _phi,
    "geglu(x, dim, approximate) = a * gelu(b), where a is the first half of x along dim (the "
    "value) and b the second half (the gate). approximate='none': the exact GELU "
    "b * Phi(b) = 0.5 * b * (1 + erf(b / sqrt(2))); approximate='tanh': "
    "0.5 * b * (1 + tanh(sqrt(2 / pi) * (b + 0.044715 * b**3))). F.gelu is allowed.",
)


def tanh_form(rng: np.random.Generator) -> list[Case]:
    tanh = {"approximate": "tanh"}
    return [
        tensor_case(
            rng,
            "approximate='tanh' on a random float64 (3, 4) tensor",
            random_x(rng, (3, 4), np.float64),
            tanh,
        ),
        tensor_case(
            rng,
            "approximate='tanh', dim=0, |a| and |b| up to 1000",
            LARGE.reshape(2, 6),
            {**tanh, "dim": 0},
        ),
    ]


geglu_core, geglu_edge = gated_items(
    GATE,
    gated_oracle(_gelu),
    [{}, {"approximate": "none"}, {}],
    {},
    tanh_form,
    edge_title="geglu: dim, odd sizes, NaN, |x| up to 1000, the tanh form",
)
