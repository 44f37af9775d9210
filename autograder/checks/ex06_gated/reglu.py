"""``reglu(x, dim=-1)``: ``a * relu(b)``, checked against ``F.relu`` on ``F.glu``'s halves; the
gradient at a gate of exactly 0 follows PyTorch's ReLU (slope 0)."""

from __future__ import annotations

from torch.nn import functional as F

from autograder.checks.ex06_gated._common import Gate, gated_items, gated_oracle

GATE = Gate(
    "reglu",
    lambda params: "relu(b)",
    "reglu(x, dim) = a * relu(b), where a is the first half of x along dim (the value) and "
    "b the second half (the gate); torch.relu and F.relu are allowed.",
)

reglu_core, reglu_edge = gated_items(
    GATE, gated_oracle(lambda b: F.relu(b)), [{}, {"dim": -1}, {}], {}
)
