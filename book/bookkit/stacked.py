"""Train several small networks at once, as one stacked computation.

A comparison over paired seeds and a grid of learning rates trains many copies of the same small
network. One at a time, each step of each copy pays Python's and PyTorch's fixed overhead for a
few tiny matrix products. :func:`train_stacked` stacks the copies' weights along a new first
dimension and trains them together with batched matrix products, so the overhead is paid once
per step for all of them. Each copy keeps its own initial weights, its own learning rate and its
own mini-batch order, so the result is the same as training the copies one by one with
:func:`bookkit.training.train`, up to floating-point rounding (and the random slopes of
``nn.RReLU``, which are drawn afresh).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["train_stacked"]

_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults
_EPS = 1e-8


@dataclass(frozen=True)
class _Linear:
    weight: torch.Tensor  # (k, n_in, n_out)
    bias: torch.Tensor  # (k, 1, n_out)


@dataclass(frozen=True)
class _PReLU:
    slope: torch.Tensor  # (k, 1, 1)


_Layer = _Linear | _PReLU | nn.Module  # a parameter-free module applies as it is


def _stack_layers(models: Sequence[nn.Sequential]) -> tuple[list[_Layer], list[torch.Tensor]]:
    """The stacked computation of ``models`` and its trainable leaf tensors.

    Each layer becomes a ``_Linear`` with ``weight`` of shape ``(k, n_in, n_out)`` and ``bias`` of
    shape ``(k, 1, n_out)``, a ``_PReLU`` with ``slope`` of shape ``(k, 1, 1)``, or the
    parameter-free module itself, applied to the stacked activations as they are.
    """
    first = models[0]
    layers: list[_Layer] = []
    leaves: list[torch.Tensor] = []
    for i, module in enumerate(first):
        same: list[Any] = [m[i] for m in models]  # all of module's type, checked below
        if any(type(m) is not type(module) for m in same):
            raise ValueError(f"layer {i}: the models differ in their layer types")
        if isinstance(module, nn.Linear):
            weight = torch.stack([m.weight.detach().T for m in same]).contiguous()
            bias = torch.stack([m.bias.detach() for m in same]).unsqueeze(1).contiguous()
            weight.requires_grad_(True)
            bias.requires_grad_(True)
            layers.append(_Linear(weight, bias))
            leaves += [weight, bias]
        elif isinstance(module, nn.PReLU):
            if module.weight.numel() != 1:
                raise ValueError(f"layer {i}: only a PReLU with one shared slope is supported")
            slope = torch.stack([m.weight.detach().reshape(1, 1) for m in same]).contiguous()
            slope.requires_grad_(True)
            layers.append(_PReLU(slope))
            leaves.append(slope)
        elif any(True for _ in module.parameters()):
            raise ValueError(
                f"layer {i}: {type(module).__name__} has parameters; only "
                "nn.Linear and nn.PReLU(1) may have them"
            )
        else:
            layers.append(module)
    return layers, leaves


def _forward(layers: list[_Layer], x: torch.Tensor) -> torch.Tensor:
    for layer in layers:
        if isinstance(layer, _Linear):
            x = torch.baddbmm(layer.bias, x, layer.weight)
        elif isinstance(layer, _PReLU):
            x = torch.where(x >= 0, x, layer.slope * x)
        else:
            x = layer(x)
    return x


def _write_back(models: Sequence[nn.Sequential], layers: list[_Layer]) -> None:
    with torch.no_grad():
        for i, layer in enumerate(layers):
            for k, model in enumerate(models):
                target: Any = model[i]
                if isinstance(layer, _Linear):
                    target.weight.copy_(layer.weight[k].T)
                    target.bias.copy_(layer.bias[k, 0])
                elif isinstance(layer, _PReLU):
                    target.weight.copy_(layer.slope[k].reshape(-1))


def train_stacked(
    models: Sequence[nn.Sequential],
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    lrs: Sequence[float],
    seeds: Sequence[int],
    epochs: int = 20,
    batch_size: int = 64,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    after_epoch: Callable[[Sequence[nn.Sequential], int], None] | None = None,
) -> list[list[float]]:
    """Train ``models[k]`` with learning rate ``lrs[k]`` and batch order ``seeds[k]``, all at once.

    Contract: the models are ``nn.Sequential`` networks of the same architecture, made of
    ``nn.Linear`` layers, ``nn.PReLU`` modules with one shared slope, and parameter-free modules
    that act elementwise (``nn.ReLU``, ``nn.GELU``, ``nn.RReLU`` and so on; the modules of
    ``models[0]`` are applied to all models). For every ``k`` the result is what
    ``train(models[k], x_train, y_train, epochs=epochs, lr=lrs[k], batch_size=batch_size,
    optimizer=optimizer, seed=seeds[k], momentum=momentum)`` of :mod:`bookkit.training` gives
    (SGD with optional momentum, or Adam with PyTorch's defaults; cross-entropy on the mean over
    each mini-batch), up to floating-point rounding and RReLU's random draws. The trained
    weights are written back into the models in place, which are left in training mode.
    ``after_epoch(models, epoch)``, if given, is called at the end of every epoch with the
    current weights written back and the models in eval mode (for measuring; the next epoch
    switches them back). Unlike ``train``, a model whose loss becomes NaN is not stopped early
    (its weights just stay NaN). Returns each model's mean training loss per epoch,
    ``losses[k][epoch]``.
    """
    if not models or not len(models) == len(lrs) == len(seeds):
        raise ValueError("need one learning rate and one seed per model, and at least one model")
    if optimizer not in ("sgd", "adam"):
        raise KeyError(optimizer)
    if momentum and optimizer != "sgd":
        raise ValueError("momentum is an option of SGD only")
    k = len(models)
    for model in models:
        model.train()
    layers, leaves = _stack_layers(models)
    lr = torch.tensor(lrs, dtype=x_train.dtype).reshape(k, 1, 1)
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in leaves]
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    n = x_train.shape[0]
    losses: list[list[float]] = [[] for _ in range(k)]
    step = 0
    for epoch in range(epochs):
        for model in models:
            model.train()
        orders = torch.stack([torch.randperm(n, generator=g) for g in generators])
        totals = torch.zeros(k, dtype=torch.float64)
        for idx in orders.split(batch_size, dim=1):  # (k, batch) row indices
            logits = _forward(layers, x_train[idx])
            per_model = (
                nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), y_train[idx].reshape(-1), reduction="none"
                )
                .reshape(k, -1)
                .mean(dim=1)
            )
            for p in leaves:
                p.grad = None
            per_model.sum().backward()  # model k's gradient = its own
            step += 1
            with torch.no_grad():
                for p, (m, v) in zip(leaves, moments, strict=True):
                    g = p.grad
                    assert g is not None  # every leaf is in the loss
                    if optimizer == "sgd" and momentum:  # torch.optim.SGD's momentum buffer
                        if step == 1:
                            m.copy_(g)
                        else:
                            m.mul_(momentum).add_(g)
                        p.sub_(lr * m)
                    elif optimizer == "sgd":
                        p.sub_(lr * g)
                    else:
                        m.lerp_(g, 1 - _BETAS[0])
                        v.mul_(_BETAS[1]).addcmul_(g, g, value=1 - _BETAS[1])
                        step_size = lr / (1 - _BETAS[0] ** step)
                        denom = (v.sqrt() / (1 - _BETAS[1] ** step) ** 0.5).add_(_EPS)
                        p.sub_(step_size * m / denom)
            totals += per_model.detach().double() * idx.shape[1]
        for j in range(k):
            losses[j].append(float(totals[j]) / n)
        if after_epoch is not None:
            _write_back(models, layers)
            for model in models:
                model.eval()
            after_epoch(models, epoch)
    _write_back(models, layers)
    for model in models:
        model.train()
    return losses
