"""bookkit.monitoring measures without changing the model, and train's optional extras work."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from bookkit import monitoring, training


def _net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))


def _no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_dead_relu_fraction_counts_units_that_are_zero_on_every_sample():
    net = _net()
    with torch.no_grad():
        net[0].bias[[1, 4]] = -1e3  # two of eight first-layer units dead on any input
        net[2].weight.zero_()
        net[2].bias[:] = torch.tensor([-1.0, -1.0, -1.0, 1.0, 1.0, 1.0])  # three of six dead
    x = torch.randn(50, 5)
    assert monitoring.dead_relu_fraction(net, x) == [pytest.approx(2 / 8), pytest.approx(3 / 6)]
    fractions = monitoring.dead_relu_fraction(net, x)
    assert all(type(f) is float for f in fractions)


def test_a_unit_alive_on_one_sample_is_not_dead_and_nan_is_not_zero():
    relu_net = nn.Sequential(nn.ReLU())
    x = torch.tensor([[-1.0, -1.0, float("nan")], [-2.0, 3.0, -1.0]])
    assert monitoring.dead_relu_fraction(relu_net, x) == [pytest.approx(1 / 3)]
    assert monitoring.dead_relu_fraction(nn.Sequential(nn.Tanh()), x) == []


def test_dead_relu_fraction_sees_nested_relus_and_all_non_batch_dimensions():
    torch.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU()))
    with torch.no_grad():
        conv[0].bias[:] = torch.tensor([-1e3, 0.0])
    (fraction,) = monitoring.dead_relu_fraction(conv, torch.randn(4, 1, 5, 5))
    assert fraction >= 0.5 - 1e-12  # channel 0 (2 x 3 x 3 = 18 units of 18 x 2) is dead


def test_measuring_leaves_the_model_as_it_was():
    net = _net()
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    monitoring.dead_relu_fraction(net, torch.randn(20, 5))
    monitoring.negative_fraction(net, torch.randn(20, 5))
    assert _no_hooks(net)
    assert not net.training and not any(m.training for m in net.modules())
    assert all(p.grad is None for p in net.parameters())
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])


def test_hooks_are_removed_even_when_the_forward_pass_fails():
    net = _net()
    with pytest.raises(RuntimeError):
        monitoring.dead_relu_fraction(net, torch.randn(3, 7))  # wrong input width
    assert _no_hooks(net)


def test_negative_fraction_equals_dead_fraction_for_relu_and_sees_leaky_units():
    net = _net(1)
    with torch.no_grad():
        net[0].bias[0] = -1e3
    x = torch.randn(40, 5)
    assert monitoring.negative_fraction(net, x) == monitoring.dead_relu_fraction(net, x)
    leaky = nn.Sequential(nn.Linear(5, 4), nn.LeakyReLU(), nn.Linear(4, 2), nn.ELU())
    with torch.no_grad():
        leaky[0].bias[:2] = -1e3
        leaky[2].bias[:] = 1e3
    assert monitoring.negative_fraction(leaky, x) == [pytest.approx(0.5), pytest.approx(0.0)]
    assert monitoring.dead_relu_fraction(leaky, x) == []


def test_global_grad_norm_matches_pytorch_and_skips_missing_gradients():
    net = _net()
    net(torch.randn(16, 5)).pow(2).sum().backward()
    net[4].bias.grad = None
    expected = torch.sqrt(
        sum((p.grad.double() ** 2).sum() for p in net.parameters() if p.grad is not None)
    ).item()
    assert monitoring.global_grad_norm(net.parameters()) == pytest.approx(expected, rel=1e-12)
    assert monitoring.global_grad_norm(p for p in net.parameters()) == pytest.approx(expected)
    assert monitoring.global_grad_norm(nn.Linear(2, 2).parameters()) == 0.0


def test_update_ratio_is_the_relative_change_of_each_linear_weight():
    net = _net()
    ratio = monitoring.UpdateRatio(net)
    weights = [w.detach().clone() for w in monitoring.linear_weights(net)]
    net(torch.randn(16, 5)).sum().backward()
    grads = [w.grad.clone() for w in monitoring.linear_weights(net)]
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    ratio(net)
    expected = [
        (0.1 * g).norm().item() / w.norm().item() for w, g in zip(weights, grads, strict=True)
    ]
    assert len(ratio.ratios) == 1
    np.testing.assert_allclose(ratio.ratios[0], expected, rtol=1e-5)
    ratio(net)  # no step in between: nothing changed
    assert ratio.ratios[1] == [0.0, 0.0, 0.0]


# --- train(): the optional keyword arguments -------------------------------------------------


def _data(n: int = 96, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=gen)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return x, y


def _original_train(model, x, y, epochs, lr, batch_size, seed):
    """The training loop as it was before the optional arguments were added."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(x.shape[0], generator=gen).split(batch_size):
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def test_train_with_defaults_is_the_original_loop():
    x, y = _data()
    history = training.train(_net(), x, y, epochs=3, lr=0.2, batch_size=32, seed=4)
    assert history.step_loss == _original_train(_net(), x, y, 3, 0.2, 32, 4)
    assert history.lr == [0.2, 0.2, 0.2] and not history.stopped_early
    assert len(history.grad_norm) == len(history.step_loss)


