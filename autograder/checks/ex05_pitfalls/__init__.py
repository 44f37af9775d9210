"""ex05_pitfalls: dead_relu_fraction, clip_grad_norm, step_lr, exponential_lr, cosine_lr,
should_stop: one module per graded function (the three schedules share :mod:`.schedule`).

The oracles are PyTorch itself where the library has the function (``clip_grad_norm_``, the
``torch.optim.lr_scheduler`` classes run on a dummy optimizer) and the stated definition where
it has none (dead units, early stopping).
"""

from __future__ import annotations

from autograder.checks.ex05_pitfalls.clip_grad_norm import clip_grad_norm_core, clip_grad_norm_edge
from autograder.checks.ex05_pitfalls.cosine_lr import cosine_lr_core, cosine_lr_edge
from autograder.checks.ex05_pitfalls.dead_relu_fraction import (
    dead_relu_fraction_core,
    dead_relu_fraction_edge,
    dead_relu_fraction_state,
)
from autograder.checks.ex05_pitfalls.exponential_lr import exponential_lr_core, exponential_lr_edge
from autograder.checks.ex05_pitfalls.should_stop import should_stop_core, should_stop_edge
from autograder.checks.ex05_pitfalls.step_lr import step_lr_core, step_lr_edge
from autograder.items import Item

ITEMS: tuple[Item, ...] = (
    dead_relu_fraction_core,
    dead_relu_fraction_edge,
    dead_relu_fraction_state,
    clip_grad_norm_core,
    clip_grad_norm_edge,
    step_lr_core,
    step_lr_edge,
    exponential_lr_core,
    exponential_lr_edge,
    cosine_lr_core,
    cosine_lr_edge,
    should_stop_core,
    should_stop_edge,
)
