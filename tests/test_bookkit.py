"""The chapters' shared helpers do what their docstrings promise."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bookkit import data, plotting, training


def test_xor_labels_follow_the_sign_of_the_product_of_the_corners():
    X, y = data.xor(n=2000, noise=0.0, seed=3)
    assert X.shape == (2000, 2) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert 0.4 < y.mean() < 0.6


def test_moons_are_standardized():
    X, y = data.moons(n=500, seed=1)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=1e-6)
    assert set(np.unique(y)) == {0, 1}


def test_digits_split_is_stratified_and_standardized_on_the_training_set():
    split = data.digits(test_size=0.25, seed=0)
    assert split.x_train.shape[0] + split.x_test.shape[0] == 1797
    assert (split.n_features, split.n_classes) == (64, 10)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    assert torch.allclose(split.x_train.mean(dim=0), torch.zeros(64), atol=1e-5)
    counts = torch.bincount(split.y_test, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 46


def test_mlp_puts_an_activation_between_linear_layers_only():
    net = training.mlp([4, 8, 8, 3], nn.Tanh)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]
    assert net(torch.zeros(5, 4)).shape == (5, 3)
    assert net[1] is not net[3], "each hidden layer gets its own activation module"


def test_with_derivative_matches_the_closed_form_of_the_sigmoid():
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    y, dy = plotting.with_derivative(torch.sigmoid, x)
    s = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(y, s, rtol=1e-12)
    np.testing.assert_allclose(dy, s * (1 - s), rtol=1e-12)
    assert not x.requires_grad, "the caller's tensor is left alone"


def test_train_learns_the_digits_and_records_its_history():
    split = data.digits(seed=0)
    torch.manual_seed(0)
    model = training.mlp([64, 32, 10])
    steps = []
    history = training.train(
        model,
        split.x_train,
        split.y_train,
        split.x_test,
        split.y_test,
        epochs=5,
        lr=0.1,
        after_step=lambda m: steps.append(1),
    )
    assert len(history.train_loss) == len(history.test_accuracy) == 5
    assert len(history.step_loss) == len(steps) == 5 * -(-split.x_train.shape[0] // 64)
    assert history.train_loss[-1] < history.train_loss[0] / 2
    assert history.test_accuracy[-1] > 0.9
    assert history.test_accuracy[-1] == pytest.approx(
        training.accuracy(model, split.x_test, split.y_test)
    )


def test_train_stops_when_the_loss_is_no_longer_finite():
    split = data.digits(seed=0)
    torch.manual_seed(0)
    model = training.mlp([64, 32, 10])
    history = training.train(model, split.x_train, split.y_train, epochs=10, lr=1e6)
    assert len(history.train_loss) < 10
    assert not np.isfinite(history.train_loss[-1])


def test_accuracy_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    training.accuracy(model, torch.zeros(3, 2), torch.zeros(3, dtype=torch.int64))
    assert model.training
