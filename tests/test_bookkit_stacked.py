"""bookkit.stacked.train_stacked trains each stacked model as bookkit.training.train would."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from bookkit.stacked import train_stacked
from bookkit.training import mlp, train

SIZES = [8, 16, 16, 3]


def _data(n: int = 90) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(n, SIZES[0], generator=gen)
    return x, (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()


def _models(act, grid: list[tuple[float, int]]) -> list[nn.Sequential]:
    models = []
    for _, seed in grid:
        torch.manual_seed(seed)
        models.append(mlp(SIZES, act))
    return models


@pytest.mark.parametrize("optimizer, lrs", [("sgd", (0.05, 0.2)), ("adam", (1e-3, 1e-2))])
@pytest.mark.parametrize("act", [nn.ReLU, nn.PReLU, nn.GELU, nn.Softplus])
def test_each_stacked_model_matches_training_it_alone(act, optimizer, lrs):
    x, y = _data()
    grid = [(lr, seed) for lr in lrs for seed in (0, 1, 2)]
    stacked = _models(act, grid)
    losses = train_stacked(
        stacked,
        x,
        y,
        lrs=[lr for lr, _ in grid],
        seeds=[s for _, s in grid],
        epochs=3,
        batch_size=32,
        optimizer=optimizer,
    )
    for (lr, seed), model, loss in zip(grid, stacked, losses, strict=True):
        torch.manual_seed(seed)
        alone = mlp(SIZES, act)
        history = train(alone, x, y, epochs=3, lr=lr, batch_size=32, optimizer=optimizer, seed=seed)
        for p, q in zip(model.parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4)
        assert loss == pytest.approx(history.train_loss, rel=1e-4, abs=1e-6)


def test_models_keep_their_own_initial_weights_and_are_trained_in_place():
    x, y = _data()
    models = _models(nn.ReLU, [(0.1, 0), (0.1, 1)])
    before = [m[0].weight.clone() for m in models]
    train_stacked(models, x, y, lrs=[0.0, 0.1], seeds=[0, 1], epochs=1, batch_size=32)
    assert torch.equal(models[0][0].weight, before[0])  # learning rate 0: unchanged
    assert not torch.equal(models[1][0].weight, before[1])
    assert not torch.equal(before[0], before[1])


def test_rrelu_runs_in_training_mode_and_models_stay_in_training_mode():
    x, y = _data()
    models = _models(nn.RReLU, [(0.1, 0), (0.1, 1)])
    losses = train_stacked(models, x, y, lrs=[0.1, 0.1], seeds=[0, 1], epochs=2, batch_size=32)
    assert all(m.training for m in models)
    assert all(len(per_epoch) == 2 for per_epoch in losses)
    assert all(torch.isfinite(p).all() for m in models for p in m.parameters())


def test_unsupported_models_and_arguments_are_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="one learning rate and one seed"):
        train_stacked(_models(nn.ReLU, [(0.1, 0)]), x, y, lrs=[0.1, 0.2], seeds=[0])
    with pytest.raises(ValueError, match="parameters"):
        train_stacked([mlp(SIZES, lambda: nn.BatchNorm1d(16))], x, y, lrs=[0.1], seeds=[0])
    with pytest.raises(ValueError, match="one shared slope"):
        train_stacked([mlp(SIZES, lambda: nn.PReLU(16))], x, y, lrs=[0.1], seeds=[0])
    with pytest.raises(ValueError, match="layer types"):
        train_stacked(
            [mlp(SIZES, nn.ReLU), mlp(SIZES, nn.Tanh)], x, y, lrs=[0.1, 0.1], seeds=[0, 0]
        )
    with pytest.raises(KeyError):
        train_stacked(_models(nn.ReLU, [(0.1, 0)]), x, y, lrs=[0.1], seeds=[0], optimizer="rmsprop")


def test_sgd_with_momentum_and_after_epoch_match_train():
    x, y = _data()
    grid = [(0.05, 0), (0.1, 1)]
    stacked = _models(nn.Tanh, grid)
    seen: list[tuple[int, float]] = []

    def record(models, epoch):
        assert not any(m.training for m in models)
        with torch.no_grad():
            seen.append((epoch, float(models[1](x).sum())))

    train_stacked(
        stacked,
        x,
        y,
        lrs=[0.05, 0.1],
        seeds=[0, 1],
        epochs=3,
        batch_size=32,
        momentum=0.9,
        after_epoch=record,
    )
    assert [e for e, _ in seen] == [0, 1, 2]
    assert all(m.training for m in stacked)
    for (lr, seed), model in zip(grid, stacked, strict=True):
        torch.manual_seed(seed)
        alone = mlp(SIZES, nn.Tanh)
        alone_seen: list[float] = []
        train(
            alone,
            x,
            y,
            epochs=3,
            lr=lr,
            batch_size=32,
            seed=seed,
            momentum=0.9,
            after_epoch=lambda m, e, out=alone_seen: out.append(float(m(x).sum().detach())),
        )
        for p, q in zip(model.parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4)
        if seed == 1:
            assert [v for _, v in seen] == pytest.approx(alone_seen, rel=1e-4, abs=1e-4)
    with pytest.raises(ValueError, match="momentum"):
        train_stacked(
            _models(nn.ReLU, [(0.1, 0)]), x, y, lrs=[0.1], seeds=[0], optimizer="adam", momentum=0.9
        )
