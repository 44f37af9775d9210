"""bookkit.deep: initializations, per-layer activation spread and gradient norms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from bookkit.deep import activation_stds, deep_mlp, initialize, input_spread, weight_grad_norms


def test_deep_mlp_has_the_requested_shape_and_is_seeded():
    a = deep_mlp(5, 7, 3, 2, nn.Tanh, seed=4)
    b = deep_mlp(5, 7, 3, 2, nn.Tanh, seed=4)
    linears = [m for m in a if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(7, 5), (7, 7), (7, 7), (2, 7)]
    assert sum(isinstance(m, nn.Tanh) for m in a) == 3
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize(
    ("init", "gain", "expected_std"),
    [
        ("he", 1.0, math.sqrt(2 / 400)),
        ("he", 2.0, 2 * math.sqrt(2 / 400)),
        ("xavier", 1.0, math.sqrt(6 / 700) / math.sqrt(3)),
    ],
)
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


def test_weight_grad_norms_do_not_underflow_where_float32_would():
    # gradient entries of 1e-27 are normal float32 numbers, but their squares (1e-54) are not:
    # a float32 norm reports 0.0, the float64 norm reports the true size
    model = nn.Sequential(nn.Linear(4, 1, bias=False))
    with torch.no_grad():
        model[0].weight.fill_(1.0)
    x, y = torch.full((1, 4), 1e-27), torch.zeros(1, 1)
    g = torch.full((4,), 1e-27)
    assert torch.linalg.vector_norm(g).item() == 0.0  # the float32 artefact
    # loss = (sum x)^2 = (4e-27)^2, d loss / d w_j = 2 * 4e-27 * 1e-27: far below float32's range
    norms = weight_grad_norms(model, x, y, lambda out, _y: (out * 1e27).sum() * 1e-27)
    assert norms[0] == pytest.approx(2e-27, rel=1e-5)


def test_activation_stds_do_not_overflow_where_float32_would():
    # 4096 finite activations of 1e35 and 3e35: float32's std() sums them and overflows (the
    # sum, 8e38, exceeds float32's largest number, 3.4e38); the float64 reduction does not
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Identity())
    with torch.no_grad():
        model[0].weight.fill_(1.0)
    x = torch.tensor([[1e35], [3e35]]).repeat(2048, 1)
    assert torch.isfinite(model(x)).all()
    assert not math.isfinite(model(x).std().item())  # the float32 artefact
    (std,) = activation_stds(model, x)
    assert std == pytest.approx(x.double().std().item())
    assert std == pytest.approx(1e35, rel=1e-3)


def test_input_spread_ignores_differences_between_units():
    # two units with very different constant offsets but no dependence on the input: pooled std
    # is large, the spread across inputs is 0
    model = nn.Sequential(nn.Linear(1, 2), nn.Identity())
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([-5.0, 5.0]))
    x = torch.randn(8, 1)
    assert activation_stds(model, x)[0] > 4
    assert input_spread(model, x) == [0.0]
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [3.0]]))
    expected = (x.double().std() + 3 * x.double().std()).item() / 2
    assert input_spread(model, x)[0] == pytest.approx(expected)
    assert all(not m._forward_hooks for m in model)
