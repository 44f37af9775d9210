"""Measuring a network while it trains: dead ReLU units, gradient norms, update sizes.

Every function here looks at a model without changing it: forward hooks are removed again,
the training mode is kept, no gradient is computed or left behind. Chapter 5 uses them to
diagnose a network that trains badly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn


def _always(
    model: nn.Module,
    x: torch.Tensor,
    kinds: tuple[type[nn.Module], ...],
    use_input: bool,
) -> list[float]:
    """Per module of one of ``kinds`` (``model.modules()`` order): fraction of units <= 0 / == 0.

    With ``use_input`` a unit counts when the module's *input* is ``<= 0`` for every sample,
    otherwise when its *output* is exactly 0 for every sample. NaN counts as neither.
    """
    modules = [m for m in model.modules() if isinstance(m, kinds)]
    flags: dict[int, torch.Tensor] = {}

    def recorder(i: int):
        def hook(module, inputs, output):
            t = inputs[0] if use_input else output
            hit = (t <= 0) if use_input else (t == 0)
            # one row per sample, one column per unit; a unit counts only if every row does
            flags[i] = hit.reshape(t.shape[0], -1).all(dim=0)

        return hook

    handles = [m.register_forward_hook(recorder(i)) for i, m in enumerate(modules)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return [flags[i].sum().item() / flags[i].numel() for i in range(len(modules))]


def dead_relu_fraction(model: nn.Module, x: torch.Tensor) -> list[float]:
    """Per ``nn.ReLU`` in ``model.modules()`` order: the fraction of its units dead on ``x``.

    A unit is dead when its output is exactly 0 for every sample in ``x`` (a NaN output is not 0);
    units are all entries of the output except the batch dimension. The model runs once on ``x``
    in the mode it is in, under ``torch.no_grad()``, and is left as it was (no hooks left behind,
    same training mode, no gradients). This is the contract of the exercise ``ex05_pitfalls``.
    Note that a model with batch normalization in training mode normalizes with the statistics of
    ``x`` and updates its running averages during this forward pass: call it in eval mode.
    """
    return _always(model, x, (nn.ReLU,), use_input=False)


def negative_fraction(
    model: nn.Module,
    x: torch.Tensor,
    kinds: Sequence[type[nn.Module]] = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ELU),
) -> list[float]:
    """Per module of one of ``kinds``: the fraction of units whose input is <= 0 on all of ``x``.

    For ``nn.ReLU`` this equals :func:`dead_relu_fraction`. For a Leaky ReLU, PReLU or ELU the
    same units are *not* dead: they sit on the negative side for every sample but still pass a
    non-zero gradient, so gradient descent can bring them back. Same guarantees as
    :func:`dead_relu_fraction` (no hooks left, mode kept, no gradients).
    """
    return _always(model, x, tuple(kinds), use_input=True)


def global_grad_norm(parameters: Iterable[torch.Tensor]) -> float:
    """The 2-norm of all gradients taken together as one vector, as a Python float.

    Parameters whose ``.grad`` is ``None`` are skipped; with no gradient at all the norm is 0.0.
    This is the norm ``torch.nn.utils.clip_grad_norm_`` compares with its ``max_norm``.
    """
    grads = [p.grad.detach() for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    return torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(g.double()) for g in grads])
    ).item()


def linear_weights(model: nn.Module) -> list[torch.Tensor]:
    """The weight matrices of the model's ``nn.Linear`` layers, in ``model.modules()`` order."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


class UpdateRatio:
    """Records, after every optimizer step, ``||W_after - W_before|| / ||W_before||`` per layer.

    Create it with the model *before* training and pass it as ``after_step`` to
    :func:`bookkit.training.train` (any callable taking the model works): each call compares
    every ``nn.Linear`` weight with the copy kept from the previous call and appends one row, a
    list of floats with one ratio per layer, to :attr:`ratios`. Norms are Frobenius norms. A
    ratio of 0.01 means that the step changed the layer's weights by 1% of their size.
    """

    def __init__(self, model: nn.Module) -> None:
        self.ratios: list[list[float]] = []
        self._previous = [w.detach().clone() for w in linear_weights(model)]

    def __call__(self, model: nn.Module) -> None:
        row = []
        current = [w.detach() for w in linear_weights(model)]
        for before, after in zip(self._previous, current, strict=True):
            size = torch.linalg.vector_norm(before).item()
            change = torch.linalg.vector_norm(after - before).item()
            row.append(change / size if size > 0 else float("inf"))
        self.ratios.append(row)
        self._previous = [w.clone() for w in current]
