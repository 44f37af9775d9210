"""ex06_gated: the gated activations ``glu``, ``reglu``, ``geglu`` and ``swiglu`` (tensors in,
tensors out, differentiable, ``F.glu``'s split and errors), ``matched_hidden`` (the 2/3 width
of a parameter-matched gated block, rounded up as in LLaMA) and the ``GatedFeedForward``
module (``w_gate``, ``w_up``, ``w_down``). One module per graded function; what the four gated
functions share is in :mod:`._common`.
"""

from __future__ import annotations

from autograder.checks.ex06_gated.gated_feed_forward import gated_ff_core, gated_ff_edge
from autograder.checks.ex06_gated.geglu import geglu_core, geglu_edge
from autograder.checks.ex06_gated.glu import glu_core, glu_edge
from autograder.checks.ex06_gated.matched_hidden import matched_hidden_core, matched_hidden_edge
from autograder.checks.ex06_gated.reglu import reglu_core, reglu_edge
from autograder.checks.ex06_gated.swiglu import swiglu_core, swiglu_edge
from autograder.items import Item

ITEMS: tuple[Item, ...] = (
    glu_core,
    glu_edge,
    reglu_core,
    reglu_edge,
    geglu_core,
    geglu_edge,
    swiglu_core,
    swiglu_edge,
    matched_hidden_core,
    matched_hidden_edge,
    gated_ff_core,
    gated_ff_edge,
)
