"""bookkit.deep: initializations, per-layer activation spread and gradient norms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from bookkit.deep import activation_stds, deep_mlp, initialize, weight_grad_norms


def test_deep_mlp_has_the_requested_shape_and_is_seeded():
    a = deep_mlp(5, 7, 3, 2, nn.Tanh, seed=4)
    b = deep_mlp(5, 7, 3, 2, nn.Tanh, seed=4)
    linears = [m for m in a if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(7, 5), (7, 7), (7, 7), (2, 7)]
    assert sum(isinstance(m, nn.Tanh) for m in a) == 3
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize(("init", "gain", "expected_std"), [
    ("he", 1.0, math.sqrt(2 / 400)),
    ("he", 2.0, 2 * math.sqrt(2 / 400)),
    ("xavier", 1.0, math.sqrt(6 / 700) / math.sqrt(3)),
])
def test_initialize_gives_the_named_spread_and_zero_biases(init, gain, expected_std):
    torch.manual_seed(0)
    layer = initialize(nn.Sequential(nn.Linear(400, 300)), init, gain)[0]
    assert layer.weight.std().item() == pytest.approx(expected_std, rel=0.02)
    assert torch.count_nonzero(layer.bias) == 0


def test_initialize_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="init must be one of"):
        initialize(nn.Linear(2, 2), "kaiming")


def test_activation_stds_measures_each_activation_and_removes_its_hooks():
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
    x = torch.tensor([[1.0, -1.0], [3.0, -2.0]])
    assert activation_stds(model, x) == pytest.approx([torch.tensor([1.0, 3.0, 0, 0]).std().item()])
    assert all(not m._forward_hooks for m in model)


def test_weight_grad_norms_match_a_hand_computed_gradient_and_leave_grad_alone():
    model = nn.Sequential(nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        model[0].weight.fill_(2.0)
    x, y = torch.tensor([[3.0]]), torch.tensor([[1.0]])
    # loss = (2*3 - 1)^2 = 25, d loss / d w = 2 * (6 - 1) * 3 = 30
    norms = weight_grad_norms(model, x, y, nn.functional.mse_loss)
    assert norms == [pytest.approx(30.0)]
    assert model[0].weight.grad is None
