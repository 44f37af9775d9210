"""Small models and the one training loop every chapter uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    """What :func:`train` records: one entry per epoch (``step_loss``, ``grad_norm``: one per step).

    ``grad_norm`` is the global 2-norm of all gradients of a step, measured before any clipping;
    ``lr`` is the learning rate used during each epoch; ``stopped_early`` tells whether early
    stopping ended training before ``epochs``.
    """

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    stopped_early: bool = False


def _no_improvement(losses: Sequence[float], patience: int, min_delta: float) -> bool:
    """The early-stopping rule: the last ``patience`` losses did not beat the earlier best."""
    if len(losses) <= patience:
        return False
    return min(losses[-patience:]) >= min(losses[:-patience]) - min_delta


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
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    scheduler: Callable[[torch.optim.Optimizer], Any] | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    after_epoch: Callable[[nn.Module, int], None] | None = None,
) -> History:
    """Train ``model`` with mini-batch SGD (or Adam) and cross-entropy, and return its history.

    ``seed`` fixes the order of the mini-batches (not the initial weights: seed before building
    the model for that). ``after_step`` is called after every optimizer step, for monitoring.
    Losses are means over the data set; a loss that becomes NaN or infinite is recorded as is,
    and training stops at the end of that epoch.

    The remaining keyword arguments are optional; left at their defaults they change nothing.

    - ``momentum`` (SGD only) and ``weight_decay`` are passed to the optimizer.
    - ``scheduler`` builds a learning-rate scheduler from the optimizer, for example
      ``lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)``; its
      ``step()`` is called once at the end of every epoch, so epoch ``t`` (from 0) uses the rate
      the scheduler holds after ``t`` calls. ``History.lr`` records it.
    - ``clip_value`` clamps every gradient entry to ``[-clip_value, clip_value]``
      (``torch.nn.utils.clip_grad_value_``), then ``clip_norm`` rescales all gradients together
      when their global 2-norm exceeds it (``torch.nn.utils.clip_grad_norm_``).
      ``History.grad_norm`` records the norm before either.
    - ``patience`` turns on early stopping on the loss of ``(x_test, y_test)``, which must then be
      a validation set: training stops after the first epoch whose last ``patience`` losses are all
      no lower than the best earlier loss minus ``min_delta`` (``History.stopped_early``).
    - ``after_epoch(model, epoch)`` is called at the end of every epoch, after the history is
      updated, with the model in eval mode (the next epoch switches it back to training mode).
    """
    loss_fn = loss_fn or nn.functional.cross_entropy
    if patience is not None and (x_test is None or y_test is None):
        raise ValueError("early stopping (patience) needs x_test and y_test as a validation set")
    opt: torch.optim.Optimizer
    if optimizer == "sgd":
        opt = torch.optim.SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
    elif optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        raise KeyError(optimizer)
    sched = scheduler(opt) if scheduler is not None else None
    params = [p for p in model.parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(seed)
    history = History()
    n = x_train.shape[0]
    for epoch in range(epochs):
        model.train()
        history.lr.append(float(opt.param_groups[0]["lr"]))
        total = 0.0
        for idx in torch.randperm(n, generator=gen).split(batch_size):
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            grads = [p.grad for p in params if p.grad is not None]
            history.grad_norm.append(
                torch.linalg.vector_norm(
                    torch.stack([torch.linalg.vector_norm(g) for g in grads])
                ).item()
                if grads
                else 0.0
            )
            if clip_value is not None:
                nn.utils.clip_grad_value_(params, clip_value)
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(params, clip_norm)
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
        if sched is not None:
            sched.step()
        if after_epoch is not None:
            model.eval()
            after_epoch(model, epoch)
        if not torch.isfinite(torch.tensor(history.train_loss[-1])):
            break
        if patience is not None and _no_improvement(history.test_loss, patience, min_delta):
            history.stopped_early = True
            break
    return history
