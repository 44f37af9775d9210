"""Deep networks for Chapter 3: build them with a chosen initialization, and measure, layer by
layer, the size of the signal going forward and of the gradient coming back."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from bookkit.monitoring import linear_weights
from bookkit.training import mlp

INITS = ("default", "xavier", "he")


def initialize(model: nn.Module, init: str, gain: float = 1.0) -> nn.Module:
    """Re-initialize every ``nn.Linear`` of ``model`` in place and return it.

    ``init`` is ``"default"`` (leave PyTorch's own initialization), ``"xavier"`` (uniform on
    ``±gain * sqrt(6 / (fan_in + fan_out))``) or ``"he"`` (normal with standard deviation
    ``gain * sqrt(2 / fan_in)``). Biases become 0 for ``"xavier"`` and ``"he"``.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, not {init!r}")
    if init == "default":
        return model
    with torch.no_grad():
        for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
            fan_out, fan_in = layer.weight.shape
            if init == "xavier":
                bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
                layer.weight.uniform_(-bound, bound)
            else:
                layer.weight.normal_(0.0, gain * math.sqrt(2.0 / fan_in))
            if layer.bias is not None:
                layer.bias.zero_()
    return model


def deep_mlp(
    n_in: int,
    width: int,
    depth: int,
    n_out: int,
    activation: Callable[[], nn.Module],
    init: str = "default",
    gain: float = 1.0,
    seed: int = 0,
) -> nn.Sequential:
    """An MLP with ``depth`` hidden layers of ``width`` units, seeded and initialized."""
    torch.manual_seed(seed)
    model = mlp([n_in] + [width] * depth + [n_out], activation)
    initialize(model, init, gain)
    return model


def _per_activation(
    model: nn.Sequential, x: torch.Tensor, measure: Callable[[torch.Tensor], float]
) -> list[float]:
    values: list[float] = []
    handles = [
        m.register_forward_hook(lambda _m, _i, out: values.append(measure(out)))
        for m in model
        if not isinstance(m, nn.Linear)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return values


def activation_stds(model: nn.Sequential, x: torch.Tensor) -> list[float]:
    """Standard deviation of the output of every activation module (every module that is not
    an ``nn.Linear``), in order, for the batch ``x``, pooled over all samples and units.

    The reduction runs in float64, so a float32 activation of 1e35 gives a finite std (float32's
    own ``std()`` would square it and overflow); an activation that is itself ``inf`` or NaN
    gives NaN. Hooks are removed afterwards; no gradient is recorded."""
    return _per_activation(model, x, lambda out: out.double().std().item())


def input_spread(model: nn.Sequential, x: torch.Tensor) -> list[float]:
    """How much every activation module's output still depends on the input, in order.

    For each unit, the standard deviation of its output across the samples of ``x``; then the
    mean over units (float64). Unlike :func:`activation_stds`, which pools all entries, this
    ignores differences *between* units (from biases and weights) that are the same for every
    input, so it falls to 0 when the layer maps every input to the same vector."""
    return _per_activation(
        model, x, lambda out: out.double().reshape(out.shape[0], -1).std(dim=0).mean().item()
    )


def weight_grad_norms(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = nn.functional.cross_entropy,
) -> list[float]:
    """L2 norm of the loss gradient of each ``nn.Linear`` weight, input layer first, from one
    backward pass; ``.grad`` of the model is left untouched.

    The norm is computed in float64. In float32 the squares of entries below about 1e-23 fall
    under the smallest subnormal number, so a gradient of non-zero entries near 1e-27 would
    report a norm of exactly 0."""
    weights = linear_weights(model)
    grads = torch.autograd.grad(loss_fn(model(x), y), weights)
    return [torch.linalg.vector_norm(g.double()).item() for g in grads]