def test_train_records_the_gradient_norm_before_clipping_and_clips():
    x, y = _data()
    seen = []
    clipped = training.train(
        _net(),
        x,
        y,
        epochs=1,
        lr=0.1,
        batch_size=96,
        clip_norm=1e-3,
        after_step=lambda m: seen.append(monitoring.global_grad_norm(m.parameters())),
    )
    plain = training.train(_net(), x, y, epochs=1, lr=0.1, batch_size=96)
    assert clipped.grad_norm[0] == pytest.approx(plain.grad_norm[0], rel=1e-6)
    assert clipped.grad_norm[0] > 1e-3 and seen[0] <= 1e-3 * (1 + 1e-5)

    largest = []
    training.train(
        _net(),
        x,
        y,
        epochs=1,
        lr=0.1,
        batch_size=32,
        clip_value=1e-4,
        after_step=lambda m: largest.append(max(p.grad.abs().max().item() for p in m.parameters())),
    )
    assert max(largest) <= 1e-4 * (1 + 1e-6)


def test_train_steps_a_scheduler_once_per_epoch():
    x, y = _data()
    history = training.train(
        _net(),
        x,
        y,
        epochs=7,
        lr=0.4,
        batch_size=48,
        scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    )
    assert history.lr == pytest.approx([0.4 * 0.5 ** (t // 3) for t in range(7)], rel=1e-12)
    cosine = training.train(
        _net(),
        x,
        y,
        epochs=5,
        lr=0.1,
        batch_size=48,
        scheduler=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4),
    )
    assert cosine.lr == pytest.approx(
        [0.05 * (1 + math.cos(math.pi * t / 4)) for t in range(5)], abs=1e-12
    )


def test_train_passes_momentum_and_weight_decay_to_the_optimizer():
    x, y = _data()
    plain = training.train(_net(), x, y, epochs=2, lr=0.1, batch_size=32)
    decayed = training.train(_net(), x, y, epochs=2, lr=0.1, batch_size=32, weight_decay=0.1)
    moved = training.train(_net(), x, y, epochs=2, lr=0.1, batch_size=32, momentum=0.9)
    assert plain.step_loss[0] == decayed.step_loss[0] == moved.step_loss[0]
    assert plain.step_loss[-1] != decayed.step_loss[-1]
    assert plain.step_loss[-1] != moved.step_loss[-1]


def test_early_stopping_follows_the_patience_rule():
    x, y = _data()
    xv, yv = _data(64, seed=1)
    full = training.train(_net(), x, y, xv, yv, epochs=60, lr=1.0, batch_size=16)
    early = training.train(_net(), x, y, xv, yv, epochs=60, lr=1.0, batch_size=16, patience=3)
    stop = len(early.test_loss)
    losses = full.test_loss
    rule = [t for t in range(4, 61) if min(losses[t - 3 : t]) >= min(losses[: t - 3])]
    assert early.test_loss == losses[:stop]
    assert rule, "this setting overfits, so the rule fires within 60 epochs"
    assert early.stopped_early and stop == rule[0] < 60
    with pytest.raises(ValueError):
        training.train(_net(), x, y, epochs=2, patience=2)


def test_after_epoch_is_called_in_eval_mode_with_the_epoch_index():
    x, y = _data()
    calls = []
    net = nn.Sequential(nn.Linear(5, 4), nn.Dropout(0.5), nn.Linear(4, 3))
    training.train(
        net, x, y, epochs=3, lr=0.1, after_epoch=lambda m, epoch: calls.append((epoch, m.training))
    )
    assert calls == [(0, False), (1, False), (2, False)]
