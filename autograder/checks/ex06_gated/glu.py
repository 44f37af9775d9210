"""``glu(x, dim=-1)``: ``a * sigmoid(b)``, the semantics of ``torch.nn.functional.glu``, which is
its oracle (and which the answer may not call)."""

from __future__ import annotations

from torch.nn import functional as F

from autograder.checks.ex06_gated._common import Gate, gated_items

GATE = Gate(
    "glu",
    lambda params: "sigmoid(b)",
    "glu(x, dim) = a * sigmoid(b), where a is the first half of x along dim (the value) and "
    "b the second half (the gate); torch.sigmoid is allowed and stable.",
)

glu_core, glu_edge = gated_items(GATE, F.glu, [{}, {"dim": -1}, {}], {})
