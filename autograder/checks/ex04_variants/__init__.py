"""ex04_variants: leaky_relu, elu, selu, gelu, silu, softplus, mish (tensors in, tensors out,
differentiable) and the PReLU module: one module per graded function, what the seven functions'
checks share in :mod:`.functions`.

Each function is checked on its values, dtype and shape, and on its gradient. The oracles are
PyTorch's own functions and ``nn.PReLU``.
"""

from __future__ import annotations

from autograder.checks.ex04_variants.elu import elu_core, elu_edge
from autograder.checks.ex04_variants.gelu import gelu_core, gelu_edge, gelu_tanh
from autograder.checks.ex04_variants.leaky_relu import leaky_relu_core, leaky_relu_edge
from autograder.checks.ex04_variants.mish import mish_core, mish_edge
from autograder.checks.ex04_variants.prelu import prelu_core, prelu_edge
from autograder.checks.ex04_variants.selu import selu_core, selu_edge
from autograder.checks.ex04_variants.silu import silu_core, silu_edge
from autograder.checks.ex04_variants.softplus import softplus_core, softplus_edge
from autograder.items import Item

ITEMS: tuple[Item, ...] = (
    leaky_relu_core,
    leaky_relu_edge,
    elu_core,
    elu_edge,
    selu_core,
    selu_edge,
    gelu_core,
    gelu_tanh,
    gelu_edge,
    silu_core,
    silu_edge,
    softplus_core,
    softplus_edge,
    mish_core,
    mish_edge,
    prelu_core,
    prelu_edge,
)
