"""Small models and the one training loop every chapter uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn


def mlp(sizes: Sequence[int], activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """A fully connected network ``Linear -> activation -> ... -> Linear``.

    ``sizes`` lists the width of every layer, input first and output last, so
    ``mlp([64, 32, 10])`` has one hidden layer of 32 units. ``activation`` is called once per
    hidden layer to make a fresh module (pass a class such as ``nn.Tanh`` or a lambda).
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``x`` whose arg-max output equals the label in ``y``."""
    was_training = model.training
    model.eval()
    acc = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return acc


@dataclass
class History:
    """What :func:`train` records: one entry per epoch (``step_loss``: one per optimizer step)."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)


def train(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    *,
    epochs: int = 20,
    lr: float = 0.1,
    batch_size: int = 64,
    optimizer: str = "sgd",
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    after_step: Callable[[nn.Module], None] | None = None,
) -> History:
    """Train ``model`` with mini-batch SGD (or Adam) and cross-entropy, and return its history.

    ``seed`` fixes the order of the mini-batches (not the initial weights: seed before building
    the model for that). ``after_step`` is called after every optimizer step, for monitoring.
    Losses are means over the data set; a loss that becomes NaN or infinite is recorded as is,
    and training stops at the end of that epoch.
    """
    loss_fn = loss_fn or nn.functional.cross_entropy
    opt_cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    opt = opt_cls(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = History()
    n = x_train.shape[0]
    for _ in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(n, generator=gen).split(batch_size):
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if after_step is not None:
                after_step(model)
            history.step_loss.append(loss.item())
            total += loss.item() * len(idx)
        history.train_loss.append(total / n)
        if x_test is not None and y_test is not None:
            with torch.no_grad():
                model.eval()
                history.test_loss.append(loss_fn(model(x_test), y_test).item())
            history.test_accuracy.append(accuracy(model, x_test, y_test))
        if not torch.isfinite(torch.tensor(history.train_loss[-1])):
            break
    return history
