"""``swiglu(x, dim=-1)``: ``a * silu(b)``, checked against ``F.silu`` on ``F.glu``'s halves."""

from __future__ import annotations

from torch.nn import functional as F

from autograder.checks.ex06_gated._common import Gate, gated_items, gated_oracle

GATE = Gate(
    "swiglu",
    lambda params: "silu(b) = b * sigmoid(b)",
    "swiglu(x, dim) = a * silu(b) = a * b * sigmoid(b), where a is the first half of x along "
    "dim (the value) and b the second half (the gate); F.silu and torch.sigmoid are allowed "
    "and stable.",
)

swiglu_core, swiglu_edge = gated_items(
    GATE, gated_oracle(lambda b: F.silu(b)), [{}, {"dim": -1}, {}], {}
)
