"""ex03_vanishing_gradient: sigmoid_chain_bound, layer_grad_norms, he_normal_, xavier_uniform_:
one module per graded function (the two initializers share theirs, :mod:`.initializers`).
"""

from __future__ import annotations

from autograder.checks.ex03_vanishing_gradient.initializers import (
    he_normal_core,
    he_normal_edge,
    xavier_uniform_core,
    xavier_uniform_edge,
)
from autograder.checks.ex03_vanishing_gradient.layer_grad_norms import (
    layer_grad_norms_core,
    layer_grad_norms_state,
    layer_grad_norms_structure,
)
from autograder.checks.ex03_vanishing_gradient.sigmoid_chain_bound import (
    sigmoid_chain_bound_core,
    sigmoid_chain_bound_edge,
)
from autograder.items import Item

ITEMS: tuple[Item, ...] = (
    sigmoid_chain_bound_core,
    sigmoid_chain_bound_edge,
    layer_grad_norms_core,
    layer_grad_norms_structure,
    layer_grad_norms_state,
    he_normal_core,
    he_normal_edge,
    xavier_uniform_core,
    xavier_uniform_edge,
)
