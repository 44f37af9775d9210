"""The checks' test networks: the same weights from the same seed, the student's RNG untouched."""

from __future__ import annotations

import pytest
import torch

from autograder.checks.ex03_vanishing_gradient import layer_grad_norms
from autograder.checks.ex05_pitfalls import dead_relu_fraction
from autograder.kit import models

REGISTRIES = {"ex03": layer_grad_norms.MODELS, "ex05": dead_relu_fraction.MODELS}


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_build_is_reproducible_and_leaves_the_global_generator_alone(registry):
    for name, model in registry.items():
        assert model.description.strip(), name
        torch.manual_seed(2026)
        before = torch.random.get_rng_state()
        first = models.build(registry, name, seed=3).state_dict()
        assert torch.equal(torch.random.get_rng_state(), before), f"{name} reseeded the student"
        second = models.build(registry, name, seed=3).state_dict()
        assert first.keys() == second.keys()
        assert all(torch.equal(first[k], second[k]) for k in first), name
